/* SPDX-License-Identifier: Apache-2.0 */
/*
 * socket.h - the shim's listening socket and the bundle's `address` file.
 *
 * One shim serves a whole group (a pod): its socket is
 *   SOCKET_DIR/<hex sha256 of "<-address>/<namespace>/<group>">
 * with SOCKET_DIR /run/containerd/s (override: $HUSK_SHIM_SOCKET_DIR, for
 * tests). The address containerd gets is "unix://" + that path, never an
 * abstract socket (CVE-2020-15257).
 */
#ifndef HUSK_SHIM_SOCKET_H
#define HUSK_SHIM_SOCKET_H

#include <stdbool.h>
#include <stddef.h>

struct husk_error;

#define SHIM_SOCKET_DIR	    "/run/containerd/s"
#define SHIM_SOCKET_DIR_ENV "HUSK_SHIM_SOCKET_DIR"
#define SHIM_ADDRESS_FILE   "address"

/*
 * shim_socket_path - the socket path for a group, into @buf (@len bytes).
 * Returns 0 or -ENAMETOOLONG (it must fit sun_path).
 */
int shim_socket_path(const char *address, const char *ns, const char *group, char *buf, size_t len,
		     struct husk_error **err);

/*
 * shim_socket_listen - bind and listen at @path (mode 0600, directory
 * 0700). If the path is in use by a live shim, returns 0 with *@fd = -1:
 * reuse it. A stale socket (nobody accepts) is replaced. Starts for one
 * socket directory are serialised with flock, so two `start`s of one pod
 * cannot both win. Returns 0 or -errno.
 */
int shim_socket_listen(const char *path, int *fd, struct husk_error **err);

/* shim_socket_alive - true when something accepts connections at @path. */
bool shim_socket_alive(const char *path);

/*
 * shim_address_write - write "unix://@path" to @dir/address atomically
 * (temporary file + rename), as containerd 1.6/1.7 read it on restart.
 */
int shim_address_write(const char *dir, const char *path, struct husk_error **err);

/*
 * shim_address_read - the socket path (no "unix://") from @dir/address
 * into @buf. Returns 0 or -errno (-ENOENT when there is no file).
 */
int shim_address_read(const char *dir, char *buf, size_t len);

#endif

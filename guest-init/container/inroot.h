/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inroot.h - open paths inside a container's root before pivot_root, with
 * symlinks resolved as if that root were "/" (openat2 RESOLVE_IN_ROOT), so
 * an image's "/etc -> /host/etc" cannot aim a mount outside the rootfs.
 */
#ifndef HUSK_INIT_INROOT_H
#define HUSK_INIT_INROOT_H

#include "common/error.h"

enum inroot_create { INROOT_EXISTING, INROOT_DIR, INROOT_FILE };

/* inroot_open - an O_PATH fd for @path under @rootfd, creating it as asked. */
int inroot_open(int rootfd, const char *path, enum inroot_create create, struct husk_error **e);

/* inroot_parent - an O_PATH fd of @path's parent (created), and its last name. */
int inroot_parent(int rootfd, const char *path, const char **base, struct husk_error **e);

#endif

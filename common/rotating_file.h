/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rotating_file.h - a log file with a size cap and one rotated file, for
 * the guest console the CLI (husk run --console FILE) and the shim
 * (<bundle>/husk-console.log) keep, so a chatty guest cannot fill the
 * host's disk. As containerd's and Docker's log drivers do: when the next
 * byte would take PATH past the cap, PATH becomes PATH.1 (replacing the
 * previous PATH.1) and a new, empty PATH is started. Rotation copies
 * PATH's bytes over PATH.1 and truncates PATH, through fds opened by
 * rotating_file_open(): it opens and renames nothing, so it may run on a
 * libhusk thread under HUSK_VM_SECCOMP. Neither file is ever
 * larger than the cap, so at most 2 x cap bytes are kept: the newest
 * output, in order, PATH.1 before PATH. A cap of 0 means no cap and no
 * rotation.
 *
 * Writes never retry on a full disk: what cannot be written is dropped
 * and counted (the console's writer must not make the guest wait). One
 * writer at a time: the caller serialises (the VMM calls the console
 * callback with the UART's lock held).
 */
#ifndef HUSK_COMMON_ROTATING_FILE_H
#define HUSK_COMMON_ROTATING_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* Rotation copies PATH into PATH.1 through a buffer of this size. */
#define ROTATING_FILE_COPY_BUF (64 * 1024)

struct rotating_file {
	char *path, *old_path; /* PATH and PATH.1 */
	int fd;		       /* PATH, O_APPEND */
	int old_fd;	       /* PATH.1, with a cap; -1 without */
	void *copy_buf;	       /* ROTATING_FILE_COPY_BUF bytes, with a cap */
	uint64_t max_bytes;    /* 0: no cap */
	uint64_t size;	       /* bytes in PATH */
	uint64_t dropped;      /* bytes that could not be written */
	uint64_t rotations;
};

/*
 * rotating_file_open - open PATH for appending (@truncate: empty it and
 * PATH.1 first, else PATH's bytes count toward the cap), creating it with
 * @mode; with a cap PATH.1 is opened (made, empty) too, without one an old
 * PATH.1 is removed on @truncate. Returns 0 or -errno with @err set
 * ("open PATH or PATH.1: ...").
 */
int rotating_file_open(struct rotating_file *rf, const char *path, uint64_t max_bytes,
		       bool truncate, mode_t mode, struct husk_error **err);

/* rotating_file_write - append @len bytes, rotating as often as the cap needs. */
void rotating_file_write(struct rotating_file *rf, const void *buf, size_t len);

/* rotating_file_close - close PATH (both files stay). A no-op on a zeroed or closed struct. */
void rotating_file_close(struct rotating_file *rf);

/* rotating_file_parse_size - "1048576", "64K", "1M", "2G" (powers of 1024); 0 on success. */
int rotating_file_parse_size(const char *s, uint64_t *out);

#endif

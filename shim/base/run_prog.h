/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run_prog.h - run a helper program (mkfs.erofs, mkfs.ext4) from the
 * daemon and wait for it, through the reaper (never a waitpid of our own,
 * see reaper.h). Its stderr becomes the error message when it fails.
 */
#ifndef HUSK_SHIM_BASE_RUN_PROG_H
#define HUSK_SHIM_BASE_RUN_PROG_H

struct husk_error;

/*
 * run_prog - run @argv (argv[0] is looked up in the sbin and bin
 * folders) and wait for it. When @ovl_lower is set, the child first
 * enters a private mount namespace and mounts a read-only overlayfs with
 * lowerdir=@ovl_lower on @ovl_dir, which vanishes with the child.
 * Returns 0, or -errno with *err set (exit status and stderr's end).
 */
int run_prog(const char *const argv[], const char *ovl_lower, const char *ovl_dir,
	     struct husk_error **err);

/*
 * run_prog_output - run @argv like run_prog() and give what it printed
 * (stdout and stderr, its last @len - 1 bytes, trailing newlines cut) in
 * @out, also when it succeeds.
 */
int run_prog_output(const char *const argv[], char *out, size_t len, struct husk_error **err);

#endif

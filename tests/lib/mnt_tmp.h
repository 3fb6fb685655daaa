/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mnt_tmp.h - temp folders for tests that really mount (the share tests
 * run as root): make one, write files in it, count the mounts below a
 * path in /proc/self/mountinfo, and remove it all without ever deleting
 * through a mount (every mount below is detached first, deepest first).
 * The helpers abort on failure, as test helpers may.
 */
#ifndef HUSK_TESTS_MNT_TMP_H
#define HUSK_TESTS_MNT_TMP_H

#include <stddef.h>

/*
 * mnt_tmp_make - a new folder @parent/@prefix-XXXXXX into @out (128
 * bytes). A suite makes one in /tmp from an unchecked fixture (in Check's
 * parent process) and each test its own inside it, so that the parent's
 * mnt_tmp_remove() also cleans up after a test that failed half-way.
 */
void mnt_tmp_make(const char *parent, const char *prefix, char *out);

/* mnt_tmp_write - @dir/@name with @text (folders along the way made). */
void mnt_tmp_write(const char *dir, const char *name, const char *text);

/* mnt_tmp_read - the text of @path into @buf, or "" when unreadable. */
const char *mnt_tmp_read(const char *path, char *buf, size_t len);

/* mnt_tmp_count - mounts whose mount point is @path or below it. */
int mnt_tmp_count(const char *path);

/* mnt_tmp_remove - detach every mount below @dir, then rm -rf it. */
void mnt_tmp_remove(const char *dir);

#endif

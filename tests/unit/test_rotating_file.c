// SPDX-License-Identifier: Apache-2.0
/*
 * test_rotating_file.c - common/rotating_file.c: the cap holds for both
 * files after every write, the newest bytes are kept in order across
 * PATH.1 and PATH, and sizes parse.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/rotating_file.h"
#include "tests/lib/unit.h"

#define CAP 100

struct files {
	char dir[32];
	char path[64], old[68];
};

static void files_make(struct files *f)
{
	strcpy(f->dir, "/tmp/husk-rotate-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/console.log", f->dir);
	snprintf(f->old, sizeof(f->old), "%s.1", f->path);
}

static void files_remove(struct files *f)
{
	unlink(f->path);
	unlink(f->old);
	rmdir(f->dir);
}

/* The file's size, -1 when it does not exist. */
static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static size_t file_read(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, cap);
	close(fd);
	ck_assert_int_ge(n, 0);
	return (size_t)n;
}

/* Byte i of the stream the tests write. */
static uint8_t stream_byte(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

/* PATH.1 then PATH must be exactly stream bytes [@from, @to). */
static void expect_kept(const struct files *f, size_t from, size_t to)
{
	uint8_t buf[4 * CAP];
	size_t n, i;

	n = file_read(f->old, buf, sizeof(buf));
	n += file_read(f->path, buf + n, sizeof(buf) - n);
	ck_assert_uint_eq(n, to - from);
	for (i = 0; i < n; i++)
		ck_assert_msg(buf[i] == stream_byte(from + i),
			      "kept byte %zu is not stream byte %zu", i, from + i);
}

/* Writes of many sizes: both files stay within the cap after each one. */
START_TEST(rotate_keeps_newest_within_cap)
{
	static const size_t chunks[] = { 1, 7, 33, 99, 100, 101, 250, 3 };
	uint8_t buf[256];
	struct rotating_file rf;
	struct files f;
	size_t off = 0, i, j;

	files_make(&f);
	ck_assert_int_eq(rotating_file_open(&rf, f.path, CAP, true, 0600, NULL), 0);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		for (j = 0; j < chunks[i]; j++)
			buf[j] = stream_byte(off + j);
		rotating_file_write(&rf, buf, chunks[i]);
		off += chunks[i];
		ck_assert_int_le(file_size(f.path), CAP);
		ck_assert_int_le(file_size(f.old), CAP);
	}
	/* 594 bytes: PATH holds the last 594 % 100 = 94, PATH.1 the 100 before them. */
	ck_assert_uint_eq(off, 594);
	ck_assert_int_eq(file_size(f.path), 94);
	ck_assert_int_eq(file_size(f.old), CAP);
	expect_kept(&f, 400, 594);
	ck_assert_uint_eq(rf.rotations, 5);
	ck_assert_uint_eq(rf.dropped, 0);
	rotating_file_close(&rf);
	files_remove(&f);
}
END_TEST

/* A byte at a time, as the console callback gets them. */
START_TEST(rotate_byte_by_byte)
{
	struct rotating_file rf;
	struct files f;
	uint8_t b;
	size_t i;

	files_make(&f);
	ck_assert_int_eq(rotating_file_open(&rf, f.path, CAP, true, 0600, NULL), 0);
	for (i = 0; i < 3 * CAP + 1; i++) {
		b = stream_byte(i);
		rotating_file_write(&rf, &b, 1);
	}
	ck_assert_int_eq(file_size(f.path), 1);
	expect_kept(&f, 2 * CAP, 3 * CAP + 1);
	rotating_file_close(&rf);
	files_remove(&f);
}
END_TEST

/* Without truncate an existing PATH counts toward the cap (the shim's reopen). */
START_TEST(rotate_appends_to_existing_file)
{
	struct rotating_file rf;
	struct files f;
	uint8_t buf[CAP];
	size_t i;
	int fd;

	files_make(&f);
	for (i = 0; i < 80; i++)
		buf[i] = stream_byte(i);
	fd = open(f.path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, buf, 80), 80);
	close(fd);
	ck_assert_int_eq(rotating_file_open(&rf, f.path, CAP, false, 0600, NULL), 0);
	for (i = 0; i < 30; i++)
		buf[i] = stream_byte(80 + i);
	rotating_file_write(&rf, buf, 30);
	ck_assert_int_eq(file_size(f.old), CAP);
	ck_assert_int_eq(file_size(f.path), 10);
	expect_kept(&f, 0, 110);
	rotating_file_close(&rf);
	/* With truncate both start empty (PATH.1 is kept open for rotation):
	 * an old PATH.1 is another run's. */
	ck_assert_int_eq(rotating_file_open(&rf, f.path, CAP, true, 0600, NULL), 0);
	ck_assert_int_eq(file_size(f.path), 0);
	ck_assert_int_eq(file_size(f.old), 0);
	rotating_file_close(&rf);
	files_remove(&f);
}
END_TEST

START_TEST(rotate_no_cap_keeps_everything)
{
	uint8_t buf[4 * CAP];
	struct rotating_file rf;
	struct files f;
	size_t i;

	files_make(&f);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = stream_byte(i);
	ck_assert_int_eq(rotating_file_open(&rf, f.path, 0, true, 0600, NULL), 0);
	rotating_file_write(&rf, buf, sizeof(buf));
	rotating_file_close(&rf);
	ck_assert_int_eq(file_size(f.old), -1);
	expect_kept(&f, 0, sizeof(buf));
	files_remove(&f);
}
END_TEST

START_TEST(rotate_open_error_and_sizes)
{
	struct rotating_file rf;
	struct husk_error *err = NULL;
	uint64_t v = 0;

	ck_assert_int_eq(rotating_file_open(&rf, "/nonexistent/dir/c.log", CAP, true, 0600, &err),
			 -ENOENT);
	ck_assert_str_eq(husk_error_message(err),
			 "open /nonexistent/dir/c.log: No such file or directory");
	husk_error_free(err);
	rotating_file_close(&rf); /* after a failed open: nothing to do */
	ck_assert_int_eq(rotating_file_parse_size("1048576", &v), 0);
	ck_assert_uint_eq(v, 1048576);
	ck_assert_int_eq(rotating_file_parse_size("64K", &v), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(rotating_file_parse_size("1m", &v), 0);
	ck_assert_uint_eq(v, 1 << 20);
	ck_assert_int_eq(rotating_file_parse_size("2G", &v), 0);
	ck_assert_uint_eq(v, 2ull << 30);
	ck_assert_int_eq(rotating_file_parse_size("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(rotating_file_parse_size("", &v), -EINVAL);
	ck_assert_int_eq(rotating_file_parse_size("-1", &v), -EINVAL);
	ck_assert_int_eq(rotating_file_parse_size("1T", &v), -EINVAL);
	ck_assert_int_eq(rotating_file_parse_size("1MB", &v), -EINVAL);
	ck_assert_int_eq(rotating_file_parse_size("99999999999999999999", &v), -EINVAL);
	ck_assert_int_eq(rotating_file_parse_size("17179869184G", &v), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rotating_file");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, rotate_keeps_newest_within_cap);
	tcase_add_test(tc, rotate_byte_by_byte);
	tcase_add_test(tc, rotate_appends_to_existing_file);
	tcase_add_test(tc, rotate_no_cap_keeps_everything);
	tcase_add_test(tc, rotate_open_error_and_sizes);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()

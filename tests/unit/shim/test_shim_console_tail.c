// SPDX-License-Identifier: Apache-2.0
/* test_shim_console_tail.c - shim/sandbox/console_tail.c: the last lines of
 * a console log, oldest first, whatever the file holds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/sandbox/console_tail.h"
#include "tests/lib/unit.h"

struct got {
	char text[8192];
	int calls;
};

static void collect(void *opaque, const char *line)
{
	struct got *g = opaque;

	strncat(g->text, line, sizeof(g->text) - strlen(g->text) - 2);
	strcat(g->text, "|");
	g->calls++;
}

/* A temporary file holding @len bytes of @data; its path into @path. */
static void write_file(char *path, const void *data, size_t len)
{
	int fd;

	strcpy(path, "/tmp/husk-console-tail-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

START_TEST(last_lines_oldest_first)
{
	static const char text[] = "[ 0.1] one\r\n[ 0.2] two\r\n\r\n[ 0.3] three\n[ 0.4] four";
	struct got g = { "", 0 };
	char path[64];

	write_file(path, text, strlen(text));
	ck_assert_int_eq(console_tail(path, 3, collect, &g), 2);
	ck_assert_str_eq(g.text,
			 "[ 0.3] three|[ 0.4] four|"); /* the blank one counted, not given */
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(console_tail(path, CONSOLE_TAIL_LINES, collect, &g), 4);
	ck_assert_str_eq(g.text, "[ 0.1] one|[ 0.2] two|[ 0.3] three|[ 0.4] four|");
	unlink(path);
}
END_TEST

/* A long log: only its end is read, and the line cut by that window is left out. */
START_TEST(long_log_window_and_cut_line)
{
	char *text = malloc(3 * CONSOLE_TAIL_BYTES), path[64];
	struct got g = { "", 0 };
	size_t len = 0;
	int i;

	ck_assert_ptr_nonnull(text);
	for (i = 0; len < 2 * CONSOLE_TAIL_BYTES; i++)
		len += (size_t)sprintf(text + len, "line-%05d %s\n", i,
				       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	write_file(path, text, len);
	ck_assert_int_eq(console_tail(path, CONSOLE_TAIL_LINES, collect, &g), CONSOLE_TAIL_LINES);
	ck_assert_ptr_nonnull(strstr(g.text, "line-00"));
	/* the newest line is last, whole */
	snprintf(text, 64, "line-%05d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx|", i - 1);
	ck_assert_str_eq(g.text + strlen(g.text) - strlen(text), text);
	ck_assert(!strstr(g.text, "|xxx")); /* no cut line */
	unlink(path);
	free(text);
}
END_TEST

START_TEST(control_bytes_empty_and_missing_files)
{
	static const char text[] = "\x1b[0mok\x01\x7f\r\n";
	struct got g = { "", 0 };
	char path[64];

	write_file(path, text, strlen(text));
	ck_assert_int_eq(console_tail(path, 5, collect, &g), 1);
	ck_assert_str_eq(g.text, "?[0mok??|");
	ck_assert_int_eq(console_tail(path, 0, collect, &g), 0);
	unlink(path);
	write_file(path, "", 0);
	ck_assert_int_eq(console_tail(path, 5, collect, &g), 0);
	unlink(path);
	ck_assert_int_eq(console_tail(path, 5, collect, &g), -ENOENT);
	ck_assert_int_eq(g.calls, 1);
}
END_TEST

struct checked {
	int calls;
};

/* Every line given is non-empty, printable ASCII or high bytes, and fits the window. */
static void check_line(void *opaque, const char *line)
{
	struct checked *c = opaque;
	const unsigned char *p;

	ck_assert_uint_gt(strlen(line), 0);
	ck_assert_uint_le(strlen(line), CONSOLE_TAIL_BYTES);
	for (p = (const unsigned char *)line; *p; p++)
		ck_assert_msg(*p >= 0x20 && *p != 0x7f, "control byte 0x%02x given", *p);
	c->calls++;
}

/* What a hostile guest may write: any bytes, NULs and newlines among them, any length. */
START_TEST(random_bytes_never_break_it)
{
	static unsigned char data[3 * CONSOLE_TAIL_BYTES];
	size_t len, i;
	char path[64];
	int round, n;

	srand(7);
	for (round = 0; round < 200; round++) {
		struct checked c = { 0 };

		len = (size_t)rand() % sizeof(data);
		for (i = 0; i < len; i++)
			data[i] = (unsigned char)(rand() % 4 ? rand() : "\n\r\0"[rand() % 3]);
		write_file(path, data, len);
		n = console_tail(path, (size_t)(rand() % (CONSOLE_TAIL_LINES + 5)), check_line, &c);
		unlink(path);
		ck_assert_int_ge(n, 0);
		ck_assert_int_le(n, CONSOLE_TAIL_LINES);
		ck_assert_int_eq(n, c.calls);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_console_tail");
	TCase *tc = tcase_create("tail");

	tcase_add_test(tc, last_lines_oldest_first);
	tcase_add_test(tc, long_log_window_and_cut_line);
	tcase_add_test(tc, control_bytes_empty_and_missing_files);
	tcase_add_test(tc, random_bytes_never_break_it);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()

// SPDX-License-Identifier: Apache-2.0
/* test_shim_stdio.c - shim/stdio_uri*.c: containerd stdio URIs and FIFO opening. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/io/stdio_uri.h"
#include "tests/lib/unit.h"

static void uri_fails(const char *s, const char *want)
{
	struct husk_error *err = NULL;
	struct stdio_uri u;

	ck_assert_int_eq(stdio_uri_parse(s, &u, &err), -EINVAL);
	ck_assert_msg(strstr(husk_error_message(err), want), "%s: got \"%s\"", s,
		      husk_error_message(err));
	ck_assert_ptr_null(u.path);
	husk_error_free(err);
}

START_TEST(uri_kinds)
{
	struct stdio_uri u;
	char **argv;

	ck_assert_int_eq(stdio_uri_parse("", &u, NULL), 0);
	ck_assert_int_eq(u.kind, STDIO_NULL);
	ck_assert_int_eq(stdio_uri_parse("/run/containerd/fifo/1/c1-stdout", &u, NULL), 0);
	ck_assert_int_eq(u.kind, STDIO_FIFO);
	ck_assert_str_eq(u.path, "/run/containerd/fifo/1/c1-stdout");
	stdio_uri_clear(&u);
	ck_assert_int_eq(stdio_uri_parse("fifo:///tmp/f%20x", &u, NULL), 0);
	ck_assert_int_eq(u.kind, STDIO_FIFO);
	ck_assert_str_eq(u.path, "/tmp/f x");
	stdio_uri_clear(&u);
	ck_assert_int_eq(stdio_uri_parse("file:///var/log/c1.log", &u, NULL), 0);
	ck_assert_int_eq(u.kind, STDIO_FILE);
	ck_assert_str_eq(u.path, "/var/log/c1.log");
	stdio_uri_clear(&u);
	ck_assert_int_eq(stdio_uri_parse("binary:///usr/bin/logger?tag=c%2F1&debug&x=a+b", &u,
					 NULL),
			 0);
	ck_assert_int_eq(u.kind, STDIO_BINARY);
	ck_assert_str_eq(u.path, "/usr/bin/logger");
	ck_assert_uint_eq(u.nargs, 5);
	argv = stdio_binary_argv(&u);
	ck_assert_str_eq(argv[0], "/usr/bin/logger");
	ck_assert_str_eq(argv[1], "tag");
	ck_assert_str_eq(argv[2], "c/1");
	ck_assert_str_eq(argv[3], "debug");
	ck_assert_str_eq(argv[4], "x");
	ck_assert_str_eq(argv[5], "a b");
	ck_assert_ptr_null(argv[6]);
	free(argv);
	stdio_uri_clear(&u);
}
END_TEST

START_TEST(uri_errors)
{
	uri_fails("tcp://1.2.3.4:5", "unknown STDIO scheme tcp");
	uri_fails("relative/path", "not an absolute path");
	uri_fails("file://relative", "not an absolute path");
	uri_fails("file:///a%2", "bad percent-escape");
	uri_fails("file:///a%zz", "bad percent-escape");
	uri_fails("file:///a%00b", "bad percent-escape");
	uri_fails("file:///a?x=1", "unexpected query");
	uri_fails("binary:///bin/l?a=%zz", "bad query");
}
END_TEST

START_TEST(config_modes)
{
	struct husk_error *err = NULL;
	struct stdio_config c;

	ck_assert_int_eq(stdio_config_parse("", "", "", false, &c, NULL), 0);
	ck_assert(stdio_is_null(&c));
	stdio_config_clear(&c);
	ck_assert_int_eq(stdio_config_parse("/f/in", "/f/out", "/f/err", false, &c, NULL), 0);
	ck_assert(!stdio_is_null(&c));
	ck_assert_int_eq(c.err.kind, STDIO_FIFO);
	stdio_config_clear(&c);
	/* With a terminal stderr is unused, whatever it says. */
	ck_assert_int_eq(stdio_config_parse("/f/in", "/f/out", "bogus", true, &c, NULL), 0);
	ck_assert_int_eq(c.err.kind, STDIO_NULL);
	stdio_config_clear(&c);
	ck_assert_int_eq(stdio_config_parse("", "file:///l", "file:///l", false, &c, NULL), 0);
	stdio_config_clear(&c);
	ck_assert_int_eq(stdio_config_parse("file:///in", "", "", false, &c, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "must be a FIFO"));
	ck_assert_int_eq(stdio_config_parse("", "/f/out", "file:///l", false, &c, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "different modes"));
	husk_error_free(err);
}
END_TEST

START_TEST(fifo_opening_never_blocks)
{
	char dir[] = "/tmp/husk-stdio-XXXXXX", in[64], out[64], file[96], buf[8];
	struct husk_error *err = NULL;
	int rfd, keep, wfd, ofd, client;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	ck_assert_int_eq(mkfifo(in, 0600), 0);
	ck_assert_int_eq(mkfifo(out, 0600), 0);
	/* No peer on either FIFO, and neither open waits for one. */
	ck_assert_int_eq(stdio_open_fifo_in(in, &rfd, &keep, NULL), 0);
	ofd = stdio_open_fifo_out(out, NULL);
	ck_assert_int_ge(ofd, 0);
	ck_assert_int_eq(write(ofd, "hi", 2), 2); /* no EPIPE without a reader */
	/* A client writes and goes away: the kept writer holds off EOF... */
	client = open(in, O_WRONLY);
	ck_assert_int_eq(write(client, "x", 1), 1);
	close(client);
	ck_assert_int_eq(read(rfd, buf, sizeof(buf)), 1);
	ck_assert_int_eq(fcntl(rfd, F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(read(rfd, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* ...until CloseIO drops it. */
	close(keep);
	ck_assert_int_eq(read(rfd, buf, sizeof(buf)), 0);
	close(rfd);
	close(ofd);
	/* A regular file is no FIFO. */
	snprintf(file, sizeof(file), "%s/sub/dir/log", dir);
	wfd = stdio_open_file(file, NULL);
	ck_assert_int_ge(wfd, 0);
	close(wfd);
	ck_assert_int_eq(stdio_open_fifo_out(file, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "not a FIFO"));
	husk_error_free(err);
	unlink(file);
	unlink(in);
	unlink(out);
	snprintf(file, sizeof(file), "%s/sub/dir", dir);
	rmdir(file);
	snprintf(file, sizeof(file), "%s/sub", dir);
	rmdir(file);
	rmdir(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_stdio");
	TCase *tc = tcase_create("uri");

	tcase_add_test(tc, uri_kinds);
	tcase_add_test(tc, uri_errors);
	tcase_add_test(tc, config_modes);
	tcase_add_test(tc, fifo_opening_never_blocks);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()

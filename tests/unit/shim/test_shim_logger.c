// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_logger.c - binary:// logging programs: arguments and
 * environment, fds 3/4 carry stdout/stderr, readiness on fd 5, and the
 * end (EOF, then SIGTERM for a logger that does not leave by itself).
 * A thread stands in for the daemon's SIGCHLD loop (reaper.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/io/stdio_logger.h"
#include "shim/io/stdio_uri.h"
#include "tests/lib/reaper_thread.h"
#include "tests/lib/unit.h"

static char dir[64];
static void setup(void)
{
	strcpy(dir, "/tmp/husk-logger-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	reaper_thread_start();
}

static void teardown(void)
{
	char cmd[128];

	reaper_thread_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write an executable shell script @name with @body; its path to @path. */
static void script(const char *name, const char *body, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

static void slurp(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s missing", path);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void spawn(const char *prog, const char *query, struct stdio_logger *lg, int *o, int *e)
{
	struct husk_error *err = NULL;
	struct stdio_uri u;
	char uri[256];

	snprintf(uri, sizeof(uri), "binary://%s%s", prog, query);
	ck_assert_int_eq(stdio_uri_parse(uri, &u, NULL), 0);
	stdio_logger_init(lg);
	ck_assert_msg(stdio_logger_spawn(lg, &u, "ctr-1", "k8s.io", o, e, &err) == 0, "%s",
		      err ? husk_error_message(err) : "");
	stdio_uri_clear(&u);
}

START_TEST(logger_gets_args_env_and_both_streams)
{
	struct stdio_logger lg;
	char prog[128], buf[256];
	int o, e;

	script("log.sh",
	       "cd \"$(dirname \"$0\")\"\n"
	       "echo \"$CONTAINER_ID $CONTAINER_NAMESPACE $*\" >env\n"
	       "exec 5>&-\n"
	       "cat <&3 >out & cat <&4 >err\nwait\n"
	       "echo both-ended >>env\n",
	       prog, sizeof(prog));
	/* Closing fd 5 without a byte also says ready. */
	spawn(prog, "?mode=x&flag", &lg, &o, &e);
	ck_assert_int_eq(write(o, "to stdout\n", 10), 10);
	ck_assert_int_eq(write(e, "to stderr\n", 10), 10);
	close(o);
	close(e);
	ck_assert_int_eq(stdio_logger_stop(&lg), 0);
	slurp("env", buf, sizeof(buf));
	ck_assert_str_eq(buf, "ctr-1 k8s.io mode x flag\nboth-ended\n");
	slurp("out", buf, sizeof(buf));
	ck_assert_str_eq(buf, "to stdout\n");
	slurp("err", buf, sizeof(buf));
	ck_assert_str_eq(buf, "to stderr\n");
}
END_TEST

START_TEST(logger_that_stays_gets_sigterm)
{
	struct stdio_logger lg;
	char prog[128], buf[64];
	int o, e;

	script("stay.sh",
	       "cd \"$(dirname \"$0\")\"\n"
	       "trap 'echo term >got; exit 0' TERM\n"
	       "echo r >&5; exec 5>&-\n"
	       "while :; do sleep 0.05; done\n",
	       prog, sizeof(prog));
	spawn(prog, "", &lg, &o, &e);
	close(o);
	close(e);
	ck_assert_int_eq(stdio_logger_stop(&lg), 0);
	slurp("got", buf, sizeof(buf));
	ck_assert_str_eq(buf, "term\n");
}
END_TEST

START_TEST(missing_logger_program)
{
	struct husk_error *err = NULL;
	struct stdio_logger lg;
	struct stdio_uri u;
	int o, e;

	ck_assert_int_eq(stdio_uri_parse("binary:///nonexistent/logger", &u, NULL), 0);
	stdio_logger_init(&lg);
	/* exec fails in the child: fd 5 closes (EOF counts as ready, as in
	 * containerd), and the logger's exit status is 127. */
	ck_assert_int_eq(stdio_logger_spawn(&lg, &u, "c", "default", &o, &e, &err), 0);
	close(o);
	close(e);
	ck_assert_int_eq(stdio_logger_stop(&lg), 127);
	stdio_uri_clear(&u);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_logger");
	TCase *tc = tcase_create("logger");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, logger_gets_args_env_and_both_streams);
	tcase_add_test(tc, logger_that_stays_gets_sigterm);
	tcase_add_test(tc, missing_logger_program);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()

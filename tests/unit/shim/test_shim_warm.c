// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_warm.c - the warm pool's pure parts: the hand-over message
 * (shim/warm/warm_msg.c) round trip and its strict decoding, the pool
 * key (shim/warm/warm_pool.c), the `warm` action on the command line
 * (shim/cli.c), the bundle state's folders (shim/base/bundle_state.c) and
 * the runtime config path in `start`'s stdin (shim/task/runtime_options.c),
 * and a failed spare's place in its line of replacements and back-off
 * (shim/warm/warm_failed.c; keeping its log and the replacements run in
 * the rig, tests/rig/t-shim-warm.sh).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/base/bundle_state.h"
#include "shim/cli.h"
#include "shim/task/runtime_options.h"
#include "shim/warm/warm_failed.h"
#include "shim/warm/warm_msg.h"
#include "shim/warm/warm_pool.h"
#include "tests/lib/unit.h"

START_TEST(message_round_trip)
{
	struct warm_adopt
		in = { .ns = (char *)"k8s.io",
		       .id = (char *)"c1",
		       .address = (char *)"/run/containerd/containerd.sock",
		       .bundle = (char *)"/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1",
		       .ttrpc_address = (char *)"/run/containerd/containerd.sock.ttrpc",
		       .debug = true },
		out;
	char buf[WARM_MSG_MAX];
	int n = warm_msg_encode(&in, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(warm_msg_decode(buf, (size_t)n, &out, NULL), 0);
	ck_assert_str_eq(out.ns, in.ns);
	ck_assert_str_eq(out.id, in.id);
	ck_assert_str_eq(out.address, in.address);
	ck_assert_str_eq(out.bundle, in.bundle);
	ck_assert_str_eq(out.ttrpc_address, in.ttrpc_address);
	ck_assert_ptr_null(out.publish_binary);
	ck_assert(out.debug);
	warm_adopt_clear(&out);
	/* Exactly these bytes: one line per field set, an empty line last. */
	in.debug = false;
	in.address = in.ttrpc_address = NULL;
	n = warm_msg_encode(&in, buf, sizeof(buf));
	ck_assert_int_eq(n, (int)strlen("ns=k8s.io\nid=c1\nbundle=/run/containerd/"
					"io.containerd.runtime.v2.task/k8s.io/c1\n\n"));
	ck_assert(!strncmp(buf, "ns=k8s.io\nid=c1\nbundle=/run/", 28));
	/* A value with a newline or a missing id cannot be sent. */
	in.id = (char *)"a\nb";
	ck_assert_int_eq(warm_msg_encode(&in, buf, sizeof(buf)), -EINVAL);
	in.id = NULL;
	ck_assert_int_eq(warm_msg_encode(&in, buf, sizeof(buf)), -EINVAL);
	in.id = (char *)"c1";
	ck_assert_int_eq(warm_msg_encode(&in, buf, 20), -ENAMETOOLONG);
}
END_TEST

static void refused(const char *msg, size_t len, const char *want)
{
	struct husk_error *err = NULL;
	struct warm_adopt a;

	ck_assert_int_eq(warm_msg_decode(msg, len, &a, &err), -EINVAL);
	ck_assert_msg(strstr(husk_error_message(err), want), "got \"%s\"", husk_error_message(err));
	ck_assert_ptr_null(a.id);
	husk_error_free(err);
}

#define REFUSED(m, want) refused(m, sizeof(m) - 1, want)

START_TEST(message_decoding_is_strict)
{
	REFUSED("ns=a\nid=b\nbundle=/x\n", "not ended by one empty line");
	REFUSED("ns=a\nid=b\nbundle=/x\n\nextra", "not ended by one empty line");
	REFUSED("ns=a\nid=b\nbundle=/x\n\n\n", "not ended by one empty line");
	REFUSED("ns=a\nid=b\n\n", "ns, id and bundle are required");
	REFUSED("ns=a\nid=\nbundle=/x\n\n", "ns, id and bundle are required");
	REFUSED("ns=a\nid=b\nbundle=rel\n\n", "bundle \"rel\" is not absolute");
	REFUSED("ns=a\nid=b\nid=c\nbundle=/x\n\n", "id given twice");
	REFUSED("ns=a\nuser=root\nid=b\nbundle=/x\n\n", "bad line \"user=root\"");
	REFUSED("ns=a\nnoequals\n\n", "bad line \"noequals\"");
	REFUSED("ns=a\nid=b\0c\nbundle=/x\n\n", "NUL in id");
	REFUSED("", "not ended by one empty line");
}
END_TEST

START_TEST(message_too_long)
{
	size_t len = WARM_MSG_MAX + 1;
	char *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	memset(buf, '\n', len);
	refused(buf, len, "more than 8192");
	free(buf);
}
END_TEST

START_TEST(pool_key_per_config_file)
{
	char a[WARM_KEY_LEN + 1], b[WARM_KEY_LEN + 1], c[WARM_KEY_LEN + 1];
	char path[256];

	warm_pool_key(NULL, a);
	warm_pool_key("/etc/husk/config.json", b);
	warm_pool_key("/tmp/other.json", c);
	ck_assert_uint_eq(strlen(a), WARM_KEY_LEN);
	ck_assert_str_eq(a, b); /* no path is the default path */
	ck_assert_str_ne(a, c);
	warm_pool_path("k-1", ".sock", path, sizeof(path));
	ck_assert_str_eq(path, WARM_POOL_DIR "/k-1.sock");
}
END_TEST

START_TEST(cli_warm_action)
{
	char *argv[] = { (char *)"shim",   (char *)"-config", (char *)"/tmp/c.json",
			 (char *)"-debug", (char *)"warm",    NULL };
	struct husk_error *err = NULL;
	struct shim_args a;

	ck_assert_int_eq(shim_args_parse(5, argv, &a, NULL), 0);
	ck_assert_int_eq(a.action, SHIM_ACTION_WARM);
	ck_assert_str_eq(a.config, "/tmp/c.json");
	ck_assert(a.debug);
	argv[4] = (char *)"cool";
	ck_assert_int_ne(shim_args_parse(5, argv, &a, &err), 0);
	ck_assert_str_eq(husk_error_message(err),
			 "unknown action \"cool\" (start, delete or warm)");
	husk_error_free(err);
}
END_TEST

/* Recorded folders go after the files that emptied them. */
START_TEST(bundle_state_removes_folders)
{
	char bundle[] = "/tmp/husk-warm-test-XXXXXX", dir[128], file[160];
	struct stat st;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(bundle));
	snprintf(dir, sizeof(dir), "%s/spare.d", bundle);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(file, sizeof(file), "%s/console", dir);
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(bundle_state_add_dir(bundle, dir), 0);
	ck_assert_int_eq(bundle_state_add(bundle, file), 0);
	bundle_state_cleanup(bundle);
	ck_assert_int_ne(stat(dir, &st), 0);
	ck_assert_int_eq(rmdir(bundle), 0); /* the state file went too */
}
END_TEST

/* An options Any as containerd 1.6 writes it on `start`'s stdin. */
static size_t pack_options(const char *type_url, const char *config_path, uint8_t *out)
{
	Runtimeoptions__V1__Options o = RUNTIMEOPTIONS__V1__OPTIONS__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	uint8_t inner[256];

	o.config_path = (char *)config_path;
	any.type_url = (char *)type_url;
	any.value.len = runtimeoptions__v1__options__pack(&o, inner);
	any.value.data = inner;
	return google__protobuf__any__pack(&any, out);
}

START_TEST(start_reads_the_config_path_from_stdin)
{
	uint8_t buf[512];
	struct husk_error *err = NULL;
	char *path = NULL;
	size_t n;

	n = pack_options("runtimeoptions.v1.Options", "/tmp/husk-warm.json", buf);
	ck_assert_int_eq(runtime_options_config_path_raw(buf, n, &path, NULL), 0);
	ck_assert_str_eq(path, "/tmp/husk-warm.json");
	free(path);
	/* The prefixed type URL of containerd 1.7+ too. */
	n = pack_options("type.googleapis.com/runtimeoptions.v1.Options", "/c.json", buf);
	ck_assert_int_eq(runtime_options_config_path_raw(buf, n, &path, NULL), 0);
	ck_assert_str_eq(path, "/c.json");
	free(path);
	/* runc's options, no options at all, no config_path: the default. */
	n = pack_options("containerd.runc.v1.Options", "/x.json", buf);
	ck_assert_int_eq(runtime_options_config_path_raw(buf, n, &path, NULL), 0);
	ck_assert_ptr_null(path);
	ck_assert_int_eq(runtime_options_config_path_raw(buf, 0, &path, NULL), 0);
	ck_assert_ptr_null(path);
	n = pack_options("runtimeoptions.v1.Options", "", buf);
	ck_assert_int_eq(runtime_options_config_path_raw(buf, n, &path, NULL), 0);
	ck_assert_ptr_null(path);
	/* Bytes that are no Any: an error, never a crash. */
	memset(buf, 0xff, 16);
	ck_assert_int_eq(runtime_options_config_path_raw(buf, 16, &path, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "not a google.protobuf.Any"));
	husk_error_free(err);
}
END_TEST

/* The attempt from the environment, which it then leaves without the variable. */
static unsigned attempt_from(const char *value)
{
	if (value)
		setenv(WARM_ATTEMPT_ENV, value, 1);
	else
		unsetenv(WARM_ATTEMPT_ENV);
	unsigned n = warm_failed_attempt();
	ck_assert_ptr_null(getenv(WARM_ATTEMPT_ENV));
	return n;
}

START_TEST(failed_spare_attempts_and_backoff)
{
	ck_assert_uint_eq(attempt_from(NULL), 1); /* a spare `start` spawned */
	ck_assert_uint_eq(attempt_from("2"), 2);
	ck_assert_uint_eq(attempt_from("3"), WARM_RESPAWN_MAX);
	/* Anything else is a first attempt, never a line that runs on forever. */
	ck_assert_uint_eq(attempt_from("4"), 1);
	ck_assert_uint_eq(attempt_from("0"), 1);
	ck_assert_uint_eq(attempt_from("2x"), 1);
	ck_assert_uint_eq(attempt_from(""), 1);
	ck_assert_uint_eq(attempt_from("-1"), 1);
	ck_assert_uint_eq(attempt_from("18446744073709551617"), 1);
	ck_assert_uint_eq(warm_failed_backoff_ms(1), 1000);
	ck_assert_uint_eq(warm_failed_backoff_ms(2), 2000);
	ck_assert_uint_eq(warm_failed_backoff_ms(3), 4000);
	ck_assert_uint_eq(warm_failed_backoff_ms(100), 16000); /* capped */
	ck_assert_uint_eq(warm_failed_backoff_ms(0), 1000);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_warm");
	TCase *tc = tcase_create("warm");

	tcase_add_test(tc, message_round_trip);
	tcase_add_test(tc, message_decoding_is_strict);
	tcase_add_test(tc, message_too_long);
	tcase_add_test(tc, pool_key_per_config_file);
	tcase_add_test(tc, cli_warm_action);
	tcase_add_test(tc, bundle_state_removes_folders);
	tcase_add_test(tc, start_reads_the_config_path_from_stdin);
	tcase_add_test(tc, failed_spare_attempts_and_backoff);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()

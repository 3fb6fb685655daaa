// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_hooks.c - shim/base/oci_hooks*.c: config.json's "hooks" read
 * strictly (good specs, and bad ones whose errors name the field), the
 * hooks that would run in the VM refused, the state JSON, and hooks run
 * for real: the state on stdin, args (args[0] as argv[0]) and env as
 * given, a failure's status and output in the error, a timeout that kills
 * the hook's whole process group, poststop failures only warned about.
 * A thread stands in for the daemon's SIGCHLD loop (reaper.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "agent-codec/json.h"
#include "shim/base/oci_hooks.h"
#include "shim/base/oci_spec.h"
#include "tests/lib/reaper_thread.h"
#include "tests/lib/unit.h"

static struct oci_spec *spec_of(const char *json)
{
	struct husk_error *err = NULL;
	struct oci_spec *spec = NULL;

	if (oci_spec_parse(json, strlen(json), &spec, &err))
		ck_abort_msg("%s: %s", json, husk_error_message(err));
	return spec;
}

START_TEST(parse_good_hooks)
{
	static const char json[] =
		"{\"hooks\":{\"prestart\":[{\"path\":\"/bin/a\"}],"
		"\"createRuntime\":[{\"path\":\"/bin/b\",\"args\":[\"b\",\"-x\"],"
		"\"env\":[\"A=1\",\"B=\"],\"timeout\":5},{\"path\":\"/bin/c\"}],"
		"\"poststart\":[],\"poststop\":[{\"path\":\"/bin/d\",\"timeout\":1}]}}";
	struct oci_spec *spec = spec_of(json);
	const struct oci_hooks *h = &spec->hooks;

	ck_assert_uint_eq(h->n[OCI_HOOK_PRESTART], 1);
	ck_assert_str_eq(h->hook[OCI_HOOK_PRESTART][0].path, "/bin/a");
	ck_assert_ptr_null(h->hook[OCI_HOOK_PRESTART][0].args);
	ck_assert_ptr_null(h->hook[OCI_HOOK_PRESTART][0].env);
	ck_assert_int_eq(h->hook[OCI_HOOK_PRESTART][0].timeout, 0);
	ck_assert_uint_eq(h->n[OCI_HOOK_CREATE_RUNTIME], 2);
	ck_assert_str_eq(h->hook[OCI_HOOK_CREATE_RUNTIME][0].args[0], "b");
	ck_assert_str_eq(h->hook[OCI_HOOK_CREATE_RUNTIME][0].args[1], "-x");
	ck_assert_ptr_null(h->hook[OCI_HOOK_CREATE_RUNTIME][0].args[2]);
	ck_assert_str_eq(h->hook[OCI_HOOK_CREATE_RUNTIME][0].env[1], "B=");
	ck_assert_int_eq(h->hook[OCI_HOOK_CREATE_RUNTIME][0].timeout, 5);
	ck_assert_str_eq(h->hook[OCI_HOOK_CREATE_RUNTIME][1].path, "/bin/c");
	ck_assert_uint_eq(h->n[OCI_HOOK_POSTSTART], 0);
	ck_assert_uint_eq(h->n[OCI_HOOK_POSTSTOP], 1);
	ck_assert_int_eq(oci_hooks_check_host(h, NULL), 0);
	oci_spec_free(spec);
	/* No "hooks" at all: none. */
	spec = spec_of("{}");
	ck_assert_uint_eq(spec->hooks.n[OCI_HOOK_POSTSTOP], 0);
	oci_spec_free(spec);
}
END_TEST

START_TEST(hooks_in_the_vm_refused)
{
	static const char *const specs[] = {
		"{\"hooks\":{\"createContainer\":[{\"path\":\"/bin/x\"}]}}",
		"{\"hooks\":{\"startContainer\":[{\"path\":\"/bin/x\"}]}}",
	};
	static const char *const names[] = { "hooks.createContainer", "hooks.startContainer" };
	struct husk_error *err = NULL;
	size_t i;

	for (i = 0; i < 2; i++) {
		struct oci_spec *spec = spec_of(specs[i]);

		ck_assert_int_eq(oci_hooks_check_host(&spec->hooks, &err), -ENOTSUP);
		ck_assert_ptr_nonnull(strstr(husk_error_message(err), names[i]));
		ck_assert_ptr_nonnull(strstr(husk_error_message(err), "in the VM"));
		husk_error_free(err);
		err = NULL;
		oci_spec_free(spec);
	}
}
END_TEST

START_TEST(parse_bad_hooks_name_the_field)
{
	static const struct {
		const char *json, *field;
	} bad[] = {
		{ "{\"hooks\":[]}", "hooks" },
		{ "{\"hooks\":{\"prestrat\":[]}}", "hooks.prestrat: unknown hook type" },
		{ "{\"hooks\":{\"poststart\":{}}}", "hooks.poststart" },
		{ "{\"hooks\":{\"poststop\":[\"/bin/x\"]}}",
		  "hooks.poststop[0]: expected an object" },
		{ "{\"hooks\":{\"prestart\":[{}]}}", "hooks.prestart[0].path" },
		{ "{\"hooks\":{\"prestart\":[{\"path\":\"bin/x\"}]}}", "must be an absolute path" },
		{ "{\"hooks\":{\"prestart\":[{\"path\":7}]}}", "hooks.prestart[0].path" },
		{ "{\"hooks\":{\"createRuntime\":[{\"path\":\"/x\",\"args\":[1]}]}}",
		  "hooks.createRuntime[0].args[0]" },
		{ "{\"hooks\":{\"createRuntime\":[{\"path\":\"/x\",\"args\":\"x\"}]}}",
		  "hooks.createRuntime[0].args" },
		{ "{\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"env\":[\"FOO\"]}]}}",
		  "hooks.poststop[0].env[0]" },
		{ "{\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":0}]}}",
		  "hooks.poststop[0].timeout" },
		{ "{\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":-3}]}}",
		  "hooks.poststop[0].timeout" },
		{ "{\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":\"5\"}]}}",
		  "hooks.poststop[0].timeout" },
		{ "{\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":1.5}]}}",
		  "hooks.poststop[0].timeout" },
	};
	struct husk_error *err = NULL;
	struct oci_spec *spec = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(oci_spec_parse(bad[i].json, strlen(bad[i].json), &spec, &err) < 0,
			      "%s accepted", bad[i].json);
		ck_assert_msg(strstr(husk_error_message(err), bad[i].field), "%s: \"%s\"",
			      bad[i].json, husk_error_message(err));
		husk_error_free(err);
		err = NULL;
	}
}
END_TEST

/* A context for hooks of @kind: @hooks_json is that kind's array. */
static void ctx_of(struct oci_hook_ctx *ctx, const char *kind, const char *hooks_json)
{
	char json[4096];
	struct oci_spec *spec;

	snprintf(json, sizeof(json),
		 "{\"annotations\":{\"k\":\"v\",\"q\\\"\":\"x\"},\"hooks\":{\"%s\":%s}}", kind,
		 hooks_json);
	spec = spec_of(json);
	ck_assert_int_eq(oci_hook_ctx_init(ctx, spec, "ctr", "/run/b\"1", NULL), 0);
	oci_spec_free(spec);
}

START_TEST(state_json_fields)
{
	struct oci_hook_ctx ctx;
	char *state;
	size_t len;
	yajl_val root, ann;

	ctx_of(&ctx, "poststop", "[]");
	ck_assert_int_eq(oci_state_json(&ctx, "creating", 42, &state, &len, NULL), 0);
	ck_assert_int_eq(json_parse(state, len, "state", 8, &root, NULL), 0);
	ck_assert_str_eq(YAJL_GET_STRING(json_member(root, "ociVersion")), "1.0.2");
	ck_assert_str_eq(YAJL_GET_STRING(json_member(root, "id")), "ctr");
	ck_assert_str_eq(YAJL_GET_STRING(json_member(root, "status")), "creating");
	ck_assert_int_eq(YAJL_GET_INTEGER(json_member(root, "pid")), 42);
	ck_assert_str_eq(YAJL_GET_STRING(json_member(root, "bundle")), "/run/b\"1");
	ann = json_member(root, "annotations");
	ck_assert_str_eq(YAJL_GET_STRING(json_member(ann, "k")), "v");
	ck_assert_str_eq(YAJL_GET_STRING(json_member(ann, "q\"")), "x");
	yajl_tree_free(root);
	free(state);
	/* A stopped container has no pid. */
	ck_assert_int_eq(oci_state_json(&ctx, "stopped", 0, &state, &len, NULL), 0);
	ck_assert_ptr_null(strstr(state, "pid"));
	free(state);
	oci_hook_ctx_clear(&ctx);
}
END_TEST

static char tmp[64];

static void tmp_make(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/husk-hooks-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	reaper_thread_start();
}

static void tmp_remove(void)
{
	char cmd[128];

	reaper_thread_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

static char *file_text(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(hook_reads_the_state_on_stdin)
{
	struct oci_hook_ctx ctx;
	char hooks[512], out[128], *state;
	size_t len;

	snprintf(out, sizeof(out), "%s/state", tmp);
	snprintf(hooks, sizeof(hooks),
		 "[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat > %s\"],\"timeout\":10}]",
		 out);
	ctx_of(&ctx, "createRuntime", hooks);
	ck_assert_int_eq(oci_hooks_run(&ctx, OCI_HOOK_CREATE_RUNTIME, "creating", 42, NULL), 0);
	ck_assert_int_eq(oci_state_json(&ctx, "creating", 42, &state, &len, NULL), 0);
	ck_assert_str_eq(file_text(out), state);
	free(state);
	oci_hook_ctx_clear(&ctx);
}
END_TEST

START_TEST(hook_gets_args_and_env_as_given)
{
	/* argv and environ as the kernel saw them, in the error of a hook that fails. */
	static const char hooks[] =
		"[{\"path\":\"/bin/sh\",\"args\":[\"myhook\",\"-c\","
		"\"tr '\\\\000' ' ' < /proc/$$/cmdline; tr '\\\\000' ' ' < /proc/$$/environ; exit 7\"],"
		"\"env\":[\"FOO=bar baz\",\"X=1\"]}]";
	struct husk_error *err = NULL;
	struct oci_hook_ctx ctx;
	const char *msg;

	ctx_of(&ctx, "prestart", hooks);
	ck_assert_int_eq(oci_hooks_run(&ctx, OCI_HOOK_PRESTART, "creating", 1, &err), -EINVAL);
	msg = husk_error_message(err);
	ck_assert_msg(strstr(msg, "exited with status 7"), "%s", msg);
	ck_assert_msg(strstr(msg, ": myhook -c tr"), "%s", msg);
	ck_assert_msg(strstr(msg, "exit 7 FOO=bar baz X=1"), "%s", msg);
	husk_error_free(err);
	oci_hook_ctx_clear(&ctx);
}
END_TEST

START_TEST(failing_hook_error_has_path_status_and_output)
{
	struct husk_error *err = NULL;
	struct oci_hook_ctx ctx;
	char hooks[512], script[128];
	const char *msg;
	FILE *f;

	snprintf(script, sizeof(script), "%s/fail", tmp);
	f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#!/bin/sh\necho starting\necho boom: no GPU >&2\nexit 3\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(script, 0755), 0);
	snprintf(hooks, sizeof(hooks), "[{\"path\":\"%s\"}]", script);
	ctx_of(&ctx, "createRuntime", hooks);
	ck_assert_int_eq(oci_hooks_run(&ctx, OCI_HOOK_CREATE_RUNTIME, "creating", 1, &err),
			 -EINVAL);
	msg = husk_error_message(err);
	ck_assert_msg(strstr(msg, "createRuntime hook 0 of ctr"), "%s", msg);
	ck_assert_msg(strstr(msg, script), "%s", msg);
	ck_assert_msg(strstr(msg, "exited with status 3: starting\nboom: no GPU"), "%s", msg);
	husk_error_free(err);
	err = NULL;
	oci_hook_ctx_clear(&ctx);
	/* A path that is not there: said before any fork. */
	ctx_of(&ctx, "prestart", "[{\"path\":\"/nonexistent/hook\"}]");
	ck_assert_int_eq(oci_hooks_run(&ctx, OCI_HOOK_PRESTART, "creating", 1, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "/nonexistent/hook"));
	husk_error_free(err);
	oci_hook_ctx_clear(&ctx);
}
END_TEST

static void times_out(const char *hooks)
{
	struct husk_error *err = NULL;
	struct oci_hook_ctx ctx;
	int64_t t0 = husk_now_ms();

	ctx_of(&ctx, "prestart", hooks);
	ck_assert_int_eq(oci_hooks_run(&ctx, OCI_HOOK_PRESTART, "creating", 1, &err), -ETIMEDOUT);
	ck_assert_int_lt(husk_now_ms() - t0, 4000);
	ck_assert_int_ge(husk_now_ms() - t0, 900);
	ck_assert_msg(strstr(husk_error_message(err), "timeout of 1 s"), "%s",
		      husk_error_message(err));
	husk_error_free(err);
	oci_hook_ctx_clear(&ctx);
}

START_TEST(timeout_kills_the_hook)
{
	times_out("[{\"path\":\"/bin/sleep\",\"args\":[\"sleep\",\"100\"],\"timeout\":1}]");
	/* A child holding the output open goes with the group. */
	times_out("[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"sleep 100 & sleep 100\"],"
		  "\"timeout\":1}]");
}
END_TEST

START_TEST(poststop_failure_is_a_warning)
{
	struct oci_hook_ctx ctx;
	char hooks[512], out[128];

	snprintf(out, sizeof(out), "%s/ran", tmp);
	snprintf(hooks, sizeof(hooks),
		 "[{\"path\":\"/bin/false\"},"
		 "{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat > %s\"]}]",
		 out);
	ctx_of(&ctx, "poststop", hooks);
	ck_assert_int_eq(oci_hooks_run(&ctx, OCI_HOOK_POSTSTOP, "stopped", 0, NULL), 0);
	/* The second ran after the first failed. */
	ck_assert_ptr_nonnull(strstr(file_text(out), "\"status\":\"stopped\""));
	oci_hook_ctx_clear(&ctx);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_hooks");
	TCase *parse = tcase_create("parse");
	TCase *run = tcase_create("run");

	tcase_add_test(parse, parse_good_hooks);
	tcase_add_test(parse, hooks_in_the_vm_refused);
	tcase_add_test(parse, parse_bad_hooks_name_the_field);
	tcase_add_test(parse, state_json_fields);
	tcase_add_checked_fixture(run, tmp_make, tmp_remove);
	tcase_set_timeout(run, 30);
	tcase_add_test(run, hook_reads_the_state_on_stdin);
	tcase_add_test(run, hook_gets_args_and_env_as_given);
	tcase_add_test(run, failing_hook_error_has_path_status_and_output);
	tcase_add_test(run, timeout_kills_the_hook);
	tcase_add_test(run, poststop_failure_is_a_warning);
	suite_add_tcase(s, parse);
	suite_add_tcase(s, run);
	return s;
}

UNIT_MAIN()

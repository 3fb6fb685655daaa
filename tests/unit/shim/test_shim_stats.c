// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_stats.c - shim/sandbox/sandbox_stats.c and shim/task/
 * task_metrics.c: husk-init's STATS reply JSON read into struct shim_stats
 * and encoded as the io.containerd.cgroups.v2.Metrics Any that containerd's
 * CRI turns into ContainerStats (working set, RSS, page faults); and the
 * reader's refusals of a hostile guest's reply.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "agent-codec/json.h"
#include "common/error.h"
#include "shim/sandbox/sandbox_stats.h"
#include "shim/task/task_metrics.h"
#include "tests/lib/unit.h"

/* A reply as husk-init writes it for a running container. */
static const char guest_reply[] =
	"{\"cpu\":{\"usage_usec\":5000,\"user_usec\":3000,\"system_usec\":2000,"
	"\"nr_periods\":40,\"nr_throttled\":4,\"throttled_usec\":900},"
	"\"memory\":{\"current\":10485760,\"max\":-1,\"oom_kill\":1,"
	"\"anon\":6291456,\"file\":3145728,\"kernel_stack\":16384,\"slab\":200000,"
	"\"sock\":4096,\"shmem\":8192,\"file_mapped\":1048576,\"file_dirty\":12288,"
	"\"file_writeback\":4096,\"anon_thp\":2097152,\"inactive_anon\":1000000,"
	"\"active_anon\":5000000,\"inactive_file\":2097152,\"active_file\":1048576,"
	"\"unevictable\":77,\"pgfault\":12345,\"pgmajfault\":67},"
	"\"pids\":{\"current\":2,\"max\":100},"
	"\"io\":{\"rbytes\":4096,\"wbytes\":8192,\"rios\":3,\"wios\":5}}";

/* Parse @json as the guest's reply of container "c1" into @st. */
static int parse(const char *json, struct shim_stats *st, struct husk_error **err)
{
	yajl_val v = NULL;
	int ret;

	ck_assert_int_eq(json_parse(json, strlen(json), "reply", 16, &v, NULL), 0);
	ret = sandbox_stats_parse("c1", v, st, err);
	yajl_tree_free(v);
	return ret;
}

/* Encode @st and decode it again as containerd would. */
static Io__Containerd__Cgroups__V2__Metrics *round_trip(const struct shim_stats *st)
{
	Io__Containerd__Cgroups__V2__Metrics *m;
	Google__Protobuf__Any any;

	ck_assert_int_eq(task_metrics_pack(st, &any), 0);
	ck_assert_str_eq(any.type_url, "io.containerd.cgroups.v2.Metrics");
	m = io__containerd__cgroups__v2__metrics__unpack(NULL, any.value.len, any.value.data);
	pb_any_clear(&any);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(m->memory);
	ck_assert_ptr_nonnull(m->cpu);
	return m;
}

static void check_memory(const Io__Containerd__Cgroups__V2__MemoryStat *mem)
{
	ck_assert_uint_eq(mem->usage, 10485760);
	ck_assert_uint_eq(mem->usage_limit, UINT64_MAX); /* "max" */
	ck_assert_uint_eq(mem->anon, 6291456);		 /* CRI's rss_bytes */
	ck_assert_uint_eq(mem->file, 3145728);
	ck_assert_uint_eq(mem->kernel_stack, 16384);
	ck_assert_uint_eq(mem->slab, 200000);
	ck_assert_uint_eq(mem->sock, 4096);
	ck_assert_uint_eq(mem->shmem, 8192);
	ck_assert_uint_eq(mem->file_mapped, 1048576);
	ck_assert_uint_eq(mem->file_dirty, 12288);
	ck_assert_uint_eq(mem->file_writeback, 4096);
	ck_assert_uint_eq(mem->anon_thp, 2097152);
	ck_assert_uint_eq(mem->inactive_anon, 1000000);
	ck_assert_uint_eq(mem->active_anon, 5000000);
	ck_assert_uint_eq(mem->inactive_file, 2097152);
	ck_assert_uint_eq(mem->active_file, 1048576);
	ck_assert_uint_eq(mem->unevictable, 77);
	ck_assert_uint_eq(mem->pgfault, 12345);
	ck_assert_uint_eq(mem->pgmajfault, 67);
	/* the kubelet's working set: usage - inactive_file */
	ck_assert_uint_eq(mem->usage - mem->inactive_file, 8388608);
}

START_TEST(guest_reply_to_metrics)
{
	Io__Containerd__Cgroups__V2__Metrics *m;
	struct shim_stats st;

	ck_assert_int_eq(parse(guest_reply, &st, NULL), 0);
	m = round_trip(&st);
	check_memory(m->memory);
	ck_assert_uint_eq(m->cpu->usage_usec, 5000);
	ck_assert_uint_eq(m->cpu->user_usec, 3000);
	ck_assert_uint_eq(m->cpu->system_usec, 2000);
	ck_assert_uint_eq(m->cpu->nr_periods, 40);
	ck_assert_uint_eq(m->cpu->nr_throttled, 4);
	ck_assert_uint_eq(m->cpu->throttled_usec, 900);
	ck_assert_uint_eq(m->pids->current, 2);
	ck_assert_uint_eq(m->pids->limit, 100);
	ck_assert_uint_eq(m->io->n_usage, 1);
	ck_assert_uint_eq(m->io->usage[0]->rbytes, 4096);
	ck_assert_uint_eq(m->io->usage[0]->wbytes, 8192);
	ck_assert_uint_eq(m->io->usage[0]->rios, 3);
	ck_assert_uint_eq(m->io->usage[0]->wios, 5);
	ck_assert_uint_eq(m->memory_events->oom_kill, 1);
	io__containerd__cgroups__v2__metrics__free_unpacked(m, NULL);
}
END_TEST

/* What husk-init could not read it sends as -1; an older husk-init sends
 * no memory.stat keys at all: both are 0, not UINT64_MAX garbage. */
START_TEST(missing_and_unknown_are_zero)
{
	Io__Containerd__Cgroups__V2__Metrics *m;
	struct shim_stats st;

	ck_assert_int_eq(parse("{\"cpu\":{\"usage_usec\":-1},\"memory\":{\"current\":42,"
			       "\"anon\":-1,\"pgfault\":null},\"pids\":{\"max\":-1}}",
			       &st, NULL),
			 0);
	m = round_trip(&st);
	ck_assert_uint_eq(m->cpu->usage_usec, 0);
	ck_assert_uint_eq(m->memory->usage, 42);
	ck_assert_uint_eq(m->memory->anon, 0);
	ck_assert_uint_eq(m->memory->pgfault, 0);
	ck_assert_uint_eq(m->memory->inactive_file, 0);
	ck_assert_uint_eq(m->memory->usage_limit, 0);  /* missing: 0 */
	ck_assert_uint_eq(m->pids->limit, UINT64_MAX); /* -1: "max" */
	ck_assert_uint_eq(m->io->usage[0]->rios, 0);
	io__containerd__cgroups__v2__metrics__free_unpacked(m, NULL);
	ck_assert_int_eq(parse("{}", &st, NULL), 0);
	ck_assert_uint_eq(st.mem_anon, 0);
	ck_assert_uint_eq(st.mem_limit, 0);
}
END_TEST

/* @json is refused with EINVAL and an error naming @what. */
static void refused(const char *json, const char *what)
{
	struct husk_error *err = NULL;
	struct shim_stats st;

	ck_assert_int_eq(parse(json, &st, &err), -EINVAL);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(husk_error_errno(err), EINVAL);
	ck_assert_msg(strstr(husk_error_message(err), what), "%s: %s", json,
		      husk_error_message(err));
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "stats of c1"));
	husk_error_free(err);
}

START_TEST(hostile_replies_refused)
{
	refused("[1,2]", "not a JSON object");
	refused("{\"memory\":[1]}", "memory: not an object");
	refused("{\"memory\":7}", "memory: not an object");
	refused("{\"memory\":{\"anon\":\"123\"}}", "memory.anon: not a 64-bit integer");
	refused("{\"memory\":{\"pgfault\":1.5}}", "memory.pgfault: not a 64-bit integer");
	refused("{\"memory\":{\"inactive_file\":true}}", "memory.inactive_file");
	refused("{\"cpu\":{\"nr_periods\":{}}}", "cpu.nr_periods");
	refused("{\"io\":{\"wios\":[]}}", "io.wios");
	/* beyond int64: yajl holds it as a double only */
	refused("{\"memory\":{\"pgmajfault\":18446744073709551616}}", "memory.pgmajfault");
	refused("{\"memory\":{\"anon\":1e300}}", "memory.anon");
}
END_TEST

/* The largest number the guest can send passes through unchanged;
 * unknown groups and keys are ignored. */
START_TEST(huge_and_unknown_keys)
{
	struct shim_stats st;

	ck_assert_int_eq(parse("{\"memory\":{\"anon\":9223372036854775807,\"anon_x\":\"?\"},"
			       "\"hugetlb\":[1],\"cpu\":{\"usage_usec\":1}}",
			       &st, NULL),
			 0);
	ck_assert_uint_eq(st.mem_anon, INT64_MAX);
	ck_assert_uint_eq(st.cpu_usage_usec, 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_stats");
	TCase *tc = tcase_create("stats");

	tcase_add_test(tc, guest_reply_to_metrics);
	tcase_add_test(tc, missing_and_unknown_are_zero);
	tcase_add_test(tc, hostile_replies_refused);
	tcase_add_test(tc, huge_and_unknown_keys);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()

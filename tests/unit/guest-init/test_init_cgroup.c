// SPDX-License-Identifier: Apache-2.0
/*
 * test_init_cgroup.c - guest-init/container/cgroup_keys.c: the values STATS
 * reports picked out of memory.stat and cpu.stat text by whole key, from
 * a temporary file read as husk-init reads the cgroup's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-init/container/cgroup_keys.h"
#include "tests/lib/unit.h"

/* Write @text to a temporary file and read it back into @buf, the way
 * cgroup_stats.c reads memory.stat: one read of the whole file. */
static void via_file(const char *text, char *buf, size_t size)
{
	char path[] = "/tmp/husk-memstat-XXXXXX";
	int fd = mkstemp(path);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, buf, size - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	unlink(path);
}

START_TEST(memory_stat_whole_keys)
{
	static const char *const keys[] = { "anon",	     "anon_thp",    "file",
					    "file_mapped",   "pgfault",	    "pgmajfault",
					    "inactive_file", "active_file", "sock" };
	int64_t v[9];
	char buf[4096];

	/* prefixes of a wanted key come first, longer keys before shorter */
	via_file("anon_thp 7\nanon 123\nfile_mapped 5\nfile 9\nfile_dirty 0\n"
		 "active_file 40\ninactive_file 30\npgmajfault 2\npgfault 1000\n"
		 "workingset_refault_anon 0\n",
		 buf, sizeof(buf));
	cgroup_keys_pick(buf, keys, v, 9);
	ck_assert_int_eq(v[0], 123);
	ck_assert_int_eq(v[1], 7);
	ck_assert_int_eq(v[2], 9);
	ck_assert_int_eq(v[3], 5);
	ck_assert_int_eq(v[4], 1000);
	ck_assert_int_eq(v[5], 2);
	ck_assert_int_eq(v[6], 30);
	ck_assert_int_eq(v[7], 40);
	ck_assert_int_eq(v[8], -1); /* not in the file */
}
END_TEST

START_TEST(cpu_stat_and_order)
{
	static const char *const keys[] = { "usage_usec", "user_usec", "nr_throttled",
					    "throttled_usec" };
	int64_t v[4];

	cgroup_keys_pick("usage_usec 900\nuser_usec 600\nsystem_usec 300\nnr_periods 10\n"
			 "nr_throttled 2\nthrottled_usec 77\n",
			 keys, v, 4);
	ck_assert_int_eq(v[0], 900);
	ck_assert_int_eq(v[1], 600);
	ck_assert_int_eq(v[2], 2);
	ck_assert_int_eq(v[3], 77);
}
END_TEST

/* What the kernel never writes still reads as "unknown", never a guess. */
START_TEST(malformed_lines_unknown)
{
	static const char *const keys[] = { "anon", "file", "shmem", "slab", "sock", "pgfault" };
	int64_t v[6];

	cgroup_keys_pick("anon\nfile x\nshmem -5\nslab 99999999999999999999\n"
			 " sock 3\npgfault 12",
			 keys, v, 6);
	ck_assert_int_eq(v[0], -1); /* no value */
	ck_assert_int_eq(v[1], -1); /* not a number */
	ck_assert_int_eq(v[2], -1); /* negative */
	ck_assert_int_eq(v[3], -1); /* beyond int64 */
	ck_assert_int_eq(v[4], -1); /* key " sock" is not "sock" */
	ck_assert_int_eq(v[5], -1); /* last line cut short (no newline) */
	cgroup_keys_pick("", keys, v, 6);
	ck_assert_int_eq(v[0], -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("init_cgroup");
	TCase *tc = tcase_create("keys");

	tcase_add_test(tc, memory_stat_whole_keys);
	tcase_add_test(tc, cpu_stat_and_order);
	tcase_add_test(tc, malformed_lines_unknown);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()

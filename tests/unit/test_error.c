// SPDX-License-Identifier: Apache-2.0
/* test_error.c - common/error.c: messages, errno, wrapping, relaying, NULL handling. */
#include <errno.h>
#include <string.h>

#include "common/error.h"
#include "tests/lib/unit.h"

START_TEST(err_appends_strerror)
{
	struct husk_error *e = NULL;

	ck_assert_int_eq(husk_err(&e, ENOENT, "open %s", "/dev/kvm"), -ENOENT);
	ck_assert_str_eq(husk_error_message(e), "open /dev/kvm: No such file or directory");
	ck_assert_int_eq(husk_error_errno(e), ENOENT);
	husk_error_free(e);
}
END_TEST

START_TEST(err_plain_is_einval_without_suffix)
{
	struct husk_error *e = NULL;

	ck_assert_int_eq(husk_err(&e, 0, "bzImage: setup header magic missing"), -EINVAL);
	ck_assert_str_eq(husk_error_message(e), "bzImage: setup header magic missing");
	ck_assert_int_eq(husk_error_errno(e), EINVAL);
	husk_error_free(e);
}
END_TEST

START_TEST(err_wrap_prefixes_context)
{
	struct husk_error *e = NULL;

	husk_err(&e, EACCES, "open %s", "disk.img");
	ck_assert_int_eq(husk_err_wrap(&e, "disk %d", 2), -EACCES);
	ck_assert_str_eq(husk_error_message(e), "disk 2: open disk.img: Permission denied");
	husk_error_free(e);
}
END_TEST

START_TEST(err_relay_keeps_message_and_errno)
{
	struct husk_error *e = NULL;

	ck_assert_int_eq(husk_err_received(&e, -ESRCH, "kill: husk-init: %s", "c9: not found"),
			 -ESRCH);
	ck_assert_str_eq(husk_error_message(e), "kill: husk-init: c9: not found");
	ck_assert_int_eq(husk_error_errno(e), ESRCH);
	husk_error_free(e);
	ck_assert_int_eq(husk_err_received(NULL, EIO, "nobody reads this"), -EIO);
}
END_TEST

START_TEST(err_null_sink_and_replace)
{
	struct husk_error *e = NULL;

	ck_assert_int_eq(husk_err(NULL, EIO, "x"), -EIO);
	ck_assert_int_eq(husk_err_wrap(NULL, "y"), -EINVAL);
	husk_err(&e, EIO, "first");
	husk_err(&e, EBUSY, "second");
	ck_assert_str_eq(husk_error_message(e), "second: Device or resource busy");
	husk_error_free(e);
	husk_error_free(NULL);
	ck_assert_str_eq(husk_error_message(NULL), "no error");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, err_appends_strerror);
	tcase_add_test(tc, err_plain_is_einval_without_suffix);
	tcase_add_test(tc, err_wrap_prefixes_context);
	tcase_add_test(tc, err_null_sink_and_replace);
	tcase_add_test(tc, err_relay_keeps_message_and_errno);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()

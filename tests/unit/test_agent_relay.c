// SPDX-License-Identifier: Apache-2.0
/*
 * test_agent_relay.c - the RELAY_STATUS reply codec (agent-codec/
 * agent_relay_msg.c): what husk-init writes reads back the same, and a
 * bad, truncated or oversized reply is refused with a message naming the
 * entry and field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-codec/agent_relay_msg.h"
#include "common/error.h"
#include "tests/lib/unit.h"

/* A whole reply as husk-init builds it, from @n entries of @s. */
static char *reply_text(const struct amsg_relay_stream *s, size_t n, long long total)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t i, len;
	char *text;

	yajl_gen_map_open(g);
	json_write_key(g, "streams");
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		amsg_relay_write_stream(g, &s[i]);
	yajl_gen_array_close(g);
	json_write_int(g, "total", total);
	json_write_bool(g, "truncated", total > (long long)n);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	text = strndup((const char *)buf, len);
	yajl_gen_free(g);
	return text;
}

static struct amsg_relay_stream sample(int stream, enum amsg_relay_state st)
{
	struct amsg_relay_stream s = { .pid = 42, .stream = stream, .state = st };

	snprintf(s.id, sizeof(s.id), "c1");
	snprintf(s.exec_id, sizeof(s.exec_id), "%s", stream == 0 ? "e1" : "");
	s.moved = 5000000000ull; /* past 32 bits */
	s.buffered = 16384;
	s.idle_ms = 1234;
	s.eof = stream == 2;
	return s;
}

START_TEST(relay_round_trip)
{
	struct amsg_relay_stream in[3] = { sample(0, AMSG_RELAY_WAIT_SRC),
					   sample(1, AMSG_RELAY_WAIT_DST),
					   sample(2, AMSG_RELAY_CLOSED) };
	struct amsg_relay_status *out = malloc(sizeof(*out));
	struct husk_error *e = NULL;
	char *text = reply_text(in, 3, 3);
	size_t i;

	ck_assert_int_eq(amsg_relay_decode(text, strlen(text), out, &e), 0);
	ck_assert_uint_eq(out->n, 3);
	ck_assert_int_eq(out->total, 3);
	ck_assert(!out->truncated);
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(out->s[i].id, "c1");
		ck_assert_str_eq(out->s[i].exec_id, in[i].exec_id);
		ck_assert_int_eq(out->s[i].pid, 42);
		ck_assert_int_eq(out->s[i].stream, (int)i);
		ck_assert_int_eq(out->s[i].state, in[i].state);
		ck_assert(out->s[i].moved == 5000000000ull);
		ck_assert_uint_eq(out->s[i].buffered, 16384);
		ck_assert_int_eq(out->s[i].idle_ms, 1234);
		ck_assert_int_eq(out->s[i].eof, i == 2);
	}
	ck_assert_str_eq(amsg_relay_state_name(AMSG_RELAY_WAIT_DST), "waiting_destination");
	ck_assert_str_eq(amsg_relay_stream_name(7), "?");
	free(text);
	free(out);
}
END_TEST

/* A truncated list says so, and "total" must agree with it. */
START_TEST(relay_truncated)
{
	struct amsg_relay_stream in[1] = { sample(1, AMSG_RELAY_UNBOUND) };
	struct amsg_relay_status *out = malloc(sizeof(*out));
	struct husk_error *e = NULL;
	char *text = reply_text(in, 1, 200);

	ck_assert_int_eq(amsg_relay_decode(text, strlen(text), out, &e), 0);
	ck_assert(out->truncated);
	ck_assert_int_eq(out->total, 200);
	ck_assert_uint_eq(out->n, 1);
	free(text);
	free(out);
}
END_TEST

static void expect_bad(const char *json, const char *needle)
{
	struct amsg_relay_status *out = malloc(sizeof(*out));
	struct husk_error *e = NULL;

	ck_assert_int_eq(amsg_relay_decode(json, strlen(json), out, &e), -EINVAL);
	ck_assert_ptr_nonnull(e);
	if (!strstr(husk_error_message(e), needle))
		ck_abort_msg("\"%s\" -> \"%s\", wanted \"%s\"", json, husk_error_message(e),
			     needle);
	husk_error_free(e);
	free(out);
}

#define ENTRY_HEAD "{\"streams\":[{\"id\":\"c1\",\"pid\":1,"
#define ENTRY_TAIL ",\"moved\":1,\"buffered\":0,\"idle_ms\":3}],\"total\":1}"

START_TEST(relay_rejects)
{
	expect_bad("", "\"streams\" is missing");
	expect_bad("[1]", "not a JSON object");
	expect_bad("{\"streams\":[{\"id\":\"c1\"", "invalid JSON"); /* cut short */
	expect_bad("{\"streams\":{}}", "no array");
	expect_bad("{\"streams\":[7],\"total\":1}", "streams[0]: not an object");
	expect_bad(ENTRY_HEAD "\"stream\":\"stdmoo\",\"state\":\"closed\"" ENTRY_TAIL,
		   "streams[0]: \"stream\" \"stdmoo\"");
	expect_bad(ENTRY_HEAD "\"stream\":\"stdout\",\"state\":\"stuck\"" ENTRY_TAIL,
		   "\"state\" \"stuck\" is not a relay state");
	expect_bad(ENTRY_HEAD "\"stream\":\"stdout\",\"state\":\"closed\",\"moved\":-1,"
			      "\"buffered\":0,\"idle_ms\":3}],\"total\":1}",
		   "\"moved\" is missing or negative");
	expect_bad(ENTRY_HEAD "\"stream\":\"stdout\",\"state\":\"closed\",\"buffered\":0,"
			      "\"idle_ms\":3}],\"total\":1}",
		   "\"moved\" is missing");
	expect_bad("{\"streams\":[{\"id\":\"../x\",\"pid\":1}]}", "container id");
	expect_bad(ENTRY_HEAD "\"stream\":\"stdout\",\"state\":\"closed\"" ENTRY_TAIL
			      ",\"total\":0",
		   "invalid JSON");
	expect_bad(ENTRY_HEAD "\"stream\":\"stdout\",\"state\":\"closed\",\"moved\":1,"
			      "\"buffered\":0,\"idle_ms\":3}],\"total\":0}",
		   "\"total\" 0 does not fit 1 entries");
	expect_bad(ENTRY_HEAD "\"stream\":\"stdout\",\"state\":\"closed\",\"moved\":1,"
			      "\"buffered\":0,\"idle_ms\":3}],\"total\":1,\"truncated\":true}",
		   "does not fit");
	expect_bad(ENTRY_HEAD "\"stream\":\"stdout\",\"state\":1" ENTRY_TAIL,
		   "\"state\" is not a string");
}
END_TEST

/* More entries than the cap is refused before any is copied. */
START_TEST(relay_too_many)
{
	struct amsg_relay_stream in[HUSK_AGENT_MAX_RELAY_STREAMS + 1];
	char *text;
	size_t i;

	for (i = 0; i <= HUSK_AGENT_MAX_RELAY_STREAMS; i++)
		in[i] = sample(1, AMSG_RELAY_WAIT_SRC);
	text = reply_text(in, HUSK_AGENT_MAX_RELAY_STREAMS + 1, HUSK_AGENT_MAX_RELAY_STREAMS + 1);
	expect_bad(text, "65 streams, more than 64");
	free(text);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("agent_relay");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, relay_round_trip);
	tcase_add_test(tc, relay_truncated);
	tcase_add_test(tc, relay_rejects);
	tcase_add_test(tc, relay_too_many);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()

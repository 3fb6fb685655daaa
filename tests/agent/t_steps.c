// SPDX-License-Identifier: Apache-2.0
/*
 * t_steps.c - CREATE's and START's "steps": husk-init names where each
 * request's time went, every step once, in order, as whole milliseconds
 * that add up to the total (the numbers themselves are not checked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/agent/suite.h"

#define STEPS_PREFIX "husk-init (ms): "
#define CREATE_STEPS \
	"parse ns files share rootfs cgroup streams fork attach unshare mounts pivot finish ready keep"
#define START_STEPS "parse exec"

/*
 * The names of "husk-init (ms): NAME MS, ...; total MS" into @names
 * (space-separated); false unless the line has that form and its whole
 * numbers add up to the total.
 */
static bool steps_names(const char *line, char *names, size_t len)
{
	unsigned long long ms, sum = 0, total;
	const char *q;
	char name[32];
	int n = 0;

	names[0] = '\0';
	if (!line || strncmp(line, STEPS_PREFIX, strlen(STEPS_PREFIX)))
		return false;
	for (q = line + strlen(STEPS_PREFIX);; q += n + 2) {
		if (sscanf(q, "%31[a-z] %llu%n", name, &ms, &n) != 2)
			return false;
		sum += ms;
		snprintf(names + strlen(names), len - strlen(names), "%s%s", names[0] ? " " : "",
			 name);
		if (strncmp(q + n, ", ", 2))
			break;
	}
	q += n;
	n = 0;
	return sscanf(q, "; total %llu%n", &total, &n) == 1 && n > 0 && !q[n] && total == sum;
}

/* @m's "steps" name exactly @want; else @why says what they were. */
static bool steps_are(const struct ac_msg *m, const char *want, char *why)
{
	const char *line = ac_str(m, "steps");
	char names[256];

	if (steps_names(line, names, sizeof(names)) && !strcmp(names, want))
		return true;
	snprintf(why, 512, "steps \"%s\", wanted names \"%s\"", line ? line : "(none)", want);
	return false;
}

void tests_steps(struct suite *s)
{
	struct tspec t = { .sh = "exit 0" };
	char why[512] = "", *json = create_json(s, "st-1", &t, NULL);
	struct ac_msg *m = json ? must(s, HUSK_MSG_CREATE, json, why) : NULL;

	free(json);
	if (!m) {
		suite_fail(s, "create-steps", "CREATE: %s", why);
		return;
	}
	if (steps_are(m, CREATE_STEPS, why))
		suite_pass(s, "create-steps");
	else
		suite_fail(s, "create-steps", "%s", why);
	ac_msg_free(m);
	m = must(s, HUSK_MSG_START, "{\"id\":\"st-1\"}", why);
	if (m && steps_are(m, START_STEPS, why))
		suite_pass(s, "start-steps");
	else
		suite_fail(s, "start-steps", "%s", why);
	ac_msg_free(m);
	delete_quiet(s, "st-1");
}

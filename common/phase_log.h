/* SPDX-License-Identifier: Apache-2.0 */
/*
 * phase_log.h - a recorder of where the time of a sequence goes: named
 * marks with CLOCK_MONOTONIC timestamps after a start, printed as ONE line
 * of per-phase milliseconds, e.g.
 *
 *   start phases of c1 (ms): spec 1, share 0, virtiofsd 12; total 13
 *
 * Each number is the time from the previous mark (the first: from the
 * start) to the mark of that name, so a name labels the step that ended
 * there. Marks are floored to whole milliseconds since the start and the
 * numbers are their differences: they are never negative and add up to
 * the total exactly. A mark never goes back in time: one taken before the
 * last (a timestamp of another thread, libhusk's first KVM_RUN) counts as
 * taken at the last, a 0 ms phase.
 *
 * The shim keeps one per container for its start (task Create request to
 * Start answered) and one for its teardown (kill or exit to the shim's
 * exit), husk-init one per CREATE and START (their "steps", in the
 * reply); ARCHITECTURE.md lists the names. No locking: the owner
 * guards its log. No allocation: names are string literals, kept by
 * pointer.
 */
#ifndef HUSK_COMMON_PHASE_LOG_H
#define HUSK_COMMON_PHASE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHASE_LOG_MAX 24 /* marks kept; more are counted as dropped */

struct phase_mark {
	const char *name; /* static storage */
	uint64_t ns;	  /* CLOCK_MONOTONIC, >= the previous mark's */
};

struct phase_log {
	uint64_t t0_ns; /* the start; 0: not started */
	size_t n;
	size_t dropped; /* marks past PHASE_LOG_MAX */
	struct phase_mark marks[PHASE_LOG_MAX];
};

/* phase_log_start - forget any marks; the sequence starts at @t0_ns (nonzero). */
void phase_log_start(struct phase_log *pl, uint64_t t0_ns);

/* phase_log_started - has @pl a start (it was started or marked)? */
bool phase_log_started(const struct phase_log *pl);

/*
 * phase_log_mark_at - @name happened at @ns (CLOCK_MONOTONIC). A log not
 * started starts there (a first phase of 0 ms). @pl NULL or @ns 0 (the
 * event never happened): nothing.
 */
void phase_log_mark_at(struct phase_log *pl, const char *name, uint64_t ns);

/* phase_log_mark - @name happened now. */
void phase_log_mark(struct phase_log *pl, const char *name);

/*
 * phase_log_format - "@title (ms): NAME MS, NAME MS; total MS" into @buf
 * (with "; N marks dropped" after the total when there were), truncated
 * to @len. Returns the length the whole line has, as snprintf does.
 */
size_t phase_log_format(const struct phase_log *pl, const char *title, char *buf, size_t len);

#endif

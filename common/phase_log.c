// SPDX-License-Identifier: Apache-2.0
/* phase_log.c - named timestamps and their one-line summary (see phase_log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/phase_log.h"

void phase_log_start(struct phase_log *pl, uint64_t t0_ns)
{
	memset(pl, 0, sizeof(*pl));
	pl->t0_ns = t0_ns;
}

bool phase_log_started(const struct phase_log *pl)
{
	return pl->t0_ns != 0;
}

void phase_log_mark_at(struct phase_log *pl, const char *name, uint64_t ns)
{
	uint64_t floor_ns;

	if (!pl || !ns)
		return;
	if (!pl->t0_ns)
		phase_log_start(pl, ns);
	if (pl->n == PHASE_LOG_MAX) {
		pl->dropped++;
		return;
	}
	floor_ns = pl->n ? pl->marks[pl->n - 1].ns : pl->t0_ns;
	pl->marks[pl->n++] = (struct phase_mark){ name, ns < floor_ns ? floor_ns : ns };
}

void phase_log_mark(struct phase_log *pl, const char *name)
{
	phase_log_mark_at(pl, name, husk_now_ns());
}

/* Append to @buf as snprintf would at offset @off (past @len: only counted). */
__attribute__((format(printf, 4, 5))) static size_t put(char *buf, size_t len, size_t off,
							const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(off < len ? buf + off : NULL, off < len ? len - off : 0, fmt, ap);
	va_end(ap);
	return off + (n > 0 ? (size_t)n : 0);
}

size_t phase_log_format(const struct phase_log *pl, const char *title, char *buf, size_t len)
{
	unsigned long long prev = 0, at;
	size_t i, off;

	off = put(buf, len, 0, "%s (ms): ", title);
	for (i = 0; i < pl->n; i++) {
		at = (pl->marks[i].ns - pl->t0_ns) / 1000000;
		off = put(buf, len, off, "%s%s %llu", i ? ", " : "", pl->marks[i].name, at - prev);
		prev = at;
	}
	off = put(buf, len, off, "%stotal %llu", pl->n ? "; " : "", prev);
	if (pl->dropped)
		off = put(buf, len, off, "; %zu marks dropped", pl->dropped);
	return off;
}

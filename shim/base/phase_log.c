// SPDX-License-Identifier: Apache-2.0
/* phase_log.c - a phase line logged at debug level (see phase_log.h). */
#include "shim/base/phase_log.h"
#include "shim/base/shim_log.h"

void phase_log_debug(const struct phase_log *pl, const char *title)
{
	char line[1024];

	phase_log_format(pl, title, line, sizeof(line));
	shim_debug("%s", line);
}

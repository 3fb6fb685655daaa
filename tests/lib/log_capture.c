// SPDX-License-Identifier: Apache-2.0
/* log_capture.c - see log_capture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/base/log.h"
#include "tests/lib/log_capture.h"

static void log_capture_fn(void *opaque, int level, const char *msg)
{
	struct log_capture *lc = opaque;
	size_t n;

	pthread_mutex_lock(&lc->lock);
	if (level == HUSK_LOG_ERROR)
		lc->errors++;
	n = strlen(lc->text);
	snprintf(lc->text + n, sizeof(lc->text) - n, "%d %s\n", level, msg);
	pthread_mutex_unlock(&lc->lock);
}

const struct log_sink *log_capture_init(struct log_capture *lc)
{
	memset(lc, 0, sizeof(*lc));
	pthread_mutex_init(&lc->lock, NULL);
	lc->sink = calloc(1, sizeof(*lc->sink));
	if (!lc->sink)
		abort();
	*lc->sink = (struct log_sink){ log_capture_fn, lc, HUSK_LOG_DEBUG };
	return lc->sink;
}

void log_capture_fini(struct log_capture *lc)
{
	free(lc->sink);
	lc->sink = NULL;
	pthread_mutex_destroy(&lc->lock);
}

int log_capture_has(struct log_capture *lc, const char *s)
{
	int found;

	pthread_mutex_lock(&lc->lock);
	found = strstr(lc->text, s) != NULL;
	pthread_mutex_unlock(&lc->lock);
	return found;
}

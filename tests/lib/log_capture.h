/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_capture.h - a libhusk log sink (vmm/base/log.h) that keeps what it is
 * told, for tests asserting on library log lines. The sink is opaque here,
 * so that test files need not include vmm/base/log.h.
 */
#ifndef HUSK_TESTS_LOG_CAPTURE_H
#define HUSK_TESTS_LOG_CAPTURE_H

#include <pthread.h>

struct log_sink;

struct log_capture {
	pthread_mutex_t lock;
	char text[8192];     /* "LEVEL message\n" per line, truncated when full */
	unsigned int errors; /* HUSK_LOG_ERROR lines */
	struct log_sink *sink;
};

/* log_capture_init - every level down to debug; returns the sink to pass. */
const struct log_sink *log_capture_init(struct log_capture *lc);
void log_capture_fini(struct log_capture *lc);

/* log_capture_has - true when a line contains @s. */
int log_capture_has(struct log_capture *lc, const char *s);

#endif

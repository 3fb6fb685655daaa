// SPDX-License-Identifier: Apache-2.0
/* ready_line.c - read a daemon's "ok" or error line (ready_line.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/base/ready_line.h"

int ready_line_read(int fd, int timeout_ms, const char *who, struct husk_error **err)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char msg[512];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(msg) - 1 && !memchr(msg, '\n', got)) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return husk_err(err, ETIMEDOUT, "%s did not get ready in %d ms", who,
					timeout_ms);
		n = read(fd, msg + got, sizeof(msg) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	msg[got] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	if (!strcmp(msg, "ok"))
		return 0;
	if (!got)
		return husk_err(err, ECONNRESET, "%s exited before it was ready", who);
	husk_err(err, 0, "%s: %s", who, msg);
	return -1;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_net_netns.c - running work inside another network namespace
 * (sandbox_net.h): setup, teardown and the cleanup of a killed shim's
 * records all do their rtnetlink requests there.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/net/sandbox_net.h"

struct sandbox_net_job {
	const char *netns;
	int (*fn)(void *arg, struct husk_error **err);
	void *arg;
	struct husk_error **err;
	int ret;
};

/* setns(2) moves only this thread, which ends right after the work. */
static void *sandbox_net_thread(void *p)
{
	struct sandbox_net_job *job = p;
	int fd = open(job->netns, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		job->ret = husk_err(job->err, errno, "network namespace %s", job->netns);
		return NULL;
	}
	if (setns(fd, CLONE_NEWNET) < 0)
		job->ret = husk_err(job->err, errno, "enter network namespace %s", job->netns);
	else
		job->ret = job->fn(job->arg, job->err);
	close(fd);
	return NULL;
}

int sandbox_net_run_in(const char *netns, int (*fn)(void *arg, struct husk_error **err), void *arg,
		       struct husk_error **err)
{
	struct sandbox_net_job job = { .netns = netns, .fn = fn, .arg = arg, .err = err };
	pthread_t t;
	int ret;

	ret = pthread_create(&t, NULL, sandbox_net_thread, &job);
	if (ret)
		return husk_err(err, ret, "network namespace thread");
	pthread_join(t, NULL);
	return job.ret;
}

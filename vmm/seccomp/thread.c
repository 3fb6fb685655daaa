// SPDX-License-Identifier: Apache-2.0
/*
 * thread.c - install a thread kind's filter (seccomp.h) and start
 * threads that install theirs before doing anything else.
 */
#include <errno.h>
#include <string.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/seccomp/seccomp.h"

int seccomp_install(enum seccomp_thread_kind kind)
{
	const struct seccomp_rules *sets;
	struct seccomp_prog p;
	struct sock_fprog fprog;
	size_t n = seccomp_policy(kind, &sets);
	int ret;

	/* The kick signal is vcpu.c's vcpu_kick_signal(), SIGRTMIN (husk.h reserves it). */
	ret = seccomp_prog_build(&p, sets, n, SECCOMP_RET_KILL_PROCESS, (uint32_t)SIGRTMIN);
	if (ret < 0)
		return ret;
	/*
	 * Error messages on this thread go through strerror(); in a translated
	 * locale glibc opens its message catalog on first use, which the
	 * filter would not allow: load it now.
	 */
	(void)strerror(EINVAL);
	fprog = (struct sock_fprog){ .len = p.len, .filter = p.insns };
	/* Without CAP_SYS_ADMIN the kernel insists; it binds this thread only. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* No SECCOMP_FILTER_FLAG_TSYNC: the filter binds this thread alone. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
		return -errno;
	return 0;
}

/* What the new thread needs, on the creator's stack until it reports. */
struct seccomp_start {
	void *(*fn)(void *);
	void *arg;
	enum seccomp_thread_kind kind;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int result;
};

static void *seccomp_thread_main(void *opaque)
{
	struct seccomp_start *s = opaque;
	void *(*fn)(void *) = s->fn;
	void *arg = s->arg;
	int ret = seccomp_install(s->kind);

	pthread_mutex_lock(&s->lock);
	s->result = ret;
	s->done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	/* @s may be gone from here on. Unfiltered, the work must not run. */
	return ret < 0 ? NULL : fn(arg);
}

static int seccomp_start_wait(struct seccomp_start *s)
{
	int ret;

	pthread_mutex_lock(&s->lock);
	while (!s->done)
		pthread_cond_wait(&s->cond, &s->lock);
	ret = s->result;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int seccomp_thread_create(pthread_t *t, void *(*fn)(void *), void *arg, bool filtered,
			  enum seccomp_thread_kind kind, struct husk_error **err)
{
	struct seccomp_start s = { .fn = fn, .arg = arg, .kind = kind };
	int ret;

	if (!filtered) {
		ret = pthread_create(t, NULL, fn, arg);
		return ret ? husk_err(err, ret, "pthread_create") : 0;
	}
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	ret = pthread_create(t, NULL, seccomp_thread_main, &s);
	if (ret) {
		ret = husk_err(err, ret, "pthread_create");
	} else {
		ret = seccomp_start_wait(&s);
		if (ret < 0) {
			pthread_join(*t, NULL);
			ret = husk_err(err, -ret, "seccomp filter for a %s thread",
				       seccomp_thread_kind_name(kind));
		}
	}
	pthread_mutex_destroy(&s.lock);
	pthread_cond_destroy(&s.cond);
	return ret;
}

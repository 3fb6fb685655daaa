// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_task.c - shim/task_*.c: the Task service over the fake backend,
 * called over a real Unix socket with the ttrpc client: state machine,
 * status codes, Wait concurrency, event order.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/shim_harness.h"
#include "tests/lib/unit.h"

static struct harness h;

static void setup(void)
{
	ck_assert_int_eq(harness_up(&h), 0);
}

static void teardown(void)
{
	harness_down(&h);
}

static int do_create_cfg(const char *id, const char *config, uint32_t *pid)
{
	Containerd__Task__V2__CreateTaskRequest rq =
		CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
	Containerd__Task__V2__CreateTaskResponse *r;
	struct ttrpc_result res;
	char bundle[256];
	int code;

	ck_assert_int_eq(harness_bundle(&h, id, config, bundle, sizeof(bundle)), 0);
	rq.id = (char *)id;
	rq.bundle = bundle;
	ck_assert_int_eq(harness_call(&h, "Create", &rq.base, &res), 0);
	code = res.code;
	if (!code && pid) {
		r = containerd__task__v2__create_task_response__unpack(NULL, res.payload_len,
								       res.payload);
		ck_assert_ptr_nonnull(r);
		*pid = r->pid;
		containerd__task__v2__create_task_response__free_unpacked(r, NULL);
	}
	ttrpc_result_clear(&res);
	return code;
}

static int do_create(const char *id, uint32_t *pid)
{
	return do_create_cfg(id, NULL, pid);
}

static int do_start(const char *id, const char *exec_id, uint32_t *pid)
{
	Containerd__Task__V2__StartRequest rq = CONTAINERD__TASK__V2__START_REQUEST__INIT;
	Containerd__Task__V2__StartResponse *r;
	struct ttrpc_result res;
	int code;

	rq.id = (char *)id;
	rq.exec_id = (char *)(exec_id ? exec_id : "");
	ck_assert_int_eq(harness_call(&h, "Start", &rq.base, &res), 0);
	code = res.code;
	if (!code && pid) {
		r = containerd__task__v2__start_response__unpack(NULL, res.payload_len,
								 res.payload);
		*pid = r ? r->pid : 0;
		containerd__task__v2__start_response__free_unpacked(r, NULL);
	}
	ttrpc_result_clear(&res);
	return code;
}

/* IdExec requests (Delete, Wait, State) share field numbers 1 and 2. */
static int do_idexec(const char *method, const char *id, const char *exec_id,
		     struct ttrpc_result *res)
{
	Containerd__Task__V2__StateRequest rq = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;

	rq.id = (char *)id;
	rq.exec_id = (char *)(exec_id ? exec_id : "");
	ck_assert_int_eq(harness_call(&h, method, &rq.base, res), 0);
	return res->code;
}

static int do_state(const char *id, const char *exec_id, int *status, uint32_t *exit_status)
{
	Containerd__Task__V2__StateResponse *r;
	struct ttrpc_result res;
	int code = do_idexec("State", id, exec_id, &res);

	if (!code) {
		r = containerd__task__v2__state_response__unpack(NULL, res.payload_len,
								 res.payload);
		ck_assert_ptr_nonnull(r);
		*status = r->status;
		if (exit_status)
			*exit_status = r->exit_status;
		ck_assert_ptr_nonnull(r->exited_at);
		containerd__task__v2__state_response__free_unpacked(r, NULL);
	}
	ttrpc_result_clear(&res);
	return code;
}

static int do_delete(const char *id, const char *exec_id, uint32_t *exit_status)
{
	Containerd__Task__V2__DeleteResponse *r;
	struct ttrpc_result res;
	int code = do_idexec("Delete", id, exec_id, &res);

	if (!code && exit_status) {
		r = containerd__task__v2__delete_response__unpack(NULL, res.payload_len,
								  res.payload);
		ck_assert_ptr_nonnull(r);
		*exit_status = r->exit_status;
		ck_assert_ptr_nonnull(r->exited_at);
		ck_assert_int_gt(r->exited_at->seconds, 0);
		containerd__task__v2__delete_response__free_unpacked(r, NULL);
	}
	ttrpc_result_clear(&res);
	return code;
}

static int do_kill(const char *id, const char *exec_id, uint32_t sig, bool all)
{
	Containerd__Task__V2__KillRequest rq = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
	struct ttrpc_result res;
	int code;

	rq.id = (char *)id;
	rq.exec_id = (char *)(exec_id ? exec_id : "");
	rq.signal = sig;
	rq.all = all;
	ck_assert_int_eq(harness_call(&h, "Kill", &rq.base, &res), 0);
	code = res.code;
	ttrpc_result_clear(&res);
	return code;
}

static int do_exec(const char *id, const char *exec_id)
{
	Containerd__Task__V2__ExecProcessRequest rq =
		CONTAINERD__TASK__V2__EXEC_PROCESS_REQUEST__INIT;
	Google__Protobuf__Any spec = GOOGLE__PROTOBUF__ANY__INIT;
	static const char json[] = "{\"args\":[\"sh\"],\"cwd\":\"/\"}";
	struct ttrpc_result res;
	int code;

	spec.type_url = (char *)"types.containerd.io/opencontainers/runtime-spec/1/Process";
	spec.value.data = (uint8_t *)json;
	spec.value.len = sizeof(json) - 1;
	rq.id = (char *)id;
	rq.exec_id = (char *)exec_id;
	rq.spec = &spec;
	ck_assert_int_eq(harness_call(&h, "Exec", &rq.base, &res), 0);
	code = res.code;
	ttrpc_result_clear(&res);
	return code;
}

struct waiter {
	const char *id, *exec_id;
	int code;
	uint32_t status;
	volatile int done;
	pthread_t thr;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	Containerd__Task__V2__WaitRequest rq = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
	Containerd__Task__V2__WaitResponse *r;
	struct ttrpc_result res;

	rq.id = (char *)w->id;
	rq.exec_id = (char *)(w->exec_id ? w->exec_id : "");
	if (ttrpc_client_call(h.cli, SHIM_TASK_SERVICE_V2, "Wait", &rq.base, 10000, &res)) {
		w->code = -1;
	} else {
		w->code = res.code;
		r = res.code ? NULL :
			       containerd__task__v2__wait_response__unpack(NULL, res.payload_len,
									   res.payload);
		w->status = r ? r->exit_status : 9999;
		if (r)
			containerd__task__v2__wait_response__free_unpacked(r, NULL);
	}
	ttrpc_result_clear(&res);
	w->done = 1;
	return NULL;
}

static void waiter_start(struct waiter *w, const char *id, const char *exec_id)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->exec_id = exec_id;
	ck_assert_int_eq(pthread_create(&w->thr, NULL, wait_thread, w), 0);
}

static void waiter_join(struct waiter *w)
{
	pthread_join(w->thr, NULL);
}

static void expect_topics(const char *want, unsigned n)
{
	char got[1024];

	ck_assert_msg(harness_wait_events(&h, n, 3000), "fewer than %u events", n);
	usleep(50 * 1000); /* and no more than that */
	harness_topics(&h, got, sizeof(got));
	ck_assert_str_eq(got, want);
}

START_TEST(lifecycle_and_events)
{
	uint32_t pid = 0, spid = 0, st = 0;
	struct waiter w;
	int status;

	ck_assert_int_eq(do_create("c1", &pid), TTRPC_OK);
	ck_assert_uint_eq(pid, 1000);
	ck_assert_int_eq(do_state("c1", NULL, &status, NULL), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__CREATED);
	waiter_start(&w, "c1", NULL); /* ctr waits before it starts */
	ck_assert_int_eq(do_start("c1", NULL, &spid), TTRPC_OK);
	ck_assert_uint_eq(spid, pid);
	ck_assert_int_eq(do_state("c1", NULL, &status, NULL), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__RUNNING);
	ck_assert_int_eq(do_kill("c1", NULL, SIGTERM, false), TTRPC_OK);
	waiter_join(&w);
	ck_assert_int_eq(w.code, TTRPC_OK);
	ck_assert_uint_eq(w.status, 128 + SIGTERM);
	ck_assert_int_eq(do_state("c1", NULL, &status, &st), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__STOPPED);
	ck_assert_uint_eq(st, 143);
	ck_assert_int_eq(do_delete("c1", NULL, &st), TTRPC_OK);
	ck_assert_uint_eq(st, 143);
	ck_assert_int_eq(do_state("c1", NULL, &status, NULL), TTRPC_NOT_FOUND);
	expect_topics("/tasks/create /tasks/start /tasks/exit /tasks/delete", 4);
}
END_TEST

START_TEST(blocked_wait_does_not_block_state_or_kill)
{
	struct timespec t0, t1;
	struct waiter w1, w2;
	int status, i;

	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	ck_assert_int_eq(do_start("c1", NULL, NULL), TTRPC_OK);
	waiter_start(&w1, "c1", NULL);
	waiter_start(&w2, "c1", NULL);
	usleep(100 * 1000);
	ck_assert(!w1.done && !w2.done);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(do_state("c1", NULL, &status, NULL), TTRPC_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 2);
	ck_assert(!w1.done);
	ck_assert_int_eq(do_kill("c1", NULL, SIGKILL, true), TTRPC_OK);
	waiter_join(&w1);
	waiter_join(&w2);
	ck_assert_int_eq(w1.code, TTRPC_OK);
	ck_assert_uint_eq(w1.status, 137);
	ck_assert_uint_eq(w2.status, 137);
	/* A Wait after the exit returns at once. */
	waiter_start(&w1, "c1", NULL);
	waiter_join(&w1);
	ck_assert_uint_eq(w1.status, 137);
}
END_TEST

START_TEST(not_found_codes)
{
	struct ttrpc_result res;
	int status;

	ck_assert_int_eq(do_state("nope", NULL, &status, NULL), TTRPC_NOT_FOUND);
	ck_assert_int_eq(do_start("nope", NULL, NULL), TTRPC_NOT_FOUND);
	ck_assert_int_eq(do_kill("nope", NULL, 9, false), TTRPC_NOT_FOUND);
	ck_assert_int_eq(do_delete("nope", NULL, NULL), TTRPC_NOT_FOUND);
	ck_assert_int_eq(do_idexec("Wait", "nope", NULL, &res), TTRPC_NOT_FOUND);
	ttrpc_result_clear(&res);
	ck_assert_int_eq(do_exec("nope", "e1"), TTRPC_NOT_FOUND);
	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	ck_assert_int_eq(do_state("c1", "e9", &status, NULL), TTRPC_NOT_FOUND);
	ck_assert_int_eq(do_kill("c1", "e9", 9, false), TTRPC_NOT_FOUND);
	ck_assert_int_eq(do_start("c1", NULL, NULL), TTRPC_OK);
	ck_assert_int_eq(do_kill("c1", NULL, 9, false), TTRPC_OK);
	/* A finished process: NOT_FOUND, which CRI's stop path ignores. */
	ck_assert_int_eq(do_kill("c1", NULL, 9, true), TTRPC_NOT_FOUND);
	ck_assert_int_eq(do_delete("c1", NULL, NULL), TTRPC_OK);
	ck_assert_int_eq(do_delete("c1", NULL, NULL), TTRPC_NOT_FOUND);
}
END_TEST

START_TEST(precondition_and_exists_codes)
{
	int status;

	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	ck_assert_int_eq(do_create("c1", NULL), TTRPC_ALREADY_EXISTS);
	ck_assert_int_eq(do_exec("c1", "e1"), TTRPC_FAILED_PRECONDITION); /* not running */
	ck_assert_int_eq(do_start("c1", NULL, NULL), TTRPC_OK);
	ck_assert_int_eq(do_start("c1", NULL, NULL), TTRPC_FAILED_PRECONDITION);
	ck_assert_int_eq(do_delete("c1", NULL, NULL), TTRPC_FAILED_PRECONDITION);
	ck_assert_int_eq(do_exec("c1", "e1"), TTRPC_OK);
	ck_assert_int_eq(do_exec("c1", "e1"), TTRPC_ALREADY_EXISTS);
	ck_assert_int_eq(do_state("c1", "e1", &status, NULL), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__CREATED);
	ck_assert_int_eq(do_exec("c1", "bad/id"), TTRPC_INVALID_ARGUMENT);
	ck_assert_int_eq(do_create("-bad", NULL), TTRPC_INVALID_ARGUMENT);
}
END_TEST

START_TEST(invalid_requests)
{
	static const uint8_t junk[] = { 0x0a, 0xff, 0xff };
	struct ttrpc_result res;

	ck_assert_int_eq(ttrpc_client_call_raw(h.cli, SHIM_TASK_SERVICE_V2, "Create", junk,
					       sizeof(junk), 2000, &res),
			 0);
	ck_assert_int_eq(res.code, TTRPC_INVALID_ARGUMENT);
	ck_assert_uint_eq(res.payload_len, 0);
	ttrpc_result_clear(&res);
	ck_assert_int_eq(do_create_cfg("c1", "{\"process\":{\"terminal\":true}}", NULL),
			 TTRPC_INVALID_ARGUMENT);
	ck_assert_int_eq(do_create_cfg("c2", "{not json", NULL), TTRPC_INVALID_ARGUMENT);
	/* A pod sandbox without a network namespace (hostNetwork). */
	ck_assert_int_eq(
		do_create_cfg(
			"c3",
			"{\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\"}}",
			NULL),
		TTRPC_FAILED_PRECONDITION);
	ck_assert_int_eq(ttrpc_client_call_raw(h.cli, SHIM_TASK_SERVICE_V2, "Checkpoint", NULL, 0,
					       2000, &res),
			 0);
	ck_assert_int_eq(res.code, TTRPC_UNIMPLEMENTED);
	ttrpc_result_clear(&res);
	ck_assert_int_eq(ttrpc_client_call_raw(h.cli, SHIM_TASK_SERVICE_V2, "Frobnicate", NULL, 0,
					       2000, &res),
			 0);
	ck_assert_int_eq(res.code, TTRPC_UNIMPLEMENTED);
	ttrpc_result_clear(&res);
}
END_TEST

START_TEST(exec_lifecycle)
{
	struct waiter w;
	uint32_t pid = 0, st = 0;
	int status;

	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	ck_assert_int_eq(do_start("c1", NULL, NULL), TTRPC_OK);
	ck_assert_int_eq(do_exec("c1", "e1"), TTRPC_OK);
	waiter_start(&w, "c1", "e1");
	ck_assert_int_eq(do_start("c1", "e1", &pid), TTRPC_OK);
	ck_assert_uint_gt(pid, 1000);
	ck_assert_int_eq(do_state("c1", "e1", &status, NULL), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__RUNNING);
	ck_assert_int_eq(do_delete("c1", "e1", NULL), TTRPC_FAILED_PRECONDITION);
	ck_assert_int_eq(do_kill("c1", "e1", SIGINT, false), TTRPC_OK);
	waiter_join(&w);
	ck_assert_uint_eq(w.status, 128 + SIGINT);
	ck_assert_int_eq(do_delete("c1", "e1", &st), TTRPC_OK);
	ck_assert_uint_eq(st, 130);
	ck_assert_int_eq(do_state("c1", "e1", &status, NULL), TTRPC_NOT_FOUND);
	ck_assert_int_eq(do_state("c1", NULL, &status, NULL), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__RUNNING);
	expect_topics(
		"/tasks/create /tasks/start /tasks/exec-added /tasks/exec-started /tasks/exit", 5);
}
END_TEST

START_TEST(exit_during_start_follows_start_event)
{
	struct waiter w;

	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	fake_backend_exit_on_start(h.fb, NULL, 3);
	waiter_start(&w, "c1", NULL);
	ck_assert_int_eq(do_start("c1", NULL, NULL), TTRPC_OK);
	waiter_join(&w);
	ck_assert_uint_eq(w.status, 3);
	expect_topics("/tasks/create /tasks/start /tasks/exit", 3);
}
END_TEST

START_TEST(init_exit_waits_for_exec_exits)
{
	struct harness_event *e;
	Containerd__Events__TaskExit *ex;
	int status;

	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	ck_assert_int_eq(do_start("c1", NULL, NULL), TTRPC_OK);
	ck_assert_int_eq(do_exec("c1", "e1"), TTRPC_OK);
	ck_assert_int_eq(do_start("c1", "e1", NULL), TTRPC_OK);
	/* The backend reports init first: its TaskExit must wait for e1's. */
	shim_tasks_exited(h.tasks, "c1", NULL, 0, NULL);
	ck_assert_int_eq(do_state("c1", NULL, &status, NULL), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__RUNNING);
	shim_tasks_exited(h.tasks, "c1", "e1", 137, NULL);
	expect_topics(
		"/tasks/create /tasks/start /tasks/exec-added /tasks/exec-started /tasks/exit /tasks/exit",
		6);
	e = &h.events[4];
	ex = containerd__events__task_exit__unpack(NULL, e->len, e->value);
	ck_assert_ptr_nonnull(ex);
	ck_assert_str_eq(e->type_url, "containerd.events.TaskExit");
	ck_assert_str_eq(ex->id, "e1");
	ck_assert_str_eq(ex->container_id, "c1");
	ck_assert_uint_eq(ex->exit_status, 137);
	containerd__events__task_exit__free_unpacked(ex, NULL);
	ck_assert_int_eq(do_state("c1", NULL, &status, NULL), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__STOPPED);
}
END_TEST

START_TEST(delete_created_releases_waiters)
{
	struct waiter w;
	uint32_t st = 0;

	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	waiter_start(&w, "c1", NULL);
	usleep(50 * 1000);
	ck_assert_int_eq(do_delete("c1", NULL, &st), TTRPC_OK);
	ck_assert_uint_eq(st, 137);
	waiter_join(&w);
	ck_assert_int_eq(w.code, TTRPC_OK);
	ck_assert_uint_eq(w.status, 137);
	expect_topics("/tasks/create /tasks/delete", 2);
}
END_TEST

START_TEST(start_failure_keeps_created)
{
	int status;

	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	fake_backend_fail_next(h.fb, "start", EIO);
	ck_assert_int_eq(do_start("c1", NULL, NULL), TTRPC_INTERNAL);
	ck_assert_int_eq(do_state("c1", NULL, &status, NULL), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__CREATED);
	ck_assert_int_eq(do_delete("c1", NULL, NULL), TTRPC_OK);
	fake_backend_fail_next(h.fb, "create", ENOSYS);
	ck_assert_int_eq(do_create("c2", NULL), TTRPC_UNIMPLEMENTED);
	ck_assert_int_eq(do_state("c2", NULL, &status, NULL), TTRPC_NOT_FOUND);
	ck_assert_int_eq(do_create("c2", NULL), TTRPC_OK);
}
END_TEST

struct starter {
	int code;
	pthread_t thr;
};

static void *start_thread(void *arg)
{
	struct starter *s = arg;

	s->code = do_start("c1", NULL, NULL);
	return NULL;
}

START_TEST(busy_start_blocks_nothing_else)
{
	struct starter s;
	int status;

	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	fake_backend_hold_start(h.fb);
	ck_assert_int_eq(pthread_create(&s.thr, NULL, start_thread, &s), 0);
	usleep(100 * 1000); /* the Start call is now held inside the backend */
	ck_assert_int_eq(do_state("c1", NULL, &status, NULL), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__CREATED);
	ck_assert_int_eq(do_start("c1", NULL, NULL), TTRPC_FAILED_PRECONDITION);
	ck_assert_int_eq(do_delete("c1", NULL, NULL), TTRPC_FAILED_PRECONDITION);
	fake_backend_release_start(h.fb);
	pthread_join(s.thr, NULL);
	ck_assert_int_eq(s.code, TTRPC_OK);
}
END_TEST

START_TEST(connect_and_shutdown)
{
	Containerd__Task__V2__ConnectRequest cr = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
	Containerd__Task__V2__ShutdownRequest sr = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
	Containerd__Task__V2__ConnectResponse *r;
	struct ttrpc_result res;

	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	cr.id = (char *)"c1";
	ck_assert_int_eq(harness_call(&h, "Connect", &cr.base, &res), 0);
	ck_assert_int_eq(res.code, TTRPC_OK);
	r = containerd__task__v2__connect_response__unpack(NULL, res.payload_len, res.payload);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->shim_pid, (uint32_t)getpid());
	ck_assert_uint_eq(r->task_pid, 1000);
	containerd__task__v2__connect_response__free_unpacked(r, NULL);
	ttrpc_result_clear(&res);
	/* Shutdown with a task left (a pod's other container): ignored. */
	sr.id = (char *)"c1";
	ck_assert_int_eq(harness_call(&h, "Shutdown", &sr.base, &res), 0);
	ck_assert_int_eq(res.code, TTRPC_OK);
	ttrpc_result_clear(&res);
	ck_assert_uint_eq(h.shutdowns, 0);
	ck_assert_int_eq(do_delete("c1", NULL, NULL), TTRPC_OK);
	ck_assert_int_eq(harness_call(&h, "Shutdown", &sr.base, &res), 0);
	ttrpc_result_clear(&res);
	ck_assert_uint_eq(h.shutdowns, 1);
	/* Connect never fails, even for an unknown id (task_pid 0). */
	cr.id = (char *)"gone";
	ck_assert_int_eq(ttrpc_client_call(h.cli, SHIM_TASK_SERVICE_V3, "Connect", &cr.base, 2000,
					   &res),
			 0);
	ck_assert_int_eq(res.code, TTRPC_OK);
	ttrpc_result_clear(&res);
}
END_TEST

static int call_id(const char *method, const char *id, struct ttrpc_result *res)
{
	Containerd__Task__V2__PidsRequest rq = CONTAINERD__TASK__V2__PIDS_REQUEST__INIT;

	rq.id = (char *)id;
	ck_assert_int_eq(harness_call(&h, method, &rq.base, res), 0);
	return res->code;
}

START_TEST(container_methods)
{
	Containerd__Task__V2__PidsResponse *pr;
	Containerd__Task__V2__StatsResponse *sr;
	Io__Containerd__Cgroups__V2__Metrics *m;
	struct ttrpc_result res;
	int status;

	ck_assert_int_eq(call_id("Pause", "c1", &res), TTRPC_NOT_FOUND);
	ttrpc_result_clear(&res);
	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	ck_assert_int_eq(call_id("Pause", "c1", &res), TTRPC_FAILED_PRECONDITION);
	ttrpc_result_clear(&res);
	ck_assert_int_eq(do_start("c1", NULL, NULL), TTRPC_OK);
	ck_assert_int_eq(do_exec("c1", "e1"), TTRPC_OK);
	ck_assert_int_eq(do_start("c1", "e1", NULL), TTRPC_OK);
	ck_assert_int_eq(call_id("Pids", "c1", &res), TTRPC_OK);
	pr = containerd__task__v2__pids_response__unpack(NULL, res.payload_len, res.payload);
	ck_assert_ptr_nonnull(pr);
	ck_assert_uint_eq(pr->n_processes, 2);
	ck_assert(pr->processes[0]->info || pr->processes[1]->info);
	containerd__task__v2__pids_response__free_unpacked(pr, NULL);
	ttrpc_result_clear(&res);
	ck_assert_int_eq(call_id("Stats", "c1", &res), TTRPC_OK);
	sr = containerd__task__v2__stats_response__unpack(NULL, res.payload_len, res.payload);
	ck_assert_ptr_nonnull(sr);
	ck_assert_str_eq(sr->stats->type_url, "io.containerd.cgroups.v2.Metrics");
	m = io__containerd__cgroups__v2__metrics__unpack(NULL, sr->stats->value.len,
							 sr->stats->value.data);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->cpu->usage_usec, 1234);
	ck_assert_uint_eq(m->memory->usage_limit, 256u << 20);
	ck_assert_uint_eq(m->memory->anon, 40u << 20);
	ck_assert_uint_eq(m->memory->inactive_file, 8u << 20);
	io__containerd__cgroups__v2__metrics__free_unpacked(m, NULL);
	containerd__task__v2__stats_response__free_unpacked(sr, NULL);
	ttrpc_result_clear(&res);
	ck_assert_int_eq(call_id("Pause", "c1", &res), TTRPC_OK);
	ttrpc_result_clear(&res);
	ck_assert_int_eq(do_state("c1", "e1", &status, NULL), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__PAUSED);
	ck_assert_int_eq(call_id("Pause", "c1", &res), TTRPC_FAILED_PRECONDITION);
	ttrpc_result_clear(&res);
	ck_assert_int_eq(call_id("Resume", "c1", &res), TTRPC_OK);
	ttrpc_result_clear(&res);
	ck_assert_int_eq(do_state("c1", NULL, &status, NULL), TTRPC_OK);
	ck_assert_int_eq(status, CONTAINERD__V1__TYPES__STATUS__RUNNING);
	expect_topics(
		"/tasks/create /tasks/start /tasks/exec-added /tasks/exec-started /tasks/paused /tasks/resumed",
		6);
}
END_TEST

START_TEST(io_and_update_methods)
{
	Containerd__Task__V2__CloseIORequest cio = CONTAINERD__TASK__V2__CLOSE_IOREQUEST__INIT;
	Containerd__Task__V2__ResizePtyRequest rp = CONTAINERD__TASK__V2__RESIZE_PTY_REQUEST__INIT;
	Containerd__Task__V2__UpdateTaskRequest up =
		CONTAINERD__TASK__V2__UPDATE_TASK_REQUEST__INIT;
	Google__Protobuf__Any res_any = GOOGLE__PROTOBUF__ANY__INIT;
	static const char json[] = "{\"memory\":{\"limit\":1048576}}";
	struct ttrpc_result res;

	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	cio.id = rp.id = up.id = (char *)"c1";
	cio.stdin = true;
	ck_assert_int_eq(harness_call(&h, "CloseIO", &cio.base, &res), 0);
	ck_assert_int_eq(res.code, TTRPC_OK);
	ttrpc_result_clear(&res);
	ck_assert_uint_eq(fake_backend_calls(h.fb, "close_io"), 1);
	rp.width = 80, rp.height = 25;
	ck_assert_int_eq(harness_call(&h, "ResizePty", &rp.base, &res), 0);
	ck_assert_int_eq(res.code, TTRPC_OK);
	ttrpc_result_clear(&res);
	rp.exec_id = (char *)"nope";
	ck_assert_int_eq(harness_call(&h, "ResizePty", &rp.base, &res), 0);
	ck_assert_int_eq(res.code, TTRPC_NOT_FOUND);
	ttrpc_result_clear(&res);
	res_any.type_url =
		(char *)"types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";
	res_any.value.data = (uint8_t *)json;
	res_any.value.len = sizeof(json) - 1;
	up.resources = &res_any;
	ck_assert_int_eq(harness_call(&h, "Update", &up.base, &res), 0);
	ck_assert_int_eq(res.code, TTRPC_OK);
	ttrpc_result_clear(&res);
	ck_assert_str_eq(fake_backend_last_update(h.fb), json);
}
END_TEST

/* The container's start phases begin in the task layer: the backend gets "spec". */
START_TEST(create_hands_its_phases_on)
{
	ck_assert_int_eq(do_create("c1", NULL), TTRPC_OK);
	ck_assert_str_eq(fake_backend_create_phases(h.fb), "spec");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_task");
	TCase *tc = tcase_create("service");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, lifecycle_and_events);
	tcase_add_test(tc, blocked_wait_does_not_block_state_or_kill);
	tcase_add_test(tc, not_found_codes);
	tcase_add_test(tc, precondition_and_exists_codes);
	tcase_add_test(tc, invalid_requests);
	tcase_add_test(tc, exec_lifecycle);
	tcase_add_test(tc, exit_during_start_follows_start_event);
	tcase_add_test(tc, init_exit_waits_for_exec_exits);
	tcase_add_test(tc, delete_created_releases_waiters);
	tcase_add_test(tc, start_failure_keeps_created);
	tcase_add_test(tc, busy_start_blocks_nothing_else);
	tcase_add_test(tc, connect_and_shutdown);
	tcase_add_test(tc, container_methods);
	tcase_add_test(tc, io_and_update_methods);
	tcase_add_test(tc, create_hands_its_phases_on);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()

// SPDX-License-Identifier: Apache-2.0
/* shim_harness.c - Task service + fake backend + fake containerd, for tests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shim/task/events.h"
#include "tests/lib/shim_harness.h"

int harness_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* containerd's Events.Forward, recording what arrives. */
static void forward(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct harness *h = opaque;
	Containerd__Services__Events__Ttrpc__V1__ForwardRequest *rq;
	Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
	struct harness_event *e;

	rq = containerd__services__events__ttrpc__v1__forward_request__unpack(NULL,
									      call->payload_len,
									      call->payload);
	if (!rq || !rq->envelope || !rq->envelope->event || !rq->envelope->timestamp ||
	    !rq->envelope->timestamp->seconds) {
		ttrpc_reply_error(reply, TTRPC_INVALID_ARGUMENT, "bad envelope");
		goto out;
	}
	pthread_mutex_lock(&h->lock);
	if (h->nevents < HARNESS_MAX_EVENTS) {
		e = &h->events[h->nevents++];
		snprintf(e->topic, sizeof(e->topic), "%s", rq->envelope->topic);
		snprintf(e->type_url, sizeof(e->type_url), "%s", rq->envelope->event->type_url);
		e->len = rq->envelope->event->value.len;
		e->value = malloc(e->len + 1);
		if (e->value)
			memcpy(e->value, rq->envelope->event->value.data, e->len);
	}
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	ttrpc_reply_msg(reply, &empty.base);
out:
	if (rq)
		containerd__services__events__ttrpc__v1__forward_request__free_unpacked(rq, NULL);
}

static const struct ttrpc_method events_methods[] = { { "Forward", forward } };

int harness_events_server(struct harness *h)
{
	int fd, ret;

	ret = ttrpc_server_new(&h->ev_srv, NULL);
	if (ret)
		return ret;
	ret = ttrpc_server_register(h->ev_srv, SHIM_EVENTS_SERVICE, events_methods, 1, h);
	fd = ret ? ret : harness_listen(h->ev_sock);
	if (fd < 0)
		return fd;
	return ttrpc_server_start(h->ev_srv, fd, NULL);
}

static void on_shutdown(void *opaque)
{
	struct harness *h = opaque;

	pthread_mutex_lock(&h->lock);
	h->shutdowns++;
	pthread_mutex_unlock(&h->lock);
}

static int harness_paths(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->dir, "/tmp/husk-shim-test-XXXXXX");
	if (!mkdtemp(h->dir))
		return -errno;
	snprintf(h->shim_sock, sizeof(h->shim_sock), "%s/shim.sock", h->dir);
	snprintf(h->ev_sock, sizeof(h->ev_sock), "%s/events.sock", h->dir);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	return 0;
}

int harness_up(struct harness *h)
{
	struct shim_tasks_config cfg = { NULL, on_shutdown, h, NULL };
	char cfgpath[128];
	FILE *f;
	int ret, fd;

	ret = harness_paths(h);
	/* A runtime config of our own, so the host's /etc/husk never matters. */
	snprintf(cfgpath, sizeof(cfgpath), "%s/husk-config.json", h->dir);
	f = ret ? NULL : fopen(cfgpath, "w");
	if (f) {
		fputs("{\"memory_mib\": 128, \"vcpus\": 2}\n", f);
		fclose(f);
	}
	cfg.default_config_path = cfgpath;
	if (!ret)
		ret = harness_events_server(h);
	if (!ret)
		ret = shim_events_new(h->ev_sock, "default", 20, &h->ev, NULL);
	h->fb = ret ? NULL : fake_backend_new();
	if (!ret)
		ret = h->fb ? shim_tasks_new(&fake_backend_ops, h->fb, h->ev, &cfg, &h->tasks,
					     NULL) :
			      -ENOMEM;
	if (!ret)
		ret = ttrpc_server_new(&h->srv, NULL);
	if (!ret)
		ret = shim_tasks_register(h->tasks, h->srv);
	fd = ret ? ret : harness_listen(h->shim_sock);
	if (fd < 0)
		return fd;
	ret = ttrpc_server_start(h->srv, fd, NULL);
	if (!ret)
		ret = ttrpc_client_connect(h->shim_sock, "default", &h->cli, NULL);
	return ret;
}

void harness_down(struct harness *h)
{
	char cmd[128];
	unsigned i;

	ttrpc_client_free(h->cli);
	if (h->tasks)
		shim_tasks_cancel_waits(h->tasks);
	ttrpc_server_free(h->srv);
	if (h->tasks)
		shim_tasks_free(h->tasks);
	else if (h->fb)
		fake_backend_ops.destroy(h->fb);
	shim_events_flush(h->ev, 2000);
	shim_events_free(h->ev);
	ttrpc_server_free(h->ev_srv);
	for (i = 0; i < h->nevents; i++)
		free(h->events[i].value);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
	if (h->dir[0] && system(cmd)) {
		/* a leftover temp dir is not worth failing a test for */
	}
}

int harness_bundle(struct harness *h, const char *id, const char *config, char *out, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(out, len, "%s/%s", h->dir, id);
	if (mkdir(out, 0700) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/config.json", out);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(config ? config : "{\"process\":{\"terminal\":false}}", f);
	return fclose(f) ? -errno : 0;
}

int harness_call(struct harness *h, const char *method, const ProtobufCMessage *req,
		 struct ttrpc_result *res)
{
	return ttrpc_client_call(h->cli, SHIM_TASK_SERVICE_V2, method, req, 5000, res);
}

bool harness_wait_events(struct harness *h, unsigned n, int ms)
{
	struct timespec dl;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&h->lock);
	while (h->nevents < n && pthread_cond_timedwait(&h->cond, &h->lock, &dl) != ETIMEDOUT)
		;
	ok = h->nevents >= n;
	pthread_mutex_unlock(&h->lock);
	return ok;
}

void harness_topics(struct harness *h, char *buf, size_t len)
{
	size_t o = 0;
	unsigned i;

	buf[0] = '\0';
	pthread_mutex_lock(&h->lock);
	for (i = 0; i < h->nevents && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "", h->events[i].topic);
	pthread_mutex_unlock(&h->lock);
}

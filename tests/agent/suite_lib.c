// SPDX-License-Identifier: Apache-2.0
/* suite_lib.c - building specs, running a container, reporting outcomes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/agent/suite.h"

char *json_quote(const char *s)
{
	char *out = malloc(strlen(s) * 6 + 3), *p = out;

	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			p += sprintf(p, "\\%c", c);
		else if (c < 0x20)
			p += sprintf(p, "\\u%04x", c);
		else
			*p++ = (char)c;
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

static const char spec_mounts[] =
	"\"mounts\":["
	"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\"]},"
	"{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
	"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
	"{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"nodev\"]}%s]";

char *spec_build(const struct tspec *t)
{
	static const char default_ns[] =
		"{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"ipc\"},{\"type\":\"uts\"}";
	char user[512], mem[128] = "", mounts[4096], extra_mounts[2048] = "", console[80] = "";
	char *sh = json_quote(t->sh), *out = NULL;

	snprintf(user, sizeof(user), "{\"uid\":%lld,\"gid\":%lld%s%s%s%s%s}",
		 t->uid > 0 ? t->uid : 0, t->gid > 0 ? t->gid : 0,
		 t->gids ? ",\"additionalGids\":[" : "", t->gids ? t->gids : "", t->gids ? "]" : "",
		 t->username ? ",\"username\":" : "", t->username ? t->username : "");
	if (t->mem_limit)
		snprintf(mem, sizeof(mem),
			 ",\"resources\":{\"memory\":{\"limit\":%lld,\"swap\":%lld}}", t->mem_limit,
			 t->mem_limit);
	if (t->mounts_extra)
		snprintf(extra_mounts, sizeof(extra_mounts), "%s", t->mounts_extra);
	snprintf(mounts, sizeof(mounts), spec_mounts, extra_mounts);
	if (t->rows)
		snprintf(console, sizeof(console), ",\"consoleSize\":{\"height\":%d,\"width\":%d}",
			 t->rows, t->cols);
	if (asprintf(&out,
		     "{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":%s%s,\"user\":%s,"
		     "\"args\":[\"sh\",\"-c\",%s],\"env\":[\"PATH=/bin\"%s%s],\"cwd\":\"%s\"%s},"
		     "\"root\":{\"path\":\"rootfs\",\"readonly\":%s},\"hostname\":\"%s\",%s,"
		     "\"linux\":{\"namespaces\":[%s],"
		     "\"maskedPaths\":[%s],"
		     "\"readonlyPaths\":[\"/proc/sys\",\"/proc/sysrq-trigger\"]%s%s}}",
		     t->terminal ? "true" : "false", console, user, sh, t->env ? "," : "",
		     t->env ? t->env : "", t->cwd ? t->cwd : "/",
		     t->process_extra ? t->process_extra : "", t->readonly ? "true" : "false",
		     t->hostname ? t->hostname : "test", mounts,
		     t->namespaces ? t->namespaces : default_ns,
		     t->masked ? t->masked : "\"/proc/kcore\",\"/proc/keys\",\"/sys/firmware\"",
		     mem, t->linux_extra ? t->linux_extra : "") < 0)
		out = NULL;
	free(sh);
	return out;
}

void tresult_free(struct tresult *r)
{
	free(r->out.data);
	free(r->err.data);
	memset(r, 0, sizeof(*r));
}

static int run_bind(struct suite *s, const char *id, const char *stream, struct tresult *r)
{
	return ac_bind(s->addr, id, "", stream, r->why, sizeof(r->why));
}

static int run_call(struct suite *s, uint16_t type, const char *json, struct tresult *r,
		    struct ac_msg **reply)
{
	struct ac_msg *m = ac_call(s->ac, type, json, 60000);

	if (!m || m->hdr.type != HUSK_MSG_OK) {
		snprintf(r->why, sizeof(r->why), "%s: %s", husk_agent_type_name(type),
			 m ? m->payload : "no reply");
		ac_msg_free(m);
		return -1;
	}
	if (reply)
		*reply = m;
	else
		ac_msg_free(m);
	return 0;
}

const char *rootfs_json(const struct suite *s, char *buf)
{
	if (s->in_vm)
		snprintf(buf, 1024, "{\"lower\":[{\"source\":\"%s\",\"fstype\":\"erofs\"}]}",
			 s->erofs);
	else
		snprintf(buf, 1024, "{\"dir\":\"%s\"}", s->rootfs);
	return buf;
}

char *create_json(const struct suite *s, const char *id, const struct tspec *t, const char *stdio)
{
	char *spec = spec_build(t), *json = NULL, dir[1024];

	if (!spec)
		return NULL;
	if (asprintf(&json, "{\"id\":\"%s\",\"spec\":%s,\"rootfs\":%s%s%s%s}", id, spec,
		     t->rootfs_json ? t->rootfs_json : rootfs_json(s, dir),
		     stdio ? ",\"stdio\":" : "", stdio ? stdio : "",
		     t->create_extra ? t->create_extra : "") < 0)
		json = NULL;
	free(spec);
	return json;
}

static int run_create(struct suite *s, const char *id, const struct tspec *t, bool in,
		      struct tresult *r)
{
	char *json, stdio[128];
	int ret;

	snprintf(stdio, sizeof(stdio), "{\"stdin\":%s,\"stdout\":true,\"stderr\":%s}",
		 in ? "true" : "false", t->terminal ? "false" : "true");
	json = create_json(s, id, t, stdio);
	if (!json)
		return -1;
	ret = run_call(s, HUSK_MSG_CREATE, json, r, NULL);
	free(json);
	return ret;
}

int run_container(struct suite *s, const char *id, const struct tspec *t, const char *in,
		  size_t in_len, struct tresult *r)
{
	int in_fd = -1, out_fd, err_fd = -1, ret = -1;
	char json[256];
	struct ac_msg *w = NULL;

	memset(r, 0, sizeof(*r));
	if (run_create(s, id, t, in != NULL, r) < 0)
		return -1;
	snprintf(json, sizeof(json), "{\"id\":\"%s\"}", id);
	out_fd = run_bind(s, id, "stdout", r);
	if (out_fd >= 0 && !t->terminal)
		err_fd = run_bind(s, id, "stderr", r);
	if (out_fd >= 0 && in)
		in_fd = run_bind(s, id, "stdin", r);
	if (out_fd < 0 || (!t->terminal && err_fd < 0) || (in && in_fd < 0) ||
	    run_call(s, HUSK_MSG_START, json, r, NULL) < 0)
		goto out;
	if (ac_pump(in_fd, in, in_len, out_fd, &r->out, err_fd, &r->err, 60000) < 0) {
		snprintf(r->why, sizeof(r->why), "stdio did not end within 60s");
		goto out;
	}
	out_fd = err_fd = -1; /* closed by ac_pump at EOF */
	if (run_call(s, HUSK_MSG_WAIT, json, r, &w) < 0)
		goto out;
	r->exit_status = ac_int(w, "exit_status", -1);
	r->signal = ac_int(w, "signal", -1);
	r->oom = ac_bool(w, "oom");
	ac_msg_free(w);
	ret = 0;
out:
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);
	w = ac_call(s->ac, HUSK_MSG_DELETE, json, 60000);
	if (ret == 0 && (!w || w->hdr.type != HUSK_MSG_OK)) {
		snprintf(r->why, sizeof(r->why), "DELETE: %s", w ? w->payload : "no reply");
		ret = -1;
	}
	ac_msg_free(w);
	return ret;
}

void suite_pass(struct suite *s, const char *name)
{
	printf("ok agent/%s\n", name);
	fflush(stdout);
	s->passed++;
}

/*
 * After a failure: when husk-init no longer answers HELLO on a new
 * connection (it died, or its VM did), every later test would only wait
 * out its own time limit, and the suite would run past the caller's limit
 * before the caller can show why (the guest console). Stop at once.
 */
static void suite_stop_if_agent_gone(struct suite *s, const char *after)
{
	struct ac *probe = ac_open(s->addr);

	if (probe) {
		ac_close(probe);
		return;
	}
	printf("FAIL agent/still-answering: husk-init no longer answers HELLO at %s after %s; "
	       "the remaining tests are not run\n",
	       s->addr, after);
	printf("agent-suite: %d passed, %d failed, %d not run\n", s->passed, s->failed + 1,
	       s->skipped);
	fflush(stdout);
	exit(1);
}

void suite_fail(struct suite *s, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL agent/%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	s->failed++;
	suite_stop_if_agent_gone(s, name);
}

/* A test that cannot run here; a failure when --require names @feature. */
void suite_skip(struct suite *s, const char *name, const char *feature, const char *why)
{
	if (s->require && strstr(s->require, feature)) {
		suite_fail(s, name, "required but cannot run: %s", why);
		return;
	}
	printf("not run: agent/%s: %s\n", name, why);
	fflush(stdout);
	s->skipped++;
}

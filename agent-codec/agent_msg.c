// SPDX-License-Identifier: Apache-2.0
/*
 * agent_msg.c - request payload decoding and validation (see agent_msg.h).
 * CREATE's "files" and the CONFIGURE_NETWORK object are decoded by
 * agent_files_msg.c and agent_net_msg.c, which know nothing of the rest.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "agent-codec/agent_msg.h"

bool amsg_id_valid(const char *id)
{
	return amsg_name_valid(id, HUSK_AGENT_MAX_ID);
}

/* "id" always; "exec_id" when @with_exec (may be absent or ""). */
static int amsg_ids(struct amsg *m, bool with_exec, struct husk_error **e)
{
	m->exec_id = "";
	if (json_member_string(m->tree, "id", true, &m->id, e) < 0)
		return -EINVAL;
	if (!amsg_id_valid(m->id))
		return husk_err(e, 0, "container id \"%.140s\" is not 1-%d of [A-Za-z0-9_.-]",
				m->id, HUSK_AGENT_MAX_ID);
	if (!with_exec)
		return 0;
	if (json_member_string(m->tree, "exec_id", false, &m->exec_id, e) < 0)
		return -EINVAL;
	if (m->exec_id[0] && !amsg_id_valid(m->exec_id))
		return husk_err(e, 0, "exec id \"%.140s\" is not 1-%d of [A-Za-z0-9_.-]",
				m->exec_id, HUSK_AGENT_MAX_ID);
	return 0;
}

static int amsg_stdio(yajl_val v, struct amsg_stdio *s, struct husk_error **e)
{
	if (v && !YAJL_IS_OBJECT(v))
		return husk_err(e, 0, "\"stdio\" is not an object");
	if (json_member_bool(v, "stdin", &s->in, e) < 0 ||
	    json_member_bool(v, "stdout", &s->out, e) < 0 ||
	    json_member_bool(v, "stderr", &s->err, e) < 0)
		return husk_err_wrap(e, "stdio");
	return 0;
}

static int amsg_blk(yajl_val v, struct amsg_blk *b, struct husk_error **e)
{
	b->options = "";
	if (json_member_string(v, "source", true, &b->source, e) < 0 ||
	    json_member_string(v, "fstype", true, &b->fstype, e) < 0 ||
	    json_member_string(v, "options", false, &b->options, e) < 0)
		return -EINVAL;
	if (b->source[0] != '/')
		return husk_err(e, 0, "source \"%s\" is not an absolute path", b->source);
	if (strcmp(b->fstype, "erofs") && strcmp(b->fstype, "ext4"))
		return husk_err(e, 0, "fstype \"%s\" is neither erofs nor ext4", b->fstype);
	return 0;
}

static int amsg_rootfs(yajl_val v, struct amsg_rootfs *r, struct husk_error **e)
{
	yajl_val lower = json_member(v, "lower"), upper = json_member(v, "upper");
	size_t i;

	if (!YAJL_IS_OBJECT(v))
		return husk_err(e, 0, "\"rootfs\" is missing or not an object");
	if (json_member_string(v, "dir", false, &r->dir, e) < 0)
		return husk_err_wrap(e, "rootfs");
	if (r->dir)
		return r->dir[0] == '/' ? 0 : husk_err(e, 0, "rootfs.dir is not absolute");
	if (!YAJL_IS_ARRAY(lower) || lower->u.array.len == 0 || lower->u.array.len > AMSG_MAX_LOWER)
		return husk_err(e, 0, "rootfs.lower is not an array of 1-%d devices",
				AMSG_MAX_LOWER);
	for (i = 0; i < lower->u.array.len; i++, r->nlower++)
		if (amsg_blk(lower->u.array.values[i], &r->lower[i], e) < 0)
			return husk_err_wrap(e, "rootfs.lower[%zu]", i);
	if (upper && !YAJL_IS_NULL(upper) && amsg_blk(upper, &r->upper, e) < 0)
		return husk_err_wrap(e, "rootfs.upper");
	if (json_member_bool(v, "writable", &r->writable, e) < 0)
		return husk_err_wrap(e, "rootfs");
	if (r->writable && (r->nlower != 1 || r->upper.source))
		return husk_err(e, 0, "rootfs.writable needs exactly one lower and no upper");
	return 0;
}

static int amsg_create(struct amsg *m, struct husk_error **e)
{
	int ret = amsg_ids(m, false, e);

	if (ret < 0)
		return ret;
	ret = spec_parse(json_member(m->tree, "spec"), &m->spec, e);
	if (ret < 0)
		return husk_err_wrap(e, "spec");
	if (amsg_rootfs(json_member(m->tree, "rootfs"), &m->rootfs, e) < 0 ||
	    amsg_stdio(json_member(m->tree, "stdio"), &m->stdio, e) < 0 ||
	    amsg_files_parse(m->tree, m->files, &m->nfiles, &m->shm_size, e) < 0)
		return -EINVAL;
	if (m->spec.process.terminal && m->stdio.err)
		return husk_err(e, 0, "a terminal has no separate stderr stream");
	return 0;
}

static int amsg_exec(struct amsg *m, struct husk_error **e)
{
	int ret = amsg_ids(m, true, e);

	if (ret < 0)
		return ret;
	if (!m->exec_id[0])
		return husk_err(e, 0, "EXEC needs an exec_id");
	if (spec_process_parse(json_member(m->tree, "process"), &m->proc, e) < 0 ||
	    amsg_stdio(json_member(m->tree, "stdio"), &m->stdio, e) < 0)
		return -EINVAL;
	if (m->proc.terminal && m->stdio.err)
		return husk_err(e, 0, "a terminal has no separate stderr stream");
	return 0;
}

static int amsg_signal(struct amsg *m, struct husk_error **e)
{
	m->signal = -1;
	if (amsg_ids(m, true, e) < 0 || json_member_int64(m->tree, "signal", &m->signal, e) < 0 ||
	    json_member_bool(m->tree, "all", &m->all, e) < 0)
		return -EINVAL;
	if (m->signal < 1 || m->signal >= NSIG)
		return husk_err(e, 0, "signal %lld is not 1-%d", (long long)m->signal, NSIG - 1);
	return 0;
}

static int amsg_resize(struct amsg *m, struct husk_error **e)
{
	if (amsg_ids(m, true, e) < 0 || json_member_int64(m->tree, "rows", &m->rows, e) < 0 ||
	    json_member_int64(m->tree, "cols", &m->cols, e) < 0)
		return -EINVAL;
	if (m->rows < 0 || m->rows > 0xffff || m->cols < 0 || m->cols > 0xffff)
		return husk_err(e, 0, "window size %lldx%lld is out of range", (long long)m->rows,
				(long long)m->cols);
	return 0;
}

static int amsg_bind(struct amsg *m, struct husk_error **e)
{
	if (amsg_ids(m, true, e) < 0 ||
	    json_member_string(m->tree, "stream", true, &m->stream, e) < 0)
		return -EINVAL;
	if (strcmp(m->stream, "stdin") && strcmp(m->stream, "stdout") &&
	    strcmp(m->stream, "stderr"))
		return husk_err(e, 0, "stream \"%.40s\" is not stdin, stdout or stderr", m->stream);
	return 0;
}

static int amsg_port(struct amsg *m, struct husk_error **e)
{
	yajl_val v = json_member(m->tree, "port");

	if (!v || !YAJL_IS_INTEGER(v))
		return husk_err(e, 0, "port: missing or not an integer");
	m->port = YAJL_GET_INTEGER(v);
	if (m->port < 1 || m->port > 65535)
		return husk_err(e, 0, "port: %lld is not 1-65535", (long long)m->port);
	return 0;
}

static int amsg_update(struct amsg *m, struct husk_error **e)
{
	yajl_val r = json_member(m->tree, "resources");

	if (amsg_ids(m, false, e) < 0)
		return -husk_error_errno(*e);
	if (!r || !YAJL_IS_OBJECT(r))
		return husk_err(e, 0, "resources: missing or not an object");
	return spec_resources_parse(r, &m->spec.res, e);
}

static int amsg_body(struct amsg *m, struct husk_error **e)
{
	switch (m->type) {
	case HUSK_MSG_HELLO:
		return json_member_int64(m->tree, "version", &m->version, e);
	case HUSK_MSG_CREATE:
		return amsg_create(m, e);
	case HUSK_MSG_EXEC:
		return amsg_exec(m, e);
	case HUSK_MSG_SIGNAL:
		return amsg_signal(m, e);
	case HUSK_MSG_RESIZE_PTY:
		return amsg_resize(m, e);
	case HUSK_MSG_STDIO_BIND:
		return amsg_bind(m, e);
	case HUSK_MSG_START:
	case HUSK_MSG_WAIT:
	case HUSK_MSG_CLOSE_STDIN:
	case HUSK_MSG_DELETE:
		return amsg_ids(m, true, e);
	case HUSK_MSG_STATS:
	case HUSK_MSG_PIDS:
	case HUSK_MSG_PAUSE:
	case HUSK_MSG_RESUME:
		return amsg_ids(m, false, e);
	case HUSK_MSG_CONFIGURE_NETWORK:
		return amsg_net_parse(m->tree, &m->net, e);
	case HUSK_MSG_UPDATE:
		return amsg_update(m, e);
	case HUSK_MSG_PORT_CONNECT:
		return amsg_port(m, e);
	case HUSK_MSG_SHUTDOWN:
	case HUSK_MSG_RELAY_STATUS:
		return 0;
	}
	return husk_err(e, EOPNOTSUPP, "message type %u", m->type);
}

int amsg_parse(unsigned int type, const uint8_t *payload, size_t len, struct amsg *m,
	       struct husk_error **e)
{
	int ret;

	memset(m, 0, sizeof(*m));
	m->type = type;
	if (len == 0) /* the protocol's empty payload means {} */
		payload = (const uint8_t *)"{}", len = 2;
	ret = json_parse((const char *)payload, len, NULL, HUSK_AGENT_MAX_DEPTH, &m->tree, e);
	if (ret < 0)
		return ret;
	if (!YAJL_IS_OBJECT(m->tree))
		return husk_err(e, 0, "payload is not a JSON object");
	ret = amsg_body(m, e);
	if (ret < 0)
		return husk_err_wrap(e, "%s", husk_agent_type_name(type));
	return 0;
}

void amsg_free(struct amsg *m)
{
	spec_free(&m->spec);
	spec_process_free(&m->proc);
	amsg_net_free(&m->net);
	if (m->tree)
		yajl_tree_free(m->tree);
	m->tree = NULL;
}

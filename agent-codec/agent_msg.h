/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_msg.h - request payloads of include/husk_agent.h, decoded and
 * validated in one place. Everything husk-init acts on has passed through
 * amsg_parse(); the fuzz harness drives exactly this function.
 */
#ifndef HUSK_AGENT_CODEC_AGENT_MSG_H
#define HUSK_AGENT_CODEC_AGENT_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "husk_agent.h"
#include "agent-codec/agent_files_msg.h"
#include "agent-codec/agent_net_msg.h"
#include "agent-codec/spec.h"

#define AMSG_MAX_LOWER 8

struct amsg_stdio {
	bool in, out, err;
};

struct amsg_blk {
	const char *source, *fstype, *options;
};

struct amsg_rootfs {
	struct amsg_blk lower[AMSG_MAX_LOWER];
	size_t nlower;
	struct amsg_blk upper; /* source NULL: no writable layer */
	const char *dir;       /* bind this directory instead */
	bool writable;	       /* one lower, no upper: mount it read-write */
};

struct amsg {
	unsigned int type;
	yajl_val tree;				      /* owns every string below */
	int64_t version;			      /* HELLO */
	const char *id, *exec_id;		      /* exec_id "" = the container's init */
	struct spec spec;			      /* CREATE */
	struct amsg_rootfs rootfs;		      /* CREATE */
	struct spec_process proc;		      /* EXEC */
	struct amsg_stdio stdio;		      /* CREATE, EXEC */
	struct amsg_file files[HUSK_AGENT_MAX_FILES]; /* CREATE */
	size_t nfiles;
	int64_t shm_size;    /* CREATE: bytes of the pod /dev/shm, 0 = default */
	int64_t signal;	     /* SIGNAL */
	bool all;	     /* SIGNAL */
	int64_t rows, cols;  /* RESIZE_PTY */
	const char *stream;  /* STDIO_BIND */
	int64_t port;	     /* PORT_CONNECT: 1-65535 */
	struct amsg_net net; /* CONFIGURE_NETWORK */
};

/*
 * amsg_parse - decode the payload of a request of @type into @m. Returns 0
 * or -errno with @e saying what is wrong. amsg_free() is needed either way.
 */
int amsg_parse(unsigned int type, const uint8_t *payload, size_t len, struct amsg *m,
	       struct husk_error **e);
void amsg_free(struct amsg *m);

/* amsg_id_valid - @id is 1..HUSK_AGENT_MAX_ID of [A-Za-z0-9_.-], not "."/"..". */
bool amsg_id_valid(const char *id);

#endif

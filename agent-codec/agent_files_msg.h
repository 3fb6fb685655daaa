/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_files_msg.h - CREATE's "files" object and "shm_size", decoded and
 * checked (agent_files_msg.c); agent_msg.c calls amsg_files_parse() while
 * it decodes a CREATE.
 */
#ifndef HUSK_AGENT_CODEC_FILES_MSG_H
#define HUSK_AGENT_CODEC_FILES_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent-codec/json.h"
#include "common/error.h"
#include "husk_agent.h"

/* One entry of CREATE's "files": text to write as FILES_DIR/<id>/<name>. */
struct amsg_file {
	const char *name, *text;
	size_t len;
};

/*
 * amsg_name_valid - @name can only mean one file in one folder: 1..@max
 * of [A-Za-z0-9_.-], not "." or "..". Container ids (amsg_id_valid) and
 * the names of CREATE's files both have this form.
 */
bool amsg_name_valid(const char *name, size_t max);

/*
 * amsg_files_parse - the optional "files" object and "shm_size" of the
 * CREATE object @v: entries into @files (room for HUSK_AGENT_MAX_FILES),
 * counted in *@nfiles; the size into *@shm_size (0: not given). The strings
 * stay owned by @v. 0 or -errno with @e set.
 */
int amsg_files_parse(yajl_val v, struct amsg_file *files, size_t *nfiles, int64_t *shm_size,
		     struct husk_error **e);

#endif

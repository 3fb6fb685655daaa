// SPDX-License-Identifier: Apache-2.0
/*
 * agent_files_msg.c - CREATE's "files" object and "shm_size": the
 * per-container files husk-init writes for the spec's binds (hosts,
 * hostname, resolv.conf), checked here so that nothing with a bad name or
 * size ever reaches the file system code (guest-init/container/files.c).
 */
#include <errno.h>
#include <string.h>

#include "agent-codec/agent_files_msg.h"

bool amsg_name_valid(const char *name, size_t max)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > max || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

static int amsg_file_one(const char *name, yajl_val text, struct amsg_file *f,
			 struct husk_error **e)
{
	if (!amsg_name_valid(name, HUSK_AGENT_FILE_NAME_MAX))
		return husk_err(e, 0,
				"files: name \"%.80s\" is not a plain file name "
				"(1-%d of [A-Za-z0-9._-], not \".\" or \"..\")",
				name, HUSK_AGENT_FILE_NAME_MAX);
	if (!YAJL_IS_STRING(text))
		return husk_err(e, 0, "files: \"%s\" is not a string", name);
	f->name = name;
	f->text = text->u.string;
	f->len = strlen(text->u.string);
	if (f->len > HUSK_AGENT_FILE_MAX)
		return husk_err(e, EFBIG, "files: \"%s\" has %zu bytes, more than %u", name, f->len,
				HUSK_AGENT_FILE_MAX);
	return 0;
}

int amsg_files_parse(yajl_val v, struct amsg_file *out, size_t *nfiles, int64_t *shm_size,
		     struct husk_error **e)
{
	yajl_val files = json_member(v, "files"), shm = json_member(v, "shm_size");
	size_t i;

	*shm_size = 0;
	if (json_member_int64(v, "shm_size", shm_size, e) < 0)
		return -EINVAL;
	if (shm && !YAJL_IS_NULL(shm) && *shm_size <= 0)
		return husk_err(e, 0, "shm_size %lld is not a positive number of bytes",
				(long long)*shm_size);
	if (!files || YAJL_IS_NULL(files))
		return 0;
	if (!YAJL_IS_OBJECT(files))
		return husk_err(e, 0, "files is not an object");
	if (files->u.object.len > HUSK_AGENT_MAX_FILES)
		return husk_err(e, 0, "files: %zu entries, more than %d", files->u.object.len,
				HUSK_AGENT_MAX_FILES);
	for (i = 0; i < files->u.object.len; i++, (*nfiles)++)
		if (amsg_file_one(files->u.object.keys[i], files->u.object.values[i], &out[i], e) <
		    0)
			return -husk_error_errno(*e);
	return 0;
}

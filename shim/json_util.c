// SPDX-License-Identifier: Apache-2.0
/* json_util.c - typed yajl tree accessors with field-naming errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "json_util.h"

int json_parse(const char *text, size_t len, const char *what, yajl_val *out,
	       struct husk_error **err)
{
	char msg[256] = "";
	char *copy;

	/* yajl_tree_parse wants a C string; a NUL inside is an error. */
	if (memchr(text, '\0', len))
		return husk_err(err, 0, "%s: NUL byte in JSON", what);
	copy = malloc(len + 1);
	if (!copy)
		return husk_err(err, ENOMEM, "%s", what);
	memcpy(copy, text, len);
	copy[len] = '\0';
	*out = yajl_tree_parse(copy, msg, sizeof(msg));
	free(copy);
	if (!*out) {
		msg[strcspn(msg, "\n")] = '\0';
		return husk_err(err, 0, "%s: invalid JSON: %s", what,
				*msg ? msg : "parse error");
	}
	return 0;
}

int json_read_file(const char *path, char **buf, size_t *len,
		   struct husk_error **err)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return husk_err(err, errno, "open %s", path);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > JSON_MAX_FILE) {
		close(fd);
		return husk_err(err, EINVAL, "%s: not a regular file of at most %u bytes",
				path, JSON_MAX_FILE);
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return husk_err(err, ENOMEM, "read %s", path);
	}
	n = read(fd, *buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*buf);
		return husk_err(err, n < 0 ? errno : EIO, "read %s", path);
	}
	*len = (size_t)n;
	return 0;
}

yajl_val json_member(yajl_val obj, const char *key)
{
	size_t i;

	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			return obj->u.object.values[i];
	return NULL;
}

int json_get_string(yajl_val v, const char *field, const char **out,
		    struct husk_error **err)
{
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_STRING(v))
		return husk_err(err, 0, "%s: expected a string", field);
	*out = YAJL_GET_STRING(v);
	return 0;
}

int json_get_bool(yajl_val v, const char *field, bool *out,
		  struct husk_error **err)
{
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return husk_err(err, 0, "%s: expected true or false", field);
	*out = YAJL_IS_TRUE(v);
	return 0;
}

int json_get_int(yajl_val v, const char *field, int64_t *out,
		 struct husk_error **err)
{
	if (!v || YAJL_IS_NULL(v))
		return 0;
	/* yajl flags integers that overflow long long as doubles only. */
	if (!YAJL_IS_INTEGER(v))
		return husk_err(err, 0, "%s: expected a 64-bit integer", field);
	*out = YAJL_GET_INTEGER(v);
	return 0;
}

int json_get_object(yajl_val v, const char *field, yajl_val *out,
		    struct husk_error **err)
{
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_OBJECT(v))
		return husk_err(err, 0, "%s: expected an object", field);
	*out = v;
	return 0;
}

int json_get_array(yajl_val v, const char *field, yajl_val *out,
		   struct husk_error **err)
{
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_ARRAY(v))
		return husk_err(err, 0, "%s: expected an array", field);
	*out = v;
	return 0;
}

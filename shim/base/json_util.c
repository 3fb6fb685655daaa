// SPDX-License-Identifier: Apache-2.0
/* json_util.c - typed yajl tree accessors with field-naming errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "common/error.h"
#include "shim/base/json_util.h"

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
		return husk_err(err, 0, "%s: invalid JSON: %s", what, *msg ? msg : "parse error");
	}
	return 0;
}

int json_read_file(const char *path, char **buf, size_t *len, struct husk_error **err)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return husk_err(err, errno, "open %s", path);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > JSON_MAX_FILE) {
		close(fd);
		return husk_err(err, EINVAL, "%s: not a regular file of at most %u bytes", path,
				JSON_MAX_FILE);
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

int json_get_string(yajl_val v, const char *field, const char **out, struct husk_error **err)
{
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_STRING(v))
		return husk_err(err, 0, "%s: expected a string", field);
	*out = YAJL_GET_STRING(v);
	return 0;
}

int json_get_bool(yajl_val v, const char *field, bool *out, struct husk_error **err)
{
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return husk_err(err, 0, "%s: expected true or false", field);
	*out = YAJL_IS_TRUE(v);
	return 0;
}

int json_get_int(yajl_val v, const char *field, int64_t *out, struct husk_error **err)
{
	if (!v || YAJL_IS_NULL(v))
		return 0;
	/* yajl flags integers that overflow long long as doubles only. */
	if (!YAJL_IS_INTEGER(v))
		return husk_err(err, 0, "%s: expected a 64-bit integer", field);
	*out = YAJL_GET_INTEGER(v);
	return 0;
}

int json_get_object(yajl_val v, const char *field, yajl_val *out, struct husk_error **err)
{
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_OBJECT(v))
		return husk_err(err, 0, "%s: expected an object", field);
	*out = v;
	return 0;
}

int json_get_array(yajl_val v, const char *field, yajl_val *out, struct husk_error **err)
{
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_ARRAY(v))
		return husk_err(err, 0, "%s: expected an array", field);
	*out = v;
	return 0;
}

void json_gen_value(yajl_gen g, yajl_val v)
{
	size_t i;

	if (YAJL_IS_STRING(v)) {
		yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
	} else if (YAJL_IS_NUMBER(v)) {
		/* the number's own text: nothing is lost to a conversion */
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	} else if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (i = 0; i < v->u.object.len; i++) {
			yajl_gen_string(g, (const unsigned char *)v->u.object.keys[i],
					strlen(v->u.object.keys[i]));
			json_gen_value(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			json_gen_value(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	} else {
		yajl_gen_null(g);
	}
}

int json_emit(yajl_val root, char **out, size_t *out_len, struct husk_error **err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (!g)
		return husk_err(err, ENOMEM, "config.json for the VM");
	json_gen_value(g, root);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok || !(*out = malloc(len + 1))) {
		yajl_gen_free(g);
		return husk_err(err, ENOMEM, "config.json for the VM");
	}
	memcpy(*out, buf, len);
	(*out)[len] = '\0';
	*out_len = len;
	yajl_gen_free(g);
	return 0;
}

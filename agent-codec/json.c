// SPDX-License-Identifier: Apache-2.0
/* json.c - typed access to yajl trees, and small yajl_gen helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent-codec/json.h"

/* Nesting depth of the first @len bytes, counting brackets outside strings. */
static bool jtree_depth_ok(const char *buf, size_t len, unsigned int max)
{
	unsigned int depth = 0;
	bool in_str = false, esc = false;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return false;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return true;
}

int jtree_parse(const char *buf, size_t len, unsigned int max_depth,
	       yajl_val *out, struct husk_error **e)
{
	char errbuf[128] = "";
	char *copy;

	*out = NULL;
	if (len == 0)
		buf = "{}", len = 2;
	if (!jtree_depth_ok(buf, len, max_depth))
		return husk_err(e, 0, "JSON nested deeper than %u levels", max_depth);
	if (memchr(buf, '\0', len))
		return husk_err(e, 0, "JSON text holds a NUL byte");
	copy = malloc(len + 1);
	if (!copy)
		return husk_err(e, ENOMEM, "JSON text of %zu bytes", len);
	memcpy(copy, buf, len);
	copy[len] = '\0';
	*out = yajl_tree_parse(copy, errbuf, sizeof(errbuf));
	free(copy);
	if (!*out) {
		errbuf[strcspn(errbuf, "\n")] = '\0';
		return husk_err(e, 0, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
	}
	return 0;
}

yajl_val jtree_get(yajl_val obj, const char *key)
{
	size_t i;

	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

int jtree_str(yajl_val obj, const char *key, bool required, const char **out,
	     struct husk_error **e)
{
	yajl_val v = jtree_get(obj, key);

	if (!v || YAJL_IS_NULL(v))
		return required ? husk_err(e, 0, "\"%s\" is missing", key) : 0;
	if (!YAJL_IS_STRING(v))
		return husk_err(e, 0, "\"%s\" is not a string", key);
	*out = v->u.string;
	return 0;
}

int jtree_i64(yajl_val obj, const char *key, int64_t *out, struct husk_error **e)
{
	yajl_val v = jtree_get(obj, key);

	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_INTEGER(v))
		return husk_err(e, 0, "\"%s\" is not an integer in range", key);
	*out = v->u.number.i;
	return 0;
}

int jtree_bool(yajl_val obj, const char *key, bool *out, struct husk_error **e)
{
	yajl_val v = jtree_get(obj, key);

	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return husk_err(e, 0, "\"%s\" is not a boolean", key);
	*out = YAJL_IS_TRUE(v);
	return 0;
}

int jtree_strv(yajl_val obj, const char *key, const char ***out, struct husk_error **e)
{
	yajl_val v = jtree_get(obj, key);
	const char **vec;
	size_t i, n;

	*out = NULL;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_ARRAY(v))
		return husk_err(e, 0, "\"%s\" is not an array", key);
	n = v->u.array.len;
	vec = calloc(n + 1, sizeof(*vec));
	if (!vec)
		return husk_err(e, ENOMEM, "\"%s\"", key);
	for (i = 0; i < n; i++) {
		if (!YAJL_IS_STRING(v->u.array.values[i])) {
			free(vec);
			return husk_err(e, 0, "\"%s\"[%zu] is not a string", key, i);
		}
		vec[i] = v->u.array.values[i]->u.string;
	}
	*out = vec;
	return 0;
}

void jw_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

void jw_str(yajl_gen g, const char *key, const char *val)
{
	jw_key(g, key);
	val = val ? val : "";
	yajl_gen_string(g, (const unsigned char *)val, strlen(val));
}

void jw_int(yajl_gen g, const char *key, long long val)
{
	jw_key(g, key);
	yajl_gen_integer(g, val);
}

void jw_bool(yajl_gen g, const char *key, bool val)
{
	jw_key(g, key);
	yajl_gen_bool(g, val);
}

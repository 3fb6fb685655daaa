// SPDX-License-Identifier: Apache-2.0
/*
 * json.c - husk's JSON layer: parsing under a nesting limit, member lookup,
 * the typed readers (one check per type, worded two ways: see json.h) and
 * the yajl_gen writers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent-codec/json.h"

/* Nesting depth of the first @len bytes, counting brackets outside strings. */
static bool json_depth_ok(const char *buf, size_t len, unsigned int max)
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

/*
 * The messages keep the words each caller has always used: the shim's name
 * the document (@what), husk-init's replies do not.
 */
int json_parse(const char *text, size_t len, const char *what, unsigned int max_depth,
	       yajl_val *out, struct husk_error **err)
{
	const char *sep = what ? ": " : "";
	char msg[256] = "";
	char *copy;

	*out = NULL;
	if (!what)
		what = "";
	if (!json_depth_ok(text, len, max_depth))
		return husk_err(err, 0, "%s%sJSON nested deeper than %u levels", what, sep,
				max_depth);
	/* yajl_tree_parse wants a C string; a NUL inside is an error. */
	if (memchr(text, '\0', len))
		return *sep ? husk_err(err, 0, "%s: NUL byte in JSON", what) :
			      husk_err(err, 0, "JSON text holds a NUL byte");
	copy = malloc(len + 1);
	if (!copy)
		return *sep ? husk_err(err, ENOMEM, "%s", what) :
			      husk_err(err, ENOMEM, "JSON text of %zu bytes", len);
	memcpy(copy, text, len);
	copy[len] = '\0';
	*out = yajl_tree_parse(copy, msg, sizeof(msg));
	free(copy);
	if (!*out) {
		msg[strcspn(msg, "\n")] = '\0';
		return husk_err(err, 0, "%s%sinvalid JSON: %s", what, sep,
				*msg ? msg : "parse error");
	}
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

/*
 * The one type check of the value readers: 1 when @v is there and @is_type,
 * 0 when it is missing or null, else the error "@name: expected @expected".
 */
static int json_check(yajl_val v, bool is_type, const char *name, const char *expected,
		      struct husk_error **err)
{
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!is_type)
		return husk_err(err, 0, "%s: expected %s", name, expected);
	return 1;
}

int json_string(yajl_val v, const char *name, const char **out, struct husk_error **err)
{
	int ret = json_check(v, YAJL_IS_STRING(v), name, "a string", err);

	if (ret > 0)
		*out = YAJL_GET_STRING(v);
	return ret < 0 ? ret : 0;
}

int json_bool(yajl_val v, const char *name, bool *out, struct husk_error **err)
{
	int ret = json_check(v, YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v), name, "true or false", err);

	if (ret > 0)
		*out = YAJL_IS_TRUE(v);
	return ret < 0 ? ret : 0;
}

/* yajl flags integers that overflow long long as doubles only. */
int json_int64(yajl_val v, const char *name, int64_t *out, struct husk_error **err)
{
	int ret = json_check(v, YAJL_IS_INTEGER(v), name, "a 64-bit integer", err);

	if (ret > 0)
		*out = YAJL_GET_INTEGER(v);
	return ret < 0 ? ret : 0;
}

int json_object(yajl_val v, const char *name, yajl_val *out, struct husk_error **err)
{
	int ret = json_check(v, YAJL_IS_OBJECT(v), name, "an object", err);

	if (ret > 0)
		*out = v;
	return ret < 0 ? ret : 0;
}

int json_array(yajl_val v, const char *name, yajl_val *out, struct husk_error **err)
{
	int ret = json_check(v, YAJL_IS_ARRAY(v), name, "an array", err);

	if (ret > 0)
		*out = v;
	return ret < 0 ? ret : 0;
}

/*
 * The member readers check with the value readers (no message: err NULL)
 * and word a failure the agent protocol's way.
 */
int json_member_string(yajl_val obj, const char *key, bool required, const char **out,
		       struct husk_error **err)
{
	yajl_val v = json_member(obj, key);

	if (required && (!v || YAJL_IS_NULL(v)))
		return husk_err(err, 0, "\"%s\" is missing", key);
	if (json_string(v, key, out, NULL) < 0)
		return husk_err(err, 0, "\"%s\" is not a string", key);
	return 0;
}

int json_member_int64(yajl_val obj, const char *key, int64_t *out, struct husk_error **err)
{
	if (json_int64(json_member(obj, key), key, out, NULL) < 0)
		return husk_err(err, 0, "\"%s\" is not an integer in range", key);
	return 0;
}

int json_member_bool(yajl_val obj, const char *key, bool *out, struct husk_error **err)
{
	if (json_bool(json_member(obj, key), key, out, NULL) < 0)
		return husk_err(err, 0, "\"%s\" is not a boolean", key);
	return 0;
}

int json_member_strv(yajl_val obj, const char *key, const char ***out, struct husk_error **err)
{
	yajl_val v = NULL;
	const char **vec;
	size_t i, n;

	*out = NULL;
	if (json_array(json_member(obj, key), key, &v, NULL) < 0)
		return husk_err(err, 0, "\"%s\" is not an array", key);
	if (!v)
		return 0;
	n = v->u.array.len;
	vec = calloc(n + 1, sizeof(*vec));
	if (!vec)
		return husk_err(err, ENOMEM, "\"%s\"", key);
	for (i = 0; i < n; i++) {
		/* a null element leaves vec[i] NULL: no string either */
		if (json_string(v->u.array.values[i], key, &vec[i], NULL) < 0 || !vec[i]) {
			free(vec);
			return husk_err(err, 0, "\"%s\"[%zu] is not a string", key, i);
		}
	}
	*out = vec;
	return 0;
}

void json_write_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

void json_write_string(yajl_gen g, const char *key, const char *val)
{
	json_write_key(g, key);
	val = val ? val : "";
	yajl_gen_string(g, (const unsigned char *)val, strlen(val));
}

void json_write_int(yajl_gen g, const char *key, long long val)
{
	json_write_key(g, key);
	yajl_gen_integer(g, val);
}

void json_write_bool(yajl_gen g, const char *key, bool val)
{
	json_write_key(g, key);
	yajl_gen_bool(g, val);
}

void json_write_value(yajl_gen g, yajl_val v)
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
			json_write_key(g, v->u.object.keys[i]);
			json_write_value(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			json_write_value(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	} else {
		yajl_gen_null(g);
	}
}

int json_to_text(yajl_val root, const char *what, char **out, size_t *out_len,
		 struct husk_error **err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (!g)
		return husk_err(err, ENOMEM, "%s", what);
	json_write_value(g, root);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok || !(*out = malloc(len + 1))) {
		yajl_gen_free(g);
		return husk_err(err, ENOMEM, "%s", what);
	}
	memcpy(*out, buf, len);
	(*out)[len] = '\0';
	*out_len = len;
	yajl_gen_free(g);
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_util.h - small typed accessors over yajl's tree API, each failing
 * with a message that names the offending field ("linux.resources.memory.
 * limit: expected an integer"), shared by oci_spec.c and runtime_config.c.
 */
#ifndef HUSK_SHIM_BASE_JSON_UTIL_H
#define HUSK_SHIM_BASE_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

struct husk_error;

#define JSON_MAX_FILE (16u << 20) /* config.json larger than this is refused */

/*
 * json_parse - parse @len bytes of @text (need not be NUL-terminated) into
 * a tree; @what names the document in errors. Returns 0 or -EINVAL.
 */
int json_parse(const char *text, size_t len, const char *what, yajl_val *out,
	       struct husk_error **err);

/* json_read_file - read all of @path (at most JSON_MAX_FILE) into a malloc'd buffer. */
int json_read_file(const char *path, char **buf, size_t *len, struct husk_error **err);

/* json_member - @obj's member @key, or NULL (also when @obj is no object). */
yajl_val json_member(yajl_val obj, const char *key);

/*
 * Typed getters: a missing member (v == NULL) leaves *out alone and
 * returns 0; a member of the wrong type fails with "@field: expected ...".
 */
int json_get_string(yajl_val v, const char *field, const char **out, struct husk_error **err);
int json_get_bool(yajl_val v, const char *field, bool *out, struct husk_error **err);
int json_get_int(yajl_val v, const char *field, int64_t *out, struct husk_error **err);
int json_get_object(yajl_val v, const char *field, yajl_val *out, struct husk_error **err);
int json_get_array(yajl_val v, const char *field, yajl_val *out, struct husk_error **err);

/* json_gen_value - @v (a parsed tree) into @g; numbers keep their text. */
void json_gen_value(yajl_gen g, yajl_val v);

/* json_emit - @root as JSON text in a malloc'd, NUL-terminated *@out. */
int json_emit(yajl_val root, char **out, size_t *out_len, struct husk_error **err);

#endif

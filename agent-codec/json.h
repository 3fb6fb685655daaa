/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - husk's one JSON layer over yajl (tree API to read, yajl_gen to
 * write), linked by the shim, husk-init, the tests and the fuzzers; libhusk
 * does not use yajl. It holds: parsing text into a tree under a nesting
 * limit, member lookup, typed readers that check every type, writers.
 *
 * The typed readers come in two forms over the same checks:
 * - value readers (json_string(v, name, ...)): @v is the value itself,
 *   NULL when missing; a wrong type fails "@name: expected a string".
 *   The shim reads config.json, its runtime config and the agent's
 *   replies with them.
 * - member readers (json_member_string(obj, key, ...)): look @key up in
 *   @obj, then check it with the value reader; a wrong type fails
 *   "\"@key\" is not a string". husk-init reads the agent protocol with
 *   them, and its replies have always been worded so.
 * A missing or null value leaves the output untouched, so callers preset
 * defaults.
 */
#ifndef HUSK_AGENT_CODEC_JSON_H
#define HUSK_AGENT_CODEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "common/error.h"

/*
 * json_parse - parse @len bytes of @text (need not be NUL-terminated) into
 * a tree (free with yajl_tree_free). Input nested deeper than @max_depth is
 * refused before yajl sees it: yajl frees trees recursively, and PID 1's
 * stack is not for attackers. @what names the document in the messages
 * ("config.json: invalid JSON: ..."); NULL for the agent protocol, whose
 * replies name no document ("invalid JSON: ...").
 */
int json_parse(const char *text, size_t len, const char *what, unsigned int max_depth,
	       yajl_val *out, struct husk_error **err);

/* json_member - @obj's member @key, or NULL (also when @obj is no object). */
yajl_val json_member(yajl_val obj, const char *key);

/* Value readers: @v NULL or null leaves *@out alone; "@name: expected ..." */
int json_string(yajl_val v, const char *name, const char **out, struct husk_error **err);
int json_bool(yajl_val v, const char *name, bool *out, struct husk_error **err);
int json_int64(yajl_val v, const char *name, int64_t *out, struct husk_error **err);
int json_object(yajl_val v, const char *name, yajl_val *out, struct husk_error **err);
int json_array(yajl_val v, const char *name, yajl_val *out, struct husk_error **err);

/* Member readers: @obj's member @key; "\"@key\" is not ..." */
int json_member_string(yajl_val obj, const char *key, bool required, const char **out,
		       struct husk_error **err);
int json_member_int64(yajl_val obj, const char *key, int64_t *out, struct husk_error **err);
int json_member_bool(yajl_val obj, const char *key, bool *out, struct husk_error **err);

/*
 * json_member_strv - array of strings @key as a NULL-terminated vector whose
 * strings point into the tree (free only the vector). Missing: *@out NULL.
 */
int json_member_strv(yajl_val obj, const char *key, const char ***out, struct husk_error **err);

/* Writers: each emits "key": value into the open map of @g. */
void json_write_string(yajl_gen g, const char *key, const char *val);
void json_write_int(yajl_gen g, const char *key, long long val);
void json_write_bool(yajl_gen g, const char *key, bool val);
void json_write_key(yajl_gen g, const char *key);

/* json_write_value - @v (a parsed tree) into @g; numbers keep their text. */
void json_write_value(yajl_gen g, yajl_val v);

/*
 * json_to_text - @root as JSON text in a malloc'd, NUL-terminated *@out;
 * @what names the text in the out-of-memory message.
 */
int json_to_text(yajl_val root, const char *what, char **out, size_t *out_len,
		 struct husk_error **err);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - reading untrusted JSON (yajl's tree API) and writing replies
 * (yajl_gen). Readers check every type; a missing optional field leaves
 * the output untouched, so callers preset defaults.
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
 * jtree_parse - parse @len bytes into a tree (free with yajl_tree_free).
 * Input nested deeper than @max_depth is refused before yajl sees it:
 * yajl frees trees recursively, and PID 1's stack is not for attackers.
 */
int jtree_parse(const char *buf, size_t len, unsigned int max_depth,
	       yajl_val *out, struct husk_error **e);

/* jtree_get - member @key of object @obj, or NULL. */
yajl_val jtree_get(yajl_val obj, const char *key);

int jtree_str(yajl_val obj, const char *key, bool required, const char **out,
	     struct husk_error **e);
int jtree_i64(yajl_val obj, const char *key, int64_t *out, struct husk_error **e);
int jtree_bool(yajl_val obj, const char *key, bool *out, struct husk_error **e);

/*
 * jtree_strv - array of strings @key as a NULL-terminated vector whose
 * strings point into the tree (free only the vector). Missing: *@out NULL.
 */
int jtree_strv(yajl_val obj, const char *key, const char ***out, struct husk_error **e);

/* Writers: each emits "key": value into the open map of @g. */
void jw_str(yajl_gen g, const char *key, const char *val);
void jw_int(yajl_gen g, const char *key, long long val);
void jw_bool(yajl_gen g, const char *key, bool val);
void jw_key(yajl_gen g, const char *key);

#endif

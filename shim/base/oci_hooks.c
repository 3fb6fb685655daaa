// SPDX-License-Identifier: Apache-2.0
/* oci_hooks.c - reading config.json's "hooks", and which may run on the host (oci_hooks.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "agent-codec/json.h"
#include "shim/base/oci_hooks.h"

static const char *const kind_names[OCI_HOOK_KINDS] = {
	[OCI_HOOK_PRESTART] = "prestart",
	[OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
	[OCI_HOOK_CREATE_CONTAINER] = "createContainer",
	[OCI_HOOK_START_CONTAINER] = "startContainer",
	[OCI_HOOK_POSTSTART] = "poststart",
	[OCI_HOOK_POSTSTOP] = "poststop",
};

const char *oci_hook_kind_name(enum oci_hook_kind kind)
{
	return kind < OCI_HOOK_KINDS ? kind_names[kind] : "?";
}

static void strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* An array of strings @v (NULL: *out NULL) into a NULL-terminated copy. */
static int parse_strv(yajl_val v, const char *name, bool is_env, char ***out,
		      struct husk_error **err)
{
	yajl_val arr = NULL;
	size_t i;
	int ret;

	*out = NULL;
	ret = json_array(v, name, &arr, err);
	if (ret || !arr)
		return ret;
	*out = calloc(arr->u.array.len + 1, sizeof(char *));
	if (!*out)
		return husk_err(err, ENOMEM, "%s", name);
	for (i = 0; i < arr->u.array.len; i++) {
		const char *s = YAJL_GET_STRING(arr->u.array.values[i]);

		if (!s)
			return husk_err(err, 0, "%s[%zu]: expected a string", name, i);
		/* environ's form; a bare word would be an unset variable nobody asked for. */
		if (is_env && !strchr(s, '='))
			return husk_err(err, 0, "%s[%zu]: \"%s\" is not KEY=value", name, i, s);
		(*out)[i] = strdup(s);
		if (!(*out)[i])
			return husk_err(err, ENOMEM, "%s", name);
	}
	return 0;
}

static int parse_hook(yajl_val v, const char *name, struct oci_hook *h, struct husk_error **err)
{
	char field[128];
	const char *path = NULL;
	int64_t timeout = 0;
	int ret;

	if (!YAJL_IS_OBJECT(v))
		return husk_err(err, 0, "%s: expected an object", name);
	snprintf(field, sizeof(field), "%s.path", name);
	ret = json_string(json_member(v, "path"), field, &path, err);
	if (ret)
		return ret;
	if (!path || path[0] != '/')
		return husk_err(err, 0, "%s: must be an absolute path", field);
	h->path = strdup(path);
	if (!h->path)
		return husk_err(err, ENOMEM, "%s", field);
	snprintf(field, sizeof(field), "%s.args", name);
	ret = parse_strv(json_member(v, "args"), field, false, &h->args, err);
	snprintf(field, sizeof(field), "%s.env", name);
	if (!ret)
		ret = parse_strv(json_member(v, "env"), field, true, &h->env, err);
	snprintf(field, sizeof(field), "%s.timeout", name);
	if (!ret)
		ret = json_int64(json_member(v, "timeout"), field, &timeout, err);
	if (ret)
		return ret;
	if (json_member(v, "timeout") && (timeout <= 0 || timeout > 86400))
		return husk_err(err, 0, "%s: %lld is not a number of seconds above 0", field,
				(long long)timeout);
	h->timeout = (int)timeout;
	return 0;
}

static int kind_of(const char *key)
{
	int k;

	for (k = 0; k < OCI_HOOK_KINDS; k++)
		if (!strcmp(key, kind_names[k]))
			return k;
	return -1;
}

static int parse_kind(yajl_val arr, int k, struct oci_hooks *out, struct husk_error **err)
{
	char name[64];
	size_t i, n;
	int ret;

	snprintf(name, sizeof(name), "hooks.%s", kind_names[k]);
	ret = json_array(arr, name, &arr, err);
	if (ret || !arr)
		return ret;
	n = arr->u.array.len;
	out->hook[k] = calloc(n ? n : 1, sizeof(struct oci_hook));
	if (!out->hook[k])
		return husk_err(err, ENOMEM, "%s", name);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "hooks.%s[%zu]", kind_names[k], i);
		out->n[k] = i + 1;
		ret = parse_hook(arr->u.array.values[i], name, &out->hook[k][i], err);
		if (ret)
			return ret;
	}
	return 0;
}

int oci_hooks_parse(yajl_val v, struct oci_hooks *out, struct husk_error **err)
{
	yajl_val obj = NULL;
	size_t i;
	int ret, k;

	memset(out, 0, sizeof(*out));
	ret = json_object(v, "hooks", &obj, err);
	if (ret || !obj)
		return ret;
	for (i = 0; i < obj->u.object.len && !ret; i++) {
		k = kind_of(obj->u.object.keys[i]);
		if (k < 0)
			ret = husk_err(err, 0, "hooks.%s: unknown hook type",
				       obj->u.object.keys[i]);
		else if (out->hook[k])
			ret = husk_err(err, 0, "hooks.%s: given twice", kind_names[k]);
		else
			ret = parse_kind(obj->u.object.values[i], k, out, err);
	}
	if (ret)
		oci_hooks_clear(out);
	return ret;
}

void oci_hooks_clear(struct oci_hooks *h)
{
	size_t i;
	int k;

	for (k = 0; k < OCI_HOOK_KINDS; k++) {
		for (i = 0; i < h->n[k]; i++) {
			free(h->hook[k][i].path);
			strv_free(h->hook[k][i].args);
			strv_free(h->hook[k][i].env);
		}
		free(h->hook[k]);
	}
	memset(h, 0, sizeof(*h));
}

int oci_hooks_check_host(const struct oci_hooks *h, struct husk_error **err)
{
	static const enum oci_hook_kind in_vm[] = { OCI_HOOK_CREATE_CONTAINER,
						    OCI_HOOK_START_CONTAINER };
	size_t i;

	for (i = 0; i < sizeof(in_vm) / sizeof(in_vm[0]); i++)
		if (h->n[in_vm[i]])
			return husk_err(
				err, ENOTSUP,
				"hooks.%s: these hooks run in the container's namespaces, which are in the VM, where the host's %s cannot run",
				kind_names[in_vm[i]], h->hook[in_vm[i]][0].path);
	return 0;
}

// SPDX-License-Identifier: Apache-2.0
/* oci_spec.c - reading the shim's share of an OCI config.json (yajl). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "agent-codec/json.h"
#include "shim/base/config_file.h"
#include "shim/base/oci_spec.h"

static int dup_string(yajl_val v, const char *field, char **out, struct husk_error **err)
{
	const char *s = NULL;
	int ret = json_string(v, field, &s, err);

	if (ret || !s)
		return ret;
	*out = strdup(s);
	return *out ? 0 : husk_err(err, ENOMEM, "%s", field);
}

static int parse_annotations(struct oci_spec *spec, yajl_val root, struct husk_error **err)
{
	yajl_val obj = NULL;
	size_t i, n;
	int ret;

	ret = json_object(json_member(root, "annotations"), "annotations", &obj, err);
	if (ret || !obj)
		return ret;
	n = obj->u.object.len;
	spec->annot_keys = calloc(n + 1, sizeof(char *));
	spec->annot_values = calloc(n + 1, sizeof(char *));
	if (!spec->annot_keys || !spec->annot_values)
		return husk_err(err, ENOMEM, "annotations");
	for (i = 0; i < n; i++) {
		const char *key = obj->u.object.keys[i];
		const char *val = YAJL_GET_STRING(obj->u.object.values[i]);

		if (!val)
			return husk_err(err, 0, "annotations.%s: expected a string", key);
		spec->annot_keys[i] = strdup(key);
		spec->annot_values[i] = strdup(val);
		spec->n_annotations = i + 1;
		if (!spec->annot_keys[i] || !spec->annot_values[i])
			return husk_err(err, ENOMEM, "annotations");
	}
	return 0;
}

static int parse_root(struct oci_spec *spec, yajl_val root, struct husk_error **err)
{
	yajl_val r = NULL;
	int ret;

	ret = json_object(json_member(root, "root"), "root", &r, err);
	if (ret || !r)
		return ret;
	ret = dup_string(json_member(r, "path"), "root.path", &spec->root_path, err);
	if (!ret)
		ret = json_bool(json_member(r, "readonly"), "root.readonly", &spec->root_readonly,
				err);
	if (!ret && spec->root_path && !*spec->root_path)
		ret = husk_err(err, 0, "root.path: must not be empty");
	return ret;
}

static int parse_cpu(struct oci_spec *spec, yajl_val cpu, struct husk_error **err)
{
	int64_t period = 0, shares = 0;
	int ret;

	ret = json_int64(json_member(cpu, "quota"), "linux.resources.cpu.quota", &spec->cpu_quota,
			 err);
	if (!ret)
		ret = json_int64(json_member(cpu, "period"), "linux.resources.cpu.period", &period,
				 err);
	if (!ret)
		ret = json_int64(json_member(cpu, "shares"), "linux.resources.cpu.shares", &shares,
				 err);
	if (ret)
		return ret;
	if (period < 0 || shares < 0)
		return husk_err(err, 0,
				"linux.resources.cpu: period and shares must not be negative");
	spec->cpu_period = (uint64_t)period;
	spec->cpu_shares = (uint64_t)shares;
	return 0;
}

static int parse_resources(struct oci_spec *spec, yajl_val linux_obj, struct husk_error **err)
{
	yajl_val res = NULL, mem = NULL, cpu = NULL;
	int ret;

	ret = json_object(json_member(linux_obj, "resources"), "linux.resources", &res, err);
	if (ret || !res)
		return ret;
	ret = json_object(json_member(res, "memory"), "linux.resources.memory", &mem, err);
	if (!ret && mem)
		ret = json_int64(json_member(mem, "limit"), "linux.resources.memory.limit",
				 &spec->memory_limit, err);
	if (!ret)
		ret = json_object(json_member(res, "cpu"), "linux.resources.cpu", &cpu, err);
	if (!ret && cpu)
		ret = parse_cpu(spec, cpu, err);
	return ret;
}

static int parse_namespaces(struct oci_spec *spec, yajl_val linux_obj, struct husk_error **err)
{
	yajl_val arr = NULL;
	size_t i;
	int ret;

	ret = json_array(json_member(linux_obj, "namespaces"), "linux.namespaces", &arr, err);
	if (ret || !arr)
		return ret;
	spec->has_namespaces = true;
	for (i = 0; i < arr->u.array.len; i++) {
		yajl_val ns = arr->u.array.values[i];
		const char *type = NULL;

		if (!YAJL_IS_OBJECT(ns))
			return husk_err(err, 0, "linux.namespaces[%zu]: expected an object", i);
		ret = json_string(json_member(ns, "type"), "linux.namespaces[].type", &type, err);
		if (ret)
			return ret;
		if (!type)
			return husk_err(err, 0, "linux.namespaces[%zu]: no type", i);
		if (strcmp(type, "network"))
			continue;
		spec->has_netns = true;
		ret = dup_string(json_member(ns, "path"), "linux.namespaces[].path",
				 &spec->netns_path, err);
		if (ret)
			return ret;
		if (spec->netns_path && !*spec->netns_path) {
			free(spec->netns_path);
			spec->netns_path = NULL;
		}
	}
	return 0;
}

static int parse_tree(struct oci_spec *spec, yajl_val root, struct husk_error **err)
{
	yajl_val proc = NULL, linux_obj = NULL;
	int ret;

	if (!YAJL_IS_OBJECT(root))
		return husk_err(err, 0, "config.json: expected an object");
	ret = parse_annotations(spec, root, err);
	if (!ret)
		ret = parse_root(spec, root, err);
	if (!ret)
		ret = json_object(json_member(root, "process"), "process", &proc, err);
	if (!ret && proc)
		ret = json_bool(json_member(proc, "terminal"), "process.terminal", &spec->terminal,
				err);
	if (!ret)
		ret = json_object(json_member(root, "linux"), "linux", &linux_obj, err);
	if (!ret && linux_obj)
		ret = parse_resources(spec, linux_obj, err);
	if (!ret && linux_obj)
		ret = parse_namespaces(spec, linux_obj, err);
	if (!ret && linux_obj)
		ret = dup_string(json_member(linux_obj, "cgroupsPath"), "linux.cgroupsPath",
				 &spec->cgroups_path, err);
	if (!ret)
		ret = oci_hooks_parse(json_member(root, "hooks"), &spec->hooks, err);
	return ret;
}

int oci_spec_parse(const char *json, size_t len, struct oci_spec **out, struct husk_error **err)
{
	struct oci_spec *spec;
	yajl_val root;
	int ret;

	ret = json_parse(json, len, "config.json", CONFIG_JSON_MAX_DEPTH, &root, err);
	if (ret)
		return ret;
	spec = calloc(1, sizeof(*spec));
	if (!spec) {
		yajl_tree_free(root);
		return husk_err(err, ENOMEM, "config.json");
	}
	spec->memory_limit = -1;
	spec->cpu_quota = -1;
	ret = parse_tree(spec, root, err);
	yajl_tree_free(root);
	if (ret) {
		oci_spec_free(spec);
		return ret;
	}
	*out = spec;
	return 0;
}

int oci_spec_load(const char *path, struct oci_spec **out, struct husk_error **err)
{
	size_t len;
	char *buf;
	int ret;

	ret = config_file_read(path, &buf, &len, err);
	if (ret)
		return ret;
	ret = oci_spec_parse(buf, len, out, err);
	free(buf);
	if (ret)
		husk_err_wrap(err, "%s", path);
	return ret;
}

void oci_spec_free(struct oci_spec *spec)
{
	size_t i;

	if (!spec)
		return;
	for (i = 0; i < spec->n_annotations; i++) {
		free(spec->annot_keys[i]);
		free(spec->annot_values[i]);
	}
	free(spec->annot_keys);
	free(spec->annot_values);
	free(spec->root_path);
	free(spec->netns_path);
	free(spec->cgroups_path);
	oci_hooks_clear(&spec->hooks);
	free(spec);
}

// SPDX-License-Identifier: Apache-2.0
/* runtime_config.c - parse and validate husk's runtime config file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "agent-codec/json.h"
#include "shim/base/config_file.h"
#include "shim/base/runtime_config.h"

int runtime_config_defaults(struct runtime_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kernel = strdup(RUNTIME_CONFIG_DEFAULT_KERNEL);
	cfg->kernel_params = strdup("");
	cfg->memory_mib = 256;
	cfg->vcpus = 1;
	cfg->console_log_max_bytes = RUNTIME_CONFIG_DEFAULT_CONSOLE_MAX;
	cfg->seccomp = true;
	cfg->warm_vm_idle_seconds = RUNTIME_CONFIG_DEFAULT_WARM_IDLE_S;
	if (!cfg->kernel || !cfg->kernel_params) {
		runtime_config_clear(cfg);
		return -ENOMEM;
	}
	return 0;
}

void runtime_config_clear(struct runtime_config *cfg)
{
	free(cfg->kernel);
	free(cfg->init);
	free(cfg->virtiofsd);
	free(cfg->kernel_params);
	free(cfg->source);
	memset(cfg, 0, sizeof(*cfg));
}

static int set_string(char **dst, const char *val)
{
	char *s = strdup(val);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int check_params(const char *p, struct husk_error **err)
{
	if (strlen(p) > RUNTIME_CONFIG_MAX_PARAMS)
		return husk_err(err, 0, "kernel_params: longer than %d bytes",
				RUNTIME_CONFIG_MAX_PARAMS);
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return husk_err(err, 0,
					"kernel_params: control character (newline?) not allowed");
	return 0;
}

static int apply_string(struct runtime_config *cfg, const char *key, yajl_val v,
			struct husk_error **err)
{
	const char *s = NULL;
	int ret = json_string(v, key, &s, err);

	if (ret || !s)
		return ret;
	if (!strcmp(key, "kernel") || !strcmp(key, "init") || !strcmp(key, "virtiofsd")) {
		char **dst = !strcmp(key, "kernel") ? &cfg->kernel :
			     !strcmp(key, "init")   ? &cfg->init :
						      &cfg->virtiofsd;

		if (s[0] != '/')
			return husk_err(err, 0, "%s: \"%s\" is not an absolute path", key, s);
		return set_string(dst, s) ? husk_err(err, ENOMEM, "%s", key) : 0;
	}
	ret = check_params(s, err);
	if (!ret && set_string(&cfg->kernel_params, s))
		ret = husk_err(err, ENOMEM, "kernel_params");
	return ret;
}

static int apply_number(struct runtime_config *cfg, const char *key, yajl_val v,
			struct husk_error **err)
{
	int64_t n = -1;
	int ret = json_int64(v, key, &n, err);

	if (ret)
		return ret;
	if (!strcmp(key, "memory_mib")) {
		if (n < RUNTIME_CONFIG_MIN_MIB || n > RUNTIME_CONFIG_MAX_MIB)
			return husk_err(err, 0, "memory_mib: %lld is outside %u..%u", (long long)n,
					RUNTIME_CONFIG_MIN_MIB, RUNTIME_CONFIG_MAX_MIB);
		cfg->memory_mib = (uint64_t)n;
		return 0;
	}
	if (!strcmp(key, "console_log_max_bytes")) {
		if (n != 0 &&
		    (n < RUNTIME_CONFIG_MIN_CONSOLE_MAX || n > RUNTIME_CONFIG_MAX_CONSOLE_MAX))
			return husk_err(
				err, 0,
				"console_log_max_bytes: %lld is neither 0 (no cap) nor within %lld..%lld",
				(long long)n, (long long)RUNTIME_CONFIG_MIN_CONSOLE_MAX,
				(long long)RUNTIME_CONFIG_MAX_CONSOLE_MAX);
		cfg->console_log_max_bytes = (uint64_t)n;
		return 0;
	}
	if (!strcmp(key, "warm_vms") || !strcmp(key, "warm_vm_idle_seconds")) {
		bool idle = !strcmp(key, "warm_vm_idle_seconds");
		int64_t lo = idle ? 1 : 0;
		int64_t hi = idle ? RUNTIME_CONFIG_MAX_WARM_IDLE_S : RUNTIME_CONFIG_MAX_WARM_VMS;

		if (n < lo || n > hi)
			return husk_err(err, 0, "%s: %lld is outside %lld..%lld", key, (long long)n,
					(long long)lo, (long long)hi);
		*(idle ? &cfg->warm_vm_idle_seconds : &cfg->warm_vms) = (uint32_t)n;
		return 0;
	}
	if (n < 1 || n > RUNTIME_CONFIG_MAX_VCPUS)
		return husk_err(err, 0, "vcpus: %lld is outside 1..%d", (long long)n,
				RUNTIME_CONFIG_MAX_VCPUS);
	cfg->vcpus = (uint32_t)n;
	return 0;
}

static int apply_rootfs(struct runtime_config *cfg, yajl_val v, struct husk_error **err)
{
	const char *s = NULL;
	int ret = json_string(v, "rootfs", &s, err);

	if (ret || !s)
		return ret;
	if (!strcmp(s, "virtio-fs"))
		cfg->rootfs = RUNTIME_ROOTFS_VIRTIO_FS;
	else if (!strcmp(s, "block"))
		cfg->rootfs = RUNTIME_ROOTFS_BLOCK;
	else
		return husk_err(err, 0, "rootfs: \"%s\" is neither \"virtio-fs\" nor \"block\"", s);
	return 0;
}

/* {"rate": N, "one_time_burst": N} of @path ("disk_rate_limit.ops"). */
static int apply_bucket(struct husk_token_bucket *b, const char *path, yajl_val v,
			struct husk_error **err)
{
	yajl_val obj = NULL;
	char full[96];
	int64_t n;
	size_t i;
	int ret = json_object(v, path, &obj, err);

	for (i = 0; !ret && obj && i < obj->u.object.len; i++) {
		const char *key = obj->u.object.keys[i];
		uint64_t *dst = !strcmp(key, "rate")	       ? &b->rate :
				!strcmp(key, "one_time_burst") ? &b->one_time_burst :
								 NULL;

		if (!dst)
			return husk_err(err, 0,
					"%s: unknown key \"%s\" (known: rate, one_time_burst)",
					path, key);
		snprintf(full, sizeof(full), "%s.%s", path, key);
		n = 0;
		ret = json_int64(obj->u.object.values[i], full, &n, err);
		if (!ret && (n < 0 || (uint64_t)n > HUSK_RATE_LIMIT_MAX))
			ret = husk_err(err, 0, "%s: %lld is outside 0..%llu", full, (long long)n,
				       (unsigned long long)HUSK_RATE_LIMIT_MAX);
		if (!ret)
			*dst = (uint64_t)n;
	}
	if (!ret && b->one_time_burst && !b->rate)
		ret = husk_err(err, 0, "%s: one_time_burst needs a rate", path);
	return ret;
}

/* {"bandwidth": BUCKET, "ops": BUCKET} for one of the *_rate_limit keys. */
static int apply_rate_limit(struct runtime_config *cfg, const char *key, yajl_val v,
			    struct husk_error **err)
{
	struct husk_rate_limit *l = !strcmp(key, "disk_rate_limit")   ? &cfg->disk_rate_limit :
				    !strcmp(key, "net_rx_rate_limit") ? &cfg->net_rx_rate_limit :
									&cfg->net_tx_rate_limit;
	yajl_val obj = NULL;
	char path[64];
	size_t i;
	int ret = json_object(v, key, &obj, err);

	for (i = 0; !ret && obj && i < obj->u.object.len; i++) {
		const char *name = obj->u.object.keys[i];

		snprintf(path, sizeof(path), "%s.%.16s", key, name);
		if (!strcmp(name, "bandwidth"))
			ret = apply_bucket(&l->bandwidth, path, obj->u.object.values[i], err);
		else if (!strcmp(name, "ops"))
			ret = apply_bucket(&l->ops, path, obj->u.object.values[i], err);
		else
			ret = husk_err(err, 0, "%s: unknown key \"%s\" (known: bandwidth, ops)",
				       key, name);
	}
	return ret;
}

static int apply_key(struct runtime_config *cfg, const char *key, yajl_val v,
		     struct husk_error **err)
{
	if (!strcmp(key, "kernel") || !strcmp(key, "init") || !strcmp(key, "kernel_params") ||
	    !strcmp(key, "virtiofsd"))
		return apply_string(cfg, key, v, err);
	if (!strcmp(key, "memory_mib") || !strcmp(key, "vcpus") ||
	    !strcmp(key, "console_log_max_bytes") || !strcmp(key, "warm_vms") ||
	    !strcmp(key, "warm_vm_idle_seconds"))
		return apply_number(cfg, key, v, err);
	if (!strcmp(key, "debug_console"))
		return json_bool(v, key, &cfg->debug_console, err);
	if (!strcmp(key, "seccomp"))
		return json_bool(v, key, &cfg->seccomp, err);
	if (!strcmp(key, "rootfs"))
		return apply_rootfs(cfg, v, err);
	if (!strcmp(key, "disk_rate_limit") || !strcmp(key, "net_rx_rate_limit") ||
	    !strcmp(key, "net_tx_rate_limit"))
		return apply_rate_limit(cfg, key, v, err);
	return husk_err(
		err, 0,
		"unknown key \"%s\" (known: kernel, init, memory_mib, vcpus, kernel_params, debug_console, console_log_max_bytes, seccomp, virtiofsd, rootfs, disk_rate_limit, net_rx_rate_limit, net_tx_rate_limit, warm_vms, warm_vm_idle_seconds)",
		key);
}

int runtime_config_parse(const char *json, size_t len, struct runtime_config *cfg,
			 struct husk_error **err)
{
	yajl_val root = NULL;
	size_t i;
	int ret;

	if (runtime_config_defaults(cfg))
		return husk_err(err, ENOMEM, "runtime config");
	ret = json_parse(json, len, "runtime config", CONFIG_JSON_MAX_DEPTH, &root, err);
	if (!ret && !YAJL_IS_OBJECT(root))
		ret = husk_err(err, 0, "runtime config: expected an object");
	for (i = 0; !ret && i < root->u.object.len; i++)
		ret = apply_key(cfg, root->u.object.keys[i], root->u.object.values[i], err);
	if (root)
		yajl_tree_free(root);
	if (ret)
		runtime_config_clear(cfg);
	return ret;
}

int runtime_config_load(const char *path, struct runtime_config *cfg, struct husk_error **err)
{
	bool explicit = path && *path;
	size_t len;
	char *buf;
	int ret;

	if (!explicit)
		path = RUNTIME_CONFIG_DEFAULT_PATH;
	if (!explicit && access(path, F_OK) && errno == ENOENT)
		return runtime_config_defaults(cfg) ? husk_err(err, ENOMEM, "runtime config") : 0;
	ret = config_file_read(path, &buf, &len, err);
	if (ret)
		return husk_err_wrap(err, "runtime config");
	ret = runtime_config_parse(buf, len, cfg, err);
	free(buf);
	if (ret)
		return husk_err_wrap(err, "%s", path);
	cfg->source = strdup(path);
	if (!cfg->source) {
		runtime_config_clear(cfg);
		return husk_err(err, ENOMEM, "runtime config");
	}
	return 0;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool runtime_config_same_vm(const struct runtime_config *a, const struct runtime_config *b)
{
	return same_str(a->kernel, b->kernel) && same_str(a->init, b->init) &&
	       same_str(a->kernel_params, b->kernel_params) &&
	       same_str(a->virtiofsd, b->virtiofsd) && a->memory_mib == b->memory_mib &&
	       a->vcpus == b->vcpus && a->debug_console == b->debug_console &&
	       a->console_log_max_bytes == b->console_log_max_bytes && a->seccomp == b->seccomp &&
	       !memcmp(&a->disk_rate_limit, &b->disk_rate_limit, sizeof(a->disk_rate_limit)) &&
	       !memcmp(&a->net_rx_rate_limit, &b->net_rx_rate_limit,
		       sizeof(a->net_rx_rate_limit)) &&
	       !memcmp(&a->net_tx_rate_limit, &b->net_tx_rate_limit, sizeof(a->net_tx_rate_limit));
}

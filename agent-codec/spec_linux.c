// SPDX-License-Identifier: Apache-2.0
/* spec_linux.c - config.json's "mounts" and "linux" objects (see spec.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "agent-codec/mntopt.h"
#include "agent-codec/spec.h"

#define OCI_MAX_MOUNTS	256
#define OCI_MAX_DEVICES 256

static int spec_mount_one(yajl_val m, struct spec_mount *out, struct husk_error **e)
{
	const char **opts = NULL;
	struct mntopt mo;
	int ret;

	out->type = out->source = "";
	if (json_member_string(m, "destination", true, &out->dest, e) < 0 ||
	    json_member_string(m, "type", false, &out->type, e) < 0 ||
	    json_member_string(m, "source", false, &out->source, e) < 0)
		return -EINVAL;
	if (out->dest[0] != '/')
		return husk_err(e, 0, "destination \"%s\" is not absolute", out->dest);
	if (json_member_strv(m, "options", &opts, e) < 0)
		return -EINVAL;
	ret = mntopt_parse(opts, &mo, e);
	free(opts);
	if (ret < 0)
		return ret;
	if (strcmp(out->type, "bind") == 0)
		mo.flags |= MS_BIND;
	out->flags = mo.flags;
	out->propagation = mo.propagation;
	out->data = mo.data;
	return 0;
}

int spec_mounts_parse(yajl_val root, struct spec *s, struct husk_error **e)
{
	yajl_val arr = json_member(root, "mounts");
	size_t i;

	if (!arr || YAJL_IS_NULL(arr))
		return 0;
	if (!YAJL_IS_ARRAY(arr) || arr->u.array.len > OCI_MAX_MOUNTS)
		return husk_err(e, 0, "mounts is not an array of at most %d", OCI_MAX_MOUNTS);
	s->mounts = calloc(arr->u.array.len + 1, sizeof(*s->mounts));
	if (!s->mounts)
		return husk_err(e, ENOMEM, "mounts");
	for (i = 0; i < arr->u.array.len; i++) {
		if (spec_mount_one(arr->u.array.values[i], &s->mounts[i], e) < 0)
			return husk_err_wrap(e, "mounts[%zu]", i);
		s->nmounts++;
	}
	return 0;
}

static int spec_i64s(yajl_val obj, const char *const *keys, int64_t *const *outs,
		     struct husk_error **e)
{
	for (; *keys; keys++, outs++)
		if (json_member_int64(obj, *keys, *outs, e) < 0)
			return -EINVAL;
	return 0;
}

int spec_resources_parse(yajl_val r, struct spec_resources *res, struct husk_error **e)
{
	static const char *const mem_keys[] = { "limit", "reservation", "swap", NULL };
	static const char *const cpu_keys[] = { "shares", "quota", "period", NULL };
	yajl_val mem = json_member(r, "memory"), cpu = json_member(r, "cpu");
	int64_t *const mem_outs[] = { &res->mem_limit, &res->mem_reservation, &res->mem_swap };
	int64_t *const cpu_outs[] = { &res->cpu_shares, &res->cpu_quota, &res->cpu_period };

	res->mem_limit = res->mem_reservation = res->mem_swap = SPEC_UNSET;
	res->cpu_shares = res->cpu_quota = res->cpu_period = SPEC_UNSET;
	res->pids_limit = SPEC_UNSET;
	if (spec_i64s(mem, mem_keys, mem_outs, e) < 0 ||
	    spec_i64s(cpu, cpu_keys, cpu_outs, e) < 0 ||
	    json_member_string(cpu, "cpus", false, &res->cpus, e) < 0 ||
	    json_member_string(cpu, "mems", false, &res->mems, e) < 0 ||
	    json_member_int64(json_member(r, "pids"), "limit", &res->pids_limit, e) < 0)
		return husk_err_wrap(e, "linux.resources");
	res->unified = json_member(r, "unified");
	if (res->unified && !YAJL_IS_OBJECT(res->unified))
		return husk_err(e, 0, "linux.resources.unified is not an object");
	return 0;
}

static int spec_device_one(yajl_val d, struct spec_device *dev, struct husk_error **e)
{
	const char *type = NULL;

	dev->major = dev->minor = 0;
	dev->mode = dev->uid = dev->gid = SPEC_UNSET;
	if (json_member_string(d, "path", true, &dev->path, e) < 0 ||
	    json_member_string(d, "type", true, &type, e) < 0 ||
	    json_member_int64(d, "major", &dev->major, e) < 0 ||
	    json_member_int64(d, "minor", &dev->minor, e) < 0 ||
	    json_member_int64(d, "fileMode", &dev->mode, e) < 0 ||
	    json_member_int64(d, "uid", &dev->uid, e) < 0 ||
	    json_member_int64(d, "gid", &dev->gid, e) < 0)
		return -EINVAL;
	if (dev->path[0] != '/' || strlen(type) != 1 || !strchr("cubp", type[0]))
		return husk_err(e, 0, "bad device \"%s\" of type \"%s\"", dev->path, type);
	dev->type = type[0] == 'u' ? 'c' : type[0];
	if (dev->major < 0 || dev->major > 0xfff || dev->minor < 0 || dev->minor > 0xfffff)
		return husk_err(e, 0, "device %s: major/minor out of range", dev->path);
	return 0;
}

static int spec_devices_parse(yajl_val arr, struct spec *s, struct husk_error **e)
{
	size_t i;

	if (!arr || YAJL_IS_NULL(arr))
		return 0;
	if (!YAJL_IS_ARRAY(arr) || arr->u.array.len > OCI_MAX_DEVICES)
		return husk_err(e, 0, "linux.devices is not an array of at most %d",
				OCI_MAX_DEVICES);
	s->devices = calloc(arr->u.array.len + 1, sizeof(*s->devices));
	if (!s->devices)
		return husk_err(e, ENOMEM, "linux.devices");
	for (i = 0; i < arr->u.array.len; i++) {
		if (spec_device_one(arr->u.array.values[i], &s->devices[i], e) < 0)
			return husk_err_wrap(e, "linux.devices[%zu]", i);
		s->ndevices++;
	}
	return 0;
}

static int spec_propagation(yajl_val lx, struct spec *s, struct husk_error **e)
{
	const char *p = NULL;
	const char *opts[2] = { NULL, NULL };
	struct mntopt mo;

	if (json_member_string(lx, "rootfsPropagation", false, &p, e) < 0)
		return husk_err_wrap(e, "linux");
	s->rootfs_propagation = MS_PRIVATE | MS_REC;
	if (!p)
		return 0;
	opts[0] = p;
	if (mntopt_parse(opts, &mo, e) < 0)
		return -EINVAL;
	free(mo.data);
	if (!mo.propagation)
		return husk_err(e, 0, "linux.rootfsPropagation \"%s\" is unknown", p);
	s->rootfs_propagation = mo.propagation | MS_REC;
	return 0;
}

int spec_linux_parse(yajl_val lx, struct spec *s, struct husk_error **e)
{
	yajl_val res = json_member(lx, "resources");

	if (lx && !YAJL_IS_OBJECT(lx))
		return husk_err(e, 0, "linux is not an object");
	if (spec_resources_parse(res, &s->res, e) < 0 ||
	    spec_devices_parse(json_member(lx, "devices"), s, e) < 0 ||
	    spec_namespaces_parse(json_member(lx, "namespaces"), s->ns, e) < 0 ||
	    spec_propagation(lx, s, e) < 0)
		return -EINVAL;
	if (json_member_strv(lx, "maskedPaths", &s->masked, e) < 0 ||
	    json_member_strv(lx, "readonlyPaths", &s->readonly, e) < 0)
		return husk_err_wrap(e, "linux");
	s->sysctl = json_member(lx, "sysctl");
	if (s->sysctl && !YAJL_IS_OBJECT(s->sysctl))
		return husk_err(e, 0, "linux.sysctl is not an object");
	return 0;
}

// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_sandbox_plan.c - shim/sandbox/sandbox_plan.c: the VM's size from the runtime
 * config and the spec's resources, and which disks containerd's rootfs
 * mounts become (cached layer image, per-container image, block device;
 * with or without a writable upper), or, with the virtio-fs rootfs, which
 * host mount in the share (containerd's own overlay or bind, split into
 * flags and data; block devices still disks); and the mount option split (agent-codec/mntopt.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "common/error.h"
#include "agent-codec/mntopt.h"
#include "shim/base/oci_spec.h"
#include "shim/base/runtime_config.h"
#include "shim/base/sha256.h"
#include "tests/lib/unit.h"
#include "shim/sandbox/sandbox_plan.h"

static struct oci_spec *spec_of(const char *json)
{
	struct oci_spec *spec = NULL;

	ck_assert_int_eq(oci_spec_parse(json, strlen(json), &spec, NULL), 0);
	return spec;
}

static void size_of(uint32_t cfg_mib, uint32_t cfg_cpus, const char *json, uint32_t mib,
		    uint32_t cpus)
{
	struct runtime_config cfg;
	struct oci_spec *spec = json ? spec_of(json) : NULL;
	struct sandbox_size sz;

	ck_assert_int_eq(runtime_config_defaults(&cfg), 0);
	cfg.memory_mib = cfg_mib;
	cfg.vcpus = cfg_cpus;
	ck_assert_int_eq(sandbox_plan_size(&cfg, spec, &sz, NULL), 0);
	ck_assert_uint_eq(sz.mem_mib, mib);
	ck_assert_uint_eq(sz.vcpus, cpus);
	oci_spec_free(spec);
	runtime_config_clear(&cfg);
}

START_TEST(size_from_config_and_resources)
{
	static const char big[] = "{\"linux\":{\"resources\":{\"memory\":{\"limit\":536870912},"
				  "\"cpu\":{\"quota\":250000,\"period\":100000}}}}";
	static const char small[] = "{\"linux\":{\"resources\":{\"memory\":{\"limit\":67108864}}}}";
	static const char huge[] =
		"{\"linux\":{\"resources\":{\"memory\":{\"limit\":1099511627776},"
		"\"cpu\":{\"quota\":10000000,\"period\":100000}}}}";

	size_of(256, 1, NULL, 256, 1);				  /* no spec: the config */
	size_of(256, 1, "{}", 256, 1);				  /* no resources: the config */
	size_of(256, 1, big, 512 + SANDBOX_PLAN_OVERHEAD_MIB, 3); /* limit + overhead, ceil */
	size_of(256, 2, small, 256, 2); /* a small limit never shrinks the VM */
	size_of(256, 1, huge, SANDBOX_PLAN_MAX_MIB, SANDBOX_PLAN_MAX_VCPUS); /* bounded */
	size_of(128u << 10, 32, huge, 128u << 10, 32); /* the config itself may go higher */
}
END_TEST

/* A pause spec with the CRI sizing annotations (NULL: left out). */
static char *pause_json(const char *type, const char *mem, const char *quota, const char *period)
{
	static char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "{\"annotations\":{\"" OCI_ANNOT_CONTAINER_TYPE "\":\"%s\"",
		     type);
	if (mem)
		n += snprintf(buf + n, sizeof(buf) - n, ",\"" OCI_ANNOT_SANDBOX_MEMORY "\":\"%s\"",
			      mem);
	if (quota)
		n += snprintf(buf + n, sizeof(buf) - n,
			      ",\"" OCI_ANNOT_SANDBOX_CPU_QUOTA "\":\"%s\"", quota);
	if (period)
		n += snprintf(buf + n, sizeof(buf) - n,
			      ",\"" OCI_ANNOT_SANDBOX_CPU_PERIOD "\":\"%s\"", period);
	snprintf(buf + n, sizeof(buf) - n, "}}");
	return buf;
}

START_TEST(size_from_pod_annotations)
{
	/* 512 MiB and 2.5 CPUs summed over the pod: 512 + overhead, 3 vCPUs. */
	size_of(256, 1, pause_json("sandbox", "536870912", "250000", "100000"),
		512 + SANDBOX_PLAN_OVERHEAD_MIB, 3);
	/* "0" is "no limit set": the config. */
	size_of(256, 1, pause_json("sandbox", "0", "0", "100000"), 256, 1);
	/* Not a multiple of a MiB: rounded up. */
	size_of(256, 1, pause_json("sandbox", "536870913", NULL, NULL),
		513 + SANDBOX_PLAN_OVERHEAD_MIB, 1);
	/* Quota without a period: no vCPU hint. */
	size_of(256, 2, pause_json("sandbox", NULL, "250000", NULL), 256, 2);
	/* A config above the pod's needs stays. */
	size_of(4096, 8, pause_json("sandbox", "536870912", "250000", "100000"), 4096, 8);
	/* Bounded like a spec limit. */
	size_of(256, 1, pause_json("sandbox", "1099511627776", "10000000", "100000"),
		SANDBOX_PLAN_MAX_MIB, SANDBOX_PLAN_MAX_VCPUS);
	/* Only the pause's annotations count. */
	size_of(256, 1, pause_json("container", "536870912", "250000", "100000"), 256, 1);
}
END_TEST

static void bad_annotation(const char *json, const char *name)
{
	struct runtime_config cfg;
	struct oci_spec *spec = spec_of(json);
	struct husk_error *err = NULL;
	struct sandbox_size sz;

	ck_assert_int_eq(runtime_config_defaults(&cfg), 0);
	ck_assert_int_eq(sandbox_plan_size(&cfg, spec, &sz, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), name));
	husk_error_free(err);
	oci_spec_free(spec);
	runtime_config_clear(&cfg);
}

START_TEST(pod_annotations_malformed)
{
	bad_annotation(pause_json("sandbox", "512Mi", NULL, NULL), OCI_ANNOT_SANDBOX_MEMORY);
	bad_annotation(pause_json("sandbox", "-1", NULL, NULL), OCI_ANNOT_SANDBOX_MEMORY);
	bad_annotation(pause_json("sandbox", "", NULL, NULL), OCI_ANNOT_SANDBOX_MEMORY);
	bad_annotation(pause_json("sandbox", " 1", NULL, NULL), OCI_ANNOT_SANDBOX_MEMORY);
	bad_annotation(pause_json("sandbox", "18446744073709551616", NULL, NULL),
		       OCI_ANNOT_SANDBOX_MEMORY);
	bad_annotation(pause_json("sandbox", "9223372036854775808", NULL, NULL),
		       OCI_ANNOT_SANDBOX_MEMORY);
	bad_annotation(pause_json("sandbox", NULL, "-1", "100000"), OCI_ANNOT_SANDBOX_CPU_QUOTA);
	bad_annotation(pause_json("sandbox", NULL, "1.5", "100000"), OCI_ANNOT_SANDBOX_CPU_QUOTA);
	bad_annotation(pause_json("sandbox", NULL, "100000", "0x10"), OCI_ANNOT_SANDBOX_CPU_PERIOD);
}
END_TEST

/* The VM planned from @vm_json; does an app with @app_json fit? */
static int fits(uint32_t cfg_mib, const char *vm_json, const char *app_json,
		struct husk_error **err)
{
	struct runtime_config cfg;
	struct oci_spec *vm = spec_of(vm_json), *app = spec_of(app_json);
	struct sandbox_size sz;
	int ret;

	ck_assert_int_eq(runtime_config_defaults(&cfg), 0);
	cfg.memory_mib = cfg_mib;
	ck_assert_int_eq(sandbox_plan_size(&cfg, vm, &sz, NULL), 0);
	ret = sandbox_plan_fits(&sz, app, err);
	oci_spec_free(vm);
	oci_spec_free(app);
	runtime_config_clear(&cfg);
	return ret;
}

START_TEST(app_memory_must_fit_the_vm)
{
	static const char lim512[] =
		"{\"linux\":{\"resources\":{\"memory\":{\"limit\":536870912}}}}";
	static const char lim513[] =
		"{\"linux\":{\"resources\":{\"memory\":{\"limit\":537919488}}}}";
	static const char lim200[] =
		"{\"linux\":{\"resources\":{\"memory\":{\"limit\":209715200}}}}";
	struct husk_error *err = NULL;
	char pod[1024];
	const char *msg;

	snprintf(pod, sizeof(pod), "%s", pause_json("sandbox", "536870912", NULL, NULL));
	ck_assert_int_eq(fits(256, pod, "{}", NULL), 0);   /* no limit: fits */
	ck_assert_int_eq(fits(256, pod, lim512, NULL), 0); /* exactly the pod's sum */
	ck_assert_int_eq(fits(256, pod, lim513, &err), -EINVAL);
	msg = husk_error_message(err);
	ck_assert_ptr_nonnull(strstr(msg, "it asks for 513 MiB of memory"));
	ck_assert_ptr_nonnull(
		strstr(msg, "the pod's VM has 576 MiB (sandbox-memory 512 MiB + 64 MiB overhead)"));
	husk_error_free(err);
	err = NULL;
	/* No annotations: the config's 256 MiB leave 192 for containers. */
	ck_assert_int_eq(fits(256, "{}", lim200, &err), -EINVAL);
	msg = husk_error_message(err);
	ck_assert_ptr_nonnull(strstr(msg, "asks for 200 MiB"));
	ck_assert_ptr_nonnull(strstr(msg, "has 256 MiB (the runtime config's memory_mib"));
	husk_error_free(err);
	ck_assert_int_eq(fits(512, "{}", lim200, NULL), 0);
}
END_TEST

static struct shim_mount mount_of(const char *type, const char *source, const char *const *opts,
				  size_t n)
{
	return (struct shim_mount){ type, source, "", opts, n };
}

START_TEST(overlay_layers_cached_with_upper)
{
	static const char *const opts[] = { "index=off", "workdir=/s/3/work", "upperdir=/s/3/fs",
					    "lowerdir=/s/2/fs:/s/1/fs" };
	struct shim_mount m = mount_of("overlay", "overlay", opts, 4);
	struct sandbox_rootfs_plan p;
	char key[65];

	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, false, &p, NULL), 0);
	ck_assert_int_eq(p.kind, SANDBOX_ROOTFS_LAYERS);
	ck_assert_str_eq(p.lowerdir, "/s/2/fs:/s/1/fs");
	sha256_hex("/s/2/fs:/s/1/fs", 15, key);
	ck_assert_str_eq(p.key, key);
	ck_assert(p.upper);
	sandbox_rootfs_plan_clear(&p);
}
END_TEST

START_TEST(overlay_view_and_single_layer)
{
	static const char *const view[] = { "lowerdir=/s/2/fs:/s/1/fs" };
	static const char *const one[] = { "workdir=/w", "upperdir=/u", "lowerdir=/s/1/fs" };
	static const char *const none[] = { "workdir=/w", "upperdir=/u" };
	struct shim_mount m = mount_of("overlay", "overlay", view, 1);
	struct husk_error *err = NULL;
	struct sandbox_rootfs_plan p;

	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, false, &p, NULL), 0);
	ck_assert(!p.upper); /* a view: read-only, no upper disk */
	sandbox_rootfs_plan_clear(&p);
	m = mount_of("overlay", "overlay", one, 3);
	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, false, &p, NULL), 0);
	ck_assert_int_eq(p.kind, SANDBOX_ROOTFS_LAYERS);
	ck_assert_str_eq(p.lowerdir, "/s/1/fs");
	ck_assert(p.upper);
	sandbox_rootfs_plan_clear(&p);
	m = mount_of("overlay", "overlay", none, 2);
	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, false, &p, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "lowerdir"));
	husk_error_free(err);
}
END_TEST

START_TEST(bind_and_host_dir)
{
	static const char *const rw[] = { "rw", "rbind" };
	static const char *const ro[] = { "ro", "rbind" };
	struct shim_mount m = mount_of("bind", "/s/7/fs", rw, 2);
	struct sandbox_rootfs_plan p;

	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, false, &p, NULL), 0);
	ck_assert_int_eq(p.kind, SANDBOX_ROOTFS_DIR);
	ck_assert_str_eq(p.dir, "/s/7/fs");
	ck_assert(p.upper);
	sandbox_rootfs_plan_clear(&p);
	m = mount_of("bind", "/s/7/fs", ro, 2);
	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, false, &p, NULL), 0);
	ck_assert(!p.upper);
	sandbox_rootfs_plan_clear(&p);
	/* No mounts: spec root.path is a host folder (ctr run --rootfs). */
	ck_assert_int_eq(sandbox_plan_rootfs(NULL, 0, "/srv/root", true, false, &p, NULL), 0);
	ck_assert_int_eq(p.kind, SANDBOX_ROOTFS_DIR);
	ck_assert_str_eq(p.dir, "/srv/root");
	ck_assert(!p.upper);
	sandbox_rootfs_plan_clear(&p);
}
END_TEST

START_TEST(block_devices_and_refusals)
{
	static const char *const ro[] = { "ro" };
	struct shim_mount m = mount_of("ext4", "/dev/mapper/pool-snap-3", NULL, 0);
	struct shim_mount two[2];
	struct husk_error *err = NULL;
	struct sandbox_rootfs_plan p;

	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, false, &p, NULL), 0);
	ck_assert_int_eq(p.kind, SANDBOX_ROOTFS_BLOCK);
	ck_assert_str_eq(p.device, "/dev/mapper/pool-snap-3");
	ck_assert_str_eq(p.fstype, "ext4");
	/* The snapshot is the writable layer: no upper disk, mounted rw. */
	ck_assert(!p.upper);
	ck_assert(p.writable);
	sandbox_rootfs_plan_clear(&p);
	m = mount_of("ext4", "/dev/mapper/pool-snap-3", ro, 1);
	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, false, &p, NULL), 0);
	ck_assert(!p.upper);
	ck_assert(!p.writable);
	sandbox_rootfs_plan_clear(&p);
	m = mount_of("xfs", "/dev/mapper/pool-snap-4", NULL, 0);
	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, false, &p, &err), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "xfs"));
	m = mount_of("tmpfs", "tmpfs", NULL, 0);
	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, false, &p, &err), -ENOTSUP);
	two[0] = two[1] = mount_of("bind", "/x", NULL, 0);
	ck_assert_int_eq(sandbox_plan_rootfs(two, 2, "/b/rootfs", false, false, &p, &err),
			 -ENOTSUP);
	husk_error_free(err);
}
END_TEST

START_TEST(options)
{
	static const char *const o[] = { "ro", "lowerdir=/a:/b", "upperdir=" };

	ck_assert_str_eq(sandbox_plan_option(o, 3, "lowerdir"), "/a:/b");
	ck_assert_str_eq(sandbox_plan_option(o, 3, "upperdir"), "");
	ck_assert_ptr_null(sandbox_plan_option(o, 3, "lower"));
	ck_assert(sandbox_plan_flag(o, 3, "ro"));
	ck_assert(!sandbox_plan_flag(o, 3, "rw"));
}
END_TEST

START_TEST(share_overlay_as_containerd_sent_it)
{
	static const char *const rw[] = { "index=off", "workdir=/s/3/work", "upperdir=/s/3/fs",
					  "lowerdir=/s/2/fs:/s/1/fs" };
	static const char *const view[] = { "lowerdir=/s/2/fs:/s/1/fs", "ro" };
	struct shim_mount m = mount_of("overlay", "overlay", rw, 4);
	struct husk_error *err = NULL;
	struct sandbox_rootfs_plan p;

	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, true, &p, NULL), 0);
	ck_assert_int_eq(p.kind, SANDBOX_ROOTFS_SHARE);
	ck_assert_str_eq(p.host.type, "overlay");
	ck_assert_str_eq(p.host.source, "overlay");
	ck_assert_uint_eq(p.host.flags, 0);
	ck_assert_str_eq(p.host.data, "index=off,workdir=/s/3/work,upperdir=/s/3/fs,"
				      "lowerdir=/s/2/fs:/s/1/fs");
	ck_assert(p.upper);
	ck_assert_ptr_null(p.lowerdir); /* no image is built */
	sandbox_rootfs_plan_clear(&p);
	m = mount_of("overlay", "overlay", view, 2);
	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, true, &p, NULL), 0);
	ck_assert_uint_eq(p.host.flags, MS_RDONLY);
	ck_assert_str_eq(p.host.data, "lowerdir=/s/2/fs:/s/1/fs");
	ck_assert(!p.upper);
	sandbox_rootfs_plan_clear(&p);
	m = mount_of("overlay", "overlay", rw, 2); /* no lowerdir */
	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, true, &p, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "lowerdir"));
	husk_error_free(err);
}
END_TEST

START_TEST(share_binds_dirs_and_keeps_block_disks)
{
	static const char *const ro[] = { "ro", "rbind" };
	static const char *const rw[] = { "rw" };
	struct shim_mount m = mount_of("bind", "/s/7/fs", ro, 2);
	struct sandbox_rootfs_plan p;

	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, true, &p, NULL), 0);
	ck_assert_int_eq(p.kind, SANDBOX_ROOTFS_SHARE);
	ck_assert_ptr_null(p.host.type);
	ck_assert_str_eq(p.host.source, "/s/7/fs");
	ck_assert_uint_eq(p.host.flags, MS_BIND | MS_REC | MS_RDONLY);
	ck_assert_ptr_null(p.host.data);
	ck_assert(!p.upper);
	sandbox_rootfs_plan_clear(&p);
	m = mount_of("bind", "/s/8/fs", rw, 1); /* "bind" type, no bind word */
	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, true, &p, NULL), 0);
	ck_assert_uint_eq(p.host.flags, MS_BIND);
	ck_assert(p.upper);
	sandbox_rootfs_plan_clear(&p);
	ck_assert_int_eq(sandbox_plan_rootfs(NULL, 0, "/srv/root", false, true, &p, NULL), 0);
	ck_assert_int_eq(p.kind, SANDBOX_ROOTFS_SHARE);
	ck_assert_str_eq(p.host.source, "/srv/root");
	ck_assert_uint_eq(p.host.flags, MS_BIND | MS_REC);
	sandbox_rootfs_plan_clear(&p);
	ck_assert_int_eq(sandbox_plan_rootfs(NULL, 0, "/srv/root", true, true, &p, NULL), 0);
	ck_assert_uint_eq(p.host.flags, MS_BIND | MS_REC | MS_RDONLY);
	sandbox_rootfs_plan_clear(&p);
	/* devmapper: a disk slot whatever the config says */
	m = mount_of("ext4", "/dev/mapper/pool-snap-3", NULL, 0);
	ck_assert_int_eq(sandbox_plan_rootfs(&m, 1, "/b/rootfs", false, true, &p, NULL), 0);
	ck_assert_int_eq(p.kind, SANDBOX_ROOTFS_BLOCK);
	ck_assert(p.writable && !p.upper); /* the snapshot itself, read-write */
	sandbox_rootfs_plan_clear(&p);
}
END_TEST

START_TEST(mount_opts_split)
{
	static const char *const o[] = { "rbind",     "ro",	"nosuid",	  "rw",	 "rprivate",
					 "userxattr", "noexec", "lowerdir=/a:/b", "exec" };
	struct mntopt mo;

	ck_assert_int_eq(mntopt_parse_list(o, 9, &mo, NULL), 0);
	ck_assert_uint_eq(mo.flags, MS_BIND | MS_REC | MS_NOSUID); /* later words win */
	ck_assert_uint_eq(mo.propagation, MS_PRIVATE | MS_REC);
	ck_assert_str_eq(mo.data, "userxattr,lowerdir=/a:/b");
	mntopt_clear(&mo);
	ck_assert_int_eq(mntopt_parse_list(o, 0, &mo, NULL), 0);
	ck_assert_uint_eq(mo.flags, 0);
	ck_assert_ptr_null(mo.data);
}
END_TEST

/* A spare's VM serves a spec only as its first Create would boot it. */
START_TEST(warm_vm_fits_default_specs_only)
{
	struct runtime_config cfg;
	struct oci_spec *plain = spec_of("{\"linux\":{\"namespaces\":[{\"type\":\"network\"}]}}");
	struct oci_spec *netns = spec_of(
		"{\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"/var/run/netns/x\"}]}}");
	struct oci_spec *big =
		spec_of("{\"linux\":{\"resources\":{\"memory\":{\"limit\":1073741824}}}}");
	struct oci_spec *small =
		spec_of("{\"linux\":{\"resources\":{\"memory\":{\"limit\":67108864}}}}");

	ck_assert_int_eq(runtime_config_defaults(&cfg), 0);
	ck_assert(sandbox_plan_warm_fits(&cfg, plain));
	/* The spare's tapless interface takes the namespace's link (sandbox_warm_net.c). */
	ck_assert(sandbox_plan_warm_fits(&cfg, netns));
	ck_assert(!sandbox_plan_warm_fits(&cfg, big));
	/* 64 MiB + the overhead fits in the default 256 MiB: the same VM. */
	ck_assert(sandbox_plan_warm_fits(&cfg, small));
	cfg.rootfs = RUNTIME_ROOTFS_BLOCK;
	ck_assert(!sandbox_plan_warm_fits(&cfg, plain));
	runtime_config_clear(&cfg);
	oci_spec_free(plain);
	oci_spec_free(netns);
	oci_spec_free(big);
	oci_spec_free(small);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_sandbox_plan");
	TCase *size = tcase_create("size");
	TCase *rootfs = tcase_create("rootfs");

	tcase_add_test(size, size_from_config_and_resources);
	tcase_add_test(size, size_from_pod_annotations);
	tcase_add_test(size, pod_annotations_malformed);
	tcase_add_test(size, app_memory_must_fit_the_vm);
	tcase_add_test(size, warm_vm_fits_default_specs_only);
	tcase_add_test(rootfs, overlay_layers_cached_with_upper);
	tcase_add_test(rootfs, overlay_view_and_single_layer);
	tcase_add_test(rootfs, bind_and_host_dir);
	tcase_add_test(rootfs, block_devices_and_refusals);
	tcase_add_test(rootfs, options);
	tcase_add_test(rootfs, share_overlay_as_containerd_sent_it);
	tcase_add_test(rootfs, share_binds_dirs_and_keeps_block_disks);
	tcase_add_test(rootfs, mount_opts_split);
	suite_add_tcase(s, size);
	suite_add_tcase(s, rootfs);
	return s;
}

UNIT_MAIN()

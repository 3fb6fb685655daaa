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
	sandbox_plan_size(&cfg, spec, &sz);
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

static Suite *suite(void)
{
	Suite *s = suite_create("shim_sandbox_plan");
	TCase *size = tcase_create("size");
	TCase *rootfs = tcase_create("rootfs");

	tcase_add_test(size, size_from_config_and_resources);
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

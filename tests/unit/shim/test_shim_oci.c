// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_oci.c - shim/base/oci_spec*.c and shim/base/runtime_config.c: what the
 * shim reads from config.json and /etc/husk/config.json, and the errors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/base/oci_spec.h"
#include "shim/base/runtime_config.h"
#include "tests/lib/unit.h"

static const char pod_spec[] =
	"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	"\"process\":{\"terminal\":true,\"args\":[\"sh\"]},"
	"\"annotations\":{\"io.kubernetes.cri.sandbox-id\":\"pod42\","
	"\"io.kubernetes.cri.container-type\":\"sandbox\"},"
	"\"linux\":{\"resources\":{\"memory\":{\"limit\":536870913},"
	"\"cpu\":{\"quota\":150000,\"period\":100000,\"shares\":1024}},"
	"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/var/run/netns/cni-1\"}]}}";

static struct oci_spec *parse_ok(const char *json)
{
	struct husk_error *err = NULL;
	struct oci_spec *spec = NULL;
	int ret = oci_spec_parse(json, strlen(json), &spec, &err);

	ck_assert_msg(ret == 0, "parse failed: %s", husk_error_message(err));
	return spec;
}

static void parse_fails(const char *json, const char *want)
{
	struct husk_error *err = NULL;
	struct oci_spec *spec = NULL;

	ck_assert_int_eq(oci_spec_parse(json, strlen(json), &spec, &err), -EINVAL);
	ck_assert_ptr_null(spec);
	ck_assert_msg(strstr(husk_error_message(err), want), "got \"%s\", want \"%s\"",
		      husk_error_message(err), want);
	husk_error_free(err);
}

START_TEST(pod_sandbox_fields)
{
	struct oci_spec *spec = parse_ok(pod_spec);
	struct oci_vm_hint hint;

	ck_assert_str_eq(spec->root_path, "rootfs");
	ck_assert(spec->root_readonly);
	ck_assert(spec->terminal);
	ck_assert_str_eq(oci_spec_group(spec, "c1"), "pod42");
	ck_assert_int_eq(oci_spec_container_type(spec), OCI_CONTAINER_SANDBOX);
	ck_assert(spec->has_netns);
	ck_assert_str_eq(spec->netns_path, "/var/run/netns/cni-1");
	ck_assert_int_eq(spec->memory_limit, 536870913);
	ck_assert_uint_eq(spec->cpu_shares, 1024);
	oci_spec_vm_hint(spec, &hint);
	ck_assert_uint_eq(hint.vcpus, 2);	 /* 1.5 CPUs round up */
	ck_assert_uint_eq(hint.memory_mib, 513); /* a byte over 512 MiB */
	ck_assert_int_eq(oci_spec_check_network(spec, NULL), 0);
	oci_spec_free(spec);
}
END_TEST

START_TEST(minimal_spec_defaults)
{
	struct oci_spec *spec = parse_ok("{}");
	struct oci_vm_hint hint;

	ck_assert_ptr_null(spec->root_path);
	ck_assert(!spec->terminal);
	ck_assert_str_eq(oci_spec_group(spec, "c1"), "c1");
	ck_assert_int_eq(oci_spec_container_type(spec), OCI_CONTAINER_PLAIN);
	ck_assert_int_eq(spec->memory_limit, -1);
	oci_spec_vm_hint(spec, &hint);
	ck_assert_uint_eq(hint.vcpus, 0);
	ck_assert_uint_eq(hint.memory_mib, 0);
	ck_assert_ptr_null(oci_spec_annotation(spec, "x"));
	ck_assert_int_eq(oci_spec_check_network(spec, NULL), 0);
	oci_spec_free(spec);
}
END_TEST

START_TEST(runc_group_wins_and_new_netns)
{
	struct husk_error *err = NULL;
	struct oci_spec *spec = parse_ok(
		"{\"annotations\":{\"io.containerd.runc.v2.group\":\"g1\","
		"\"io.kubernetes.cri.sandbox-id\":\"pod\","
		"\"io.kubernetes.cri.container-type\":\"sandbox\"},"
		"\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"\"}]}}");

	ck_assert_str_eq(oci_spec_group(spec, "c1"), "g1");
	ck_assert(spec->has_netns);
	ck_assert_ptr_null(spec->netns_path);
	ck_assert_int_eq(oci_spec_check_network(spec, &err), 0);
	oci_spec_free(spec);
	/* hostNetwork sandbox: no network entry at all. */
	spec = parse_ok("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\"}}");
	ck_assert_int_eq(oci_spec_check_network(spec, &err), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "host network"));
	husk_error_free(err);
	err = NULL;
	oci_spec_free(spec);
	/* ctr --net-host: namespaces listed, network not among them. */
	spec = parse_ok("{\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}]}}");
	ck_assert(spec->has_namespaces);
	ck_assert_int_eq(oci_spec_check_network(spec, &err), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "host network"));
	husk_error_free(err);
	oci_spec_free(spec);
}
END_TEST

START_TEST(bad_specs_name_the_field)
{
	parse_fails("[1]", "expected an object");
	parse_fails("{\"root\":{\"path\":5}}", "root.path: expected a string");
	parse_fails("{\"root\":{\"path\":\"\"}}", "root.path: must not be empty");
	parse_fails("{\"process\":{\"terminal\":\"yes\"}}", "process.terminal");
	parse_fails("{\"annotations\":{\"a\":1}}", "annotations.a");
	parse_fails("{\"linux\":{\"resources\":{\"memory\":{\"limit\":1.5}}}}",
		    "linux.resources.memory.limit");
	parse_fails("{\"linux\":{\"resources\":{\"cpu\":{\"period\":-1}}}}",
		    "must not be negative");
	parse_fails("{\"linux\":{\"namespaces\":[7]}}", "linux.namespaces[0]");
	parse_fails("{\"linux\":{\"namespaces\":[{}]}}", "no type");
	parse_fails("{\"a\":", "invalid JSON");
}
END_TEST

START_TEST(load_missing_file)
{
	struct husk_error *err = NULL;
	struct oci_spec *spec = NULL;

	ck_assert_int_eq(oci_spec_load("/nonexistent/config.json", &spec, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "/nonexistent/config.json"));
	husk_error_free(err);
}
END_TEST

START_TEST(runtime_config_values)
{
	static const char json[] = "{\"kernel\":\"/opt/k/vmlinuz\",\"memory_mib\":512,"
				   "\"vcpus\":4,\"kernel_params\":\"quiet loglevel=3\","
				   "\"debug_console\":true,\"virtiofsd\":\"/opt/v/virtiofsd\","
				   "\"console_log_max_bytes\":65536}";
	struct runtime_config cfg;

	ck_assert_int_eq(runtime_config_parse(json, strlen(json), &cfg, NULL), 0);
	ck_assert_str_eq(cfg.kernel, "/opt/k/vmlinuz");
	ck_assert_str_eq(cfg.virtiofsd, "/opt/v/virtiofsd");
	ck_assert_uint_eq(cfg.memory_mib, 512);
	ck_assert_uint_eq(cfg.vcpus, 4);
	ck_assert_str_eq(cfg.kernel_params, "quiet loglevel=3");
	ck_assert(cfg.debug_console);
	ck_assert_uint_eq(cfg.console_log_max_bytes, 65536);
	ck_assert_int_eq(cfg.rootfs, RUNTIME_ROOTFS_VIRTIO_FS); /* the default */
	ck_assert(cfg.seccomp);					/* the default */
	runtime_config_clear(&cfg);
	ck_assert_int_eq(runtime_config_parse("{\"seccomp\":false}", 17, &cfg, NULL), 0);
	ck_assert(!cfg.seccomp);
	runtime_config_clear(&cfg);
	ck_assert_int_eq(runtime_config_parse("{\"rootfs\":\"block\"}", 18, &cfg, NULL), 0);
	ck_assert_int_eq(cfg.rootfs, RUNTIME_ROOTFS_BLOCK);
	runtime_config_clear(&cfg);
	ck_assert_int_eq(runtime_config_parse("{\"rootfs\":\"virtio-fs\"}", 22, &cfg, NULL), 0);
	ck_assert_int_eq(cfg.rootfs, RUNTIME_ROOTFS_VIRTIO_FS);
	runtime_config_clear(&cfg);
	ck_assert_int_eq(runtime_config_parse("{}", 2, &cfg, NULL), 0);
	ck_assert_str_eq(cfg.kernel, RUNTIME_CONFIG_DEFAULT_KERNEL);
	ck_assert_uint_eq(cfg.memory_mib, 256);
	ck_assert_uint_eq(cfg.vcpus, 1);
	ck_assert_str_eq(cfg.kernel_params, "");
	ck_assert_ptr_null(cfg.virtiofsd); /* the usual places are searched */
	ck_assert_uint_eq(cfg.console_log_max_bytes, 1 << 20);
	runtime_config_clear(&cfg);
	ck_assert_int_eq(runtime_config_parse("{\"console_log_max_bytes\":0}", 27, &cfg, NULL), 0);
	ck_assert_uint_eq(cfg.console_log_max_bytes, 0); /* no cap */
	runtime_config_clear(&cfg);
}
END_TEST

static void config_fails(const char *json, const char *want)
{
	struct husk_error *err = NULL;
	struct runtime_config cfg;

	ck_assert_int_eq(runtime_config_parse(json, strlen(json), &cfg, &err), -EINVAL);
	ck_assert_msg(strstr(husk_error_message(err), want), "got \"%s\"", husk_error_message(err));
	ck_assert_ptr_null(cfg.kernel);
	husk_error_free(err);
}

START_TEST(runtime_config_errors)
{
	config_fails("{\"kernal\":\"/k\"}", "unknown key \"kernal\"");
	config_fails("{\"kernel\":\"vmlinuz\"}", "not an absolute path");
	config_fails("{\"virtiofsd\":\"virtiofsd\"}",
		     "virtiofsd: \"virtiofsd\" is not an absolute path");
	config_fails("{\"virtiofsd\":true}", "virtiofsd: expected");
	config_fails("{\"memory_mib\":16}", "memory_mib: 16 is outside");
	config_fails("{\"vcpus\":0}", "vcpus: 0 is outside");
	config_fails("{\"vcpus\":\"2\"}", "vcpus: expected");
	config_fails("{\"kernel_params\":\"a\\nb\"}", "control character");
	config_fails("{\"debug_console\":1}", "debug_console");
	config_fails("{\"console_log_max_bytes\":100}",
		     "console_log_max_bytes: 100 is neither 0 (no cap) nor within 4096..");
	config_fails("{\"console_log_max_bytes\":-1}", "console_log_max_bytes: -1 is neither");
	config_fails("{\"console_log_max_bytes\":\"1M\"}", "console_log_max_bytes: expected");
	config_fails("{\"seccomp\":\"no\"}", "seccomp");
	config_fails("{\"rootfs\":\"erofs\"}", "rootfs: \"erofs\" is neither");
	config_fails("{\"rootfs\":true}", "rootfs: expected a string");
	config_fails("[]", "expected an object");
	config_fails("{", "invalid JSON");
	config_fails("{\"warm_vms\":9}", "warm_vms: 9 is outside 0..8");
	config_fails("{\"warm_vms\":-1}", "warm_vms: -1 is outside 0..8");
	config_fails("{\"warm_vm_idle_seconds\":0}", "warm_vm_idle_seconds: 0 is outside 1..86400");
	config_fails("{\"warm_vms\":\"1\"}", "warm_vms: expected");
}
END_TEST

/* The warm pool's keys, and which keys make a different VM. */
START_TEST(runtime_config_warm_and_same_vm)
{
	const char *json = "{\"warm_vms\":2,\"warm_vm_idle_seconds\":30}";
	struct runtime_config a, b;

	ck_assert_int_eq(runtime_config_defaults(&a), 0);
	ck_assert_uint_eq(a.warm_vms, 0);
	ck_assert_uint_eq(a.warm_vm_idle_seconds, 600);
	ck_assert_int_eq(runtime_config_parse(json, strlen(json), &b, NULL), 0);
	ck_assert_uint_eq(b.warm_vms, 2);
	ck_assert_uint_eq(b.warm_vm_idle_seconds, 30);
	/* The pool's own keys and "rootfs" do not change the VM... */
	b.rootfs = RUNTIME_ROOTFS_BLOCK;
	ck_assert(runtime_config_same_vm(&a, &b));
	/* ...each VM key does. */
	b.memory_mib = 512;
	ck_assert(!runtime_config_same_vm(&a, &b));
	b.memory_mib = a.memory_mib;
	b.seccomp = false;
	ck_assert(!runtime_config_same_vm(&a, &b));
	b.seccomp = true;
	b.disk_rate_limit.ops.rate = 10;
	ck_assert(!runtime_config_same_vm(&a, &b));
	b.disk_rate_limit.ops.rate = 0;
	b.net_tx_rate_limit.bandwidth.rate = 10; /* the spare's interface has it */
	ck_assert(!runtime_config_same_vm(&a, &b));
	b.net_tx_rate_limit.bandwidth.rate = 0;
	ck_assert(runtime_config_same_vm(&a, &b));
	free(b.kernel_params);
	b.kernel_params = strdup("quiet");
	ck_assert(!runtime_config_same_vm(&a, &b));
	free(b.kernel_params);
	b.kernel_params = strdup("");
	b.init = strdup("/x/husk-init");
	ck_assert(!runtime_config_same_vm(&a, &b));
	free(b.init);
	b.init = NULL;
	ck_assert(runtime_config_same_vm(&a, &b));
	runtime_config_clear(&a);
	runtime_config_clear(&b);
}
END_TEST

START_TEST(runtime_config_rate_limits)
{
	static const char json[] =
		"{\"disk_rate_limit\":{\"bandwidth\":{\"rate\":1048576,\"one_time_burst\":"
		"4194304},\"ops\":{\"rate\":200}},"
		"\"net_rx_rate_limit\":{\"bandwidth\":{\"rate\":12500000}},"
		"\"net_tx_rate_limit\":{\"ops\":{\"rate\":1000,\"one_time_burst\":50},"
		"\"bandwidth\":{\"rate\":0}}}";
	struct runtime_config cfg;

	ck_assert_int_eq(runtime_config_parse(json, strlen(json), &cfg, NULL), 0);
	ck_assert_uint_eq(cfg.disk_rate_limit.bandwidth.rate, 1048576);
	ck_assert_uint_eq(cfg.disk_rate_limit.bandwidth.one_time_burst, 4194304);
	ck_assert_uint_eq(cfg.disk_rate_limit.ops.rate, 200);
	ck_assert_uint_eq(cfg.disk_rate_limit.ops.one_time_burst, 0);
	ck_assert_uint_eq(cfg.net_rx_rate_limit.bandwidth.rate, 12500000);
	ck_assert_uint_eq(cfg.net_rx_rate_limit.ops.rate, 0);
	ck_assert_uint_eq(cfg.net_tx_rate_limit.ops.rate, 1000);
	ck_assert_uint_eq(cfg.net_tx_rate_limit.ops.one_time_burst, 50);
	ck_assert_uint_eq(cfg.net_tx_rate_limit.bandwidth.rate, 0);
	runtime_config_clear(&cfg);
	ck_assert_int_eq(runtime_config_parse("{}", 2, &cfg, NULL), 0);
	ck_assert_uint_eq(cfg.disk_rate_limit.bandwidth.rate, 0); /* none by default */
	ck_assert_uint_eq(cfg.net_tx_rate_limit.ops.rate, 0);
	runtime_config_clear(&cfg);
	config_fails("{\"disk_rate_limit\":{\"ops\":{\"rate\":-1}}}",
		     "disk_rate_limit.ops.rate: -1 is outside 0..281474976710656");
	config_fails("{\"net_rx_rate_limit\":{\"bandwidth\":{\"rate\":281474976710657}}}",
		     "net_rx_rate_limit.bandwidth.rate: 281474976710657 is outside");
	config_fails("{\"net_tx_rate_limit\":{\"ops\":{\"rate\":1.5}}}",
		     "net_tx_rate_limit.ops.rate: expected a 64-bit integer");
	config_fails("{\"disk_rate_limit\":{\"bandwidth\":{\"one_time_burst\":\"1M\"}}}",
		     "disk_rate_limit.bandwidth.one_time_burst: expected a 64-bit integer");
	config_fails("{\"disk_rate_limit\":{\"ops\":{\"one_time_burst\":5}}}",
		     "disk_rate_limit.ops: one_time_burst needs a rate");
	config_fails("{\"disk_rate_limit\":{\"iops\":{\"rate\":5}}}",
		     "disk_rate_limit: unknown key \"iops\" (known: bandwidth, ops)");
	config_fails("{\"disk_rate_limit\":{\"ops\":{\"size\":5}}}",
		     "disk_rate_limit.ops: unknown key \"size\" (known: rate, one_time_burst)");
	config_fails("{\"disk_rate_limit\":100}", "disk_rate_limit: expected an object");
	config_fails("{\"net_rate_limit\":{}}", "unknown key \"net_rate_limit\"");
}
END_TEST

START_TEST(runtime_config_files)
{
	char path[] = "/tmp/husk-cfg-XXXXXX";
	struct husk_error *err = NULL;
	struct runtime_config cfg;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{\"vcpus\":3}", 11), 11);
	close(fd);
	ck_assert_int_eq(runtime_config_load(path, &cfg, NULL), 0);
	ck_assert_uint_eq(cfg.vcpus, 3);
	ck_assert_str_eq(cfg.source, path);
	runtime_config_clear(&cfg);
	unlink(path);
	/* Asked for explicitly and missing: an error naming the file. */
	ck_assert_int_eq(runtime_config_load(path, &cfg, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), path));
	husk_error_free(err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_oci");
	TCase *tc = tcase_create("spec");
	TCase *cfg = tcase_create("runtime_config");

	tcase_add_test(tc, pod_sandbox_fields);
	tcase_add_test(tc, minimal_spec_defaults);
	tcase_add_test(tc, runc_group_wins_and_new_netns);
	tcase_add_test(tc, bad_specs_name_the_field);
	tcase_add_test(tc, load_missing_file);
	tcase_add_test(cfg, runtime_config_values);
	tcase_add_test(cfg, runtime_config_errors);
	tcase_add_test(cfg, runtime_config_warm_and_same_vm);
	tcase_add_test(cfg, runtime_config_rate_limits);
	tcase_add_test(cfg, runtime_config_files);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, cfg);
	return s;
}

UNIT_MAIN()

// SPDX-License-Identifier: Apache-2.0
/*
 * test_agent_proto.c - the husk agent protocol codec shared by husk-init
 * and the host: frame headers, request decoding, the OCI spec subset
 * husk-init applies, mount options, capability names, error messages.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "agent-codec/agent_msg.h"
#include "agent-codec/capname.h"
#include "common/error.h"
#include "husk_agent.h"
#include "agent-codec/mntopt.h"
#include "tests/lib/unit.h"

static int parse(unsigned int type, const char *json, struct amsg *m, struct husk_error **e)
{
	return amsg_parse(type, (const uint8_t *)json, strlen(json), m, e);
}

START_TEST(hdr_round_trip)
{
	struct husk_agent_hdr h = { HUSK_AGENT_MAGIC,
				    HUSK_AGENT_VERSION,
				    HUSK_MSG_EXEC,
				    5,
				    1234,
				    0x1122334455667788ull },
			      d;
	uint8_t buf[HUSK_AGENT_HDR_SIZE];

	husk_agent_hdr_encode(&h, buf);
	ck_assert_int_eq(buf[0], 'H');
	ck_assert_int_eq(buf[3], 'K');
	ck_assert_int_eq(buf[16], 0x88);
	ck_assert_int_eq(husk_agent_hdr_decode(buf, sizeof(buf), &d), 0);
	ck_assert_int_eq(d.type, HUSK_MSG_EXEC);
	ck_assert_int_eq(d.flags, 5);
	ck_assert_int_eq(d.length, 1234);
	ck_assert(d.id == h.id);
	ck_assert_int_eq(husk_agent_hdr_decode(buf, sizeof(buf) - 1, &d), -EAGAIN);
}
END_TEST

START_TEST(hdr_rejects)
{
	struct husk_agent_hdr h = { HUSK_AGENT_MAGIC, HUSK_AGENT_VERSION, 1, 0, 0, 1 }, d;
	uint8_t buf[HUSK_AGENT_HDR_SIZE];

	h.length = HUSK_AGENT_MAX_PAYLOAD + 1;
	husk_agent_hdr_encode(&h, buf);
	ck_assert_int_eq(husk_agent_hdr_decode(buf, sizeof(buf), &d), -EMSGSIZE);
	h.length = 0;
	h.version = 2;
	husk_agent_hdr_encode(&h, buf);
	ck_assert_int_eq(husk_agent_hdr_decode(buf, sizeof(buf), &d), -EPROTONOSUPPORT);
	h.magic = 0;
	husk_agent_hdr_encode(&h, buf);
	ck_assert_int_eq(husk_agent_hdr_decode(buf, sizeof(buf), &d), -EPROTO);
	ck_assert_str_eq(husk_agent_type_name(HUSK_MSG_CONFIGURE_NETWORK), "CONFIGURE_NETWORK");
	ck_assert_str_eq(husk_agent_type_name(HUSK_MSG_EVENT_EXIT), "EXIT");
	ck_assert_str_eq(husk_agent_type_name(999), "unknown");
	ck_assert_str_eq(husk_agent_type_name(HUSK_MSG_PORT_CONNECT), "PORT_CONNECT");
}
END_TEST

static const char create_json[] =
	"{\"id\":\"c1\",\"stdio\":{\"stdout\":true,\"stderr\":true},"
	"\"rootfs\":{\"lower\":[{\"source\":\"/dev/vdb\",\"fstype\":\"erofs\"}],"
	"\"upper\":{\"source\":\"/dev/vdc\",\"fstype\":\"ext4\"}},"
	"\"spec\":{\"process\":{\"args\":[\"sh\",\"-c\",\"x\"],\"env\":[\"A=1\"],\"cwd\":\"/w\","
	"\"user\":{\"uid\":5,\"gid\":6,\"additionalGids\":[7,8]},\"noNewPrivileges\":true,"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":20}],"
	"\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\",\"CAP_FUTURE\"]}},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"h\","
	"\"mounts\":[{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
	"\"options\":[\"nosuid\",\"ro\",\"mode=755\",\"size=1k\"]},"
	"{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/x\",\"options\":[\"rbind\",\"rslave\"]}],"
	"\"linux\":{\"resources\":{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":9},"
	"\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000}},"
	"\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229}],"
	"\"maskedPaths\":[\"/proc/kcore\"],\"readonlyPaths\":[\"/proc/sys\"],"
	"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"}]}}}";

START_TEST(create_decodes_spec)
{
	struct husk_error *e = NULL;
	struct amsg m;
	const struct spec *s = &m.spec;

	ck_assert_int_eq(parse(HUSK_MSG_CREATE, create_json, &m, &e), 0);
	ck_assert_str_eq(m.id, "c1");
	ck_assert(m.stdio.out && m.stdio.err && !m.stdio.in);
	ck_assert_int_eq(m.rootfs.nlower, 1);
	ck_assert_str_eq(m.rootfs.upper.fstype, "ext4");
	ck_assert(!m.rootfs.writable);
	ck_assert_str_eq(s->process.args[2], "x");
	ck_assert_str_eq(s->process.cwd, "/w");
	ck_assert_int_eq(s->process.user.uid, 5);
	ck_assert_int_eq(s->process.user.ngids, 2);
	ck_assert_int_eq(s->process.rlimits[0].resource, RLIMIT_NOFILE);
	ck_assert(s->process.caps.set);
	ck_assert(s->process.caps.bounding == ((1ull << 0) | (1ull << 21)));
	ck_assert(s->root_readonly && s->process.no_new_privs);
	ck_assert_int_eq(s->nmounts, 2);
	ck_assert(s->mounts[0].flags == (MS_NOSUID | MS_RDONLY));
	ck_assert_str_eq(s->mounts[0].data, "mode=755,size=1k");
	ck_assert(s->mounts[1].flags == (MS_BIND | MS_REC));
	ck_assert(s->mounts[1].propagation == (MS_SLAVE | MS_REC));
	ck_assert(s->res.mem_limit == 1048576 && s->res.pids_limit == 9);
	ck_assert(s->res.mem_swap == SPEC_UNSET);
	ck_assert_int_eq(s->ndevices, 1);
	ck_assert_int_eq(s->devices[0].minor, 229);
	ck_assert_str_eq(s->masked[0], "/proc/kcore");
	amsg_free(&m);
	husk_error_free(e);
}
END_TEST

static void expect_reject(unsigned int type, const char *json, const char *needle)
{
	struct husk_error *e = NULL;
	struct amsg m;

	ck_assert_int_lt(parse(type, json, &m, &e), 0);
	ck_assert_msg(strstr(husk_error_message(e), needle), "\"%s\" not in \"%s\"", needle,
		      husk_error_message(e));
	amsg_free(&m);
	husk_error_free(e);
}

/* A devmapper snapshot: one lower, mounted read-write, and nothing else. */
START_TEST(create_writable_block_root)
{
	static const char ok[] =
		"{\"id\":\"c1\",\"spec\":{\"process\":{\"args\":[\"x\"]}},\"rootfs\":"
		"{\"lower\":[{\"source\":\"/dev/vdb\",\"fstype\":\"ext4\"}],\"writable\":true}}";
	static const char with_upper[] =
		"{\"id\":\"c1\",\"spec\":{\"process\":{\"args\":[\"x\"]}},\"rootfs\":"
		"{\"lower\":[{\"source\":\"/dev/vdb\",\"fstype\":\"ext4\"}],\"writable\":true,"
		"\"upper\":{\"source\":\"/dev/vdc\",\"fstype\":\"ext4\"}}}";
	struct husk_error *e = NULL;
	struct amsg m;

	ck_assert_int_eq(parse(HUSK_MSG_CREATE, ok, &m, &e), 0);
	ck_assert(m.rootfs.writable);
	ck_assert_int_eq(m.rootfs.nlower, 1);
	amsg_free(&m);
	expect_reject(HUSK_MSG_CREATE, with_upper, "writable needs exactly one lower");
	husk_error_free(e);
}
END_TEST

/* PORT_CONNECT takes an integer port 1-65535 and nothing else. */
START_TEST(port_connect_decodes)
{
	struct husk_error *e = NULL;
	struct amsg m;

	ck_assert_int_eq(parse(HUSK_MSG_PORT_CONNECT, "{\"port\":8080}", &m, &e), 0);
	ck_assert_int_eq(m.port, 8080);
	amsg_free(&m);
	ck_assert_int_eq(parse(HUSK_MSG_PORT_CONNECT, "{\"port\":65535}", &m, &e), 0);
	amsg_free(&m);
	expect_reject(HUSK_MSG_PORT_CONNECT, "{\"port\":0}", "port: 0 is not 1-65535");
	expect_reject(HUSK_MSG_PORT_CONNECT, "{\"port\":70000}", "port: 70000");
	expect_reject(HUSK_MSG_PORT_CONNECT, "{\"port\":\"x\"}", "port: missing or not");
	expect_reject(HUSK_MSG_PORT_CONNECT, "{\"port\":80.5}", "not an integer");
	expect_reject(HUSK_MSG_PORT_CONNECT, "{}", "port: missing");
	husk_error_free(e);
}
END_TEST

START_TEST(requests_rejected)
{
	expect_reject(HUSK_MSG_CREATE, "{\"id\":\"../x\"}", "container id");
	expect_reject(HUSK_MSG_CREATE, "{\"id\":\"a\",\"spec\":{\"process\":{\"args\":[]}}}",
		      "args is empty");
	expect_reject(HUSK_MSG_CREATE,
		      "{\"id\":\"a\",\"spec\":{\"process\":{\"args\":[\"x\"],\"cwd\":\"rel\"}}}",
		      "not absolute");
	expect_reject(HUSK_MSG_CREATE,
		      "{\"id\":\"a\",\"spec\":{\"process\":{\"args\":[\"x\"]},"
		      "\"linux\":{\"namespaces\":[{\"type\":\"user\"}]}}}",
		      "user namespace");
	expect_reject(HUSK_MSG_EXEC, "{\"id\":\"a\",\"process\":{\"args\":[\"x\"]}}", "exec_id");
	expect_reject(HUSK_MSG_EXEC,
		      "{\"id\":\"a\",\"exec_id\":\"e\",\"process\":{\"args\":[\"x\"],"
		      "\"terminal\":true},\"stdio\":{\"stderr\":true}}",
		      "terminal");
	expect_reject(HUSK_MSG_SIGNAL, "{\"id\":\"a\",\"signal\":0}", "signal");
	expect_reject(HUSK_MSG_RESIZE_PTY, "{\"id\":\"a\",\"rows\":70000}", "out of range");
	expect_reject(HUSK_MSG_STDIO_BIND, "{\"id\":\"a\",\"stream\":\"stdmoo\"}", "stream");
	expect_reject(HUSK_MSG_HELLO, "[1]", "not a JSON object");
	expect_reject(HUSK_MSG_HELLO, "{\"version\":", "invalid JSON");
	expect_reject(77, "{}", "message type");
	expect_reject(HUSK_MSG_CONFIGURE_NETWORK, "{\"interfaces\":[{\"name\":\"a/b\"}]}",
		      "interface name");
	expect_reject(HUSK_MSG_CONFIGURE_NETWORK, "{\"routes\":[{\"destination\":\"default\"}]}",
		      "neither");
}
END_TEST

#define NS_SPEC(list) \
	"{\"id\":\"a\",\"rootfs\":{\"dir\":\"/r\"},\"spec\":{\"process\":{\"args\":[\"x\"]},\"linux\":{\"namespaces\":" list \
	"}}}"

/* A CRI app container's list: uts and ipc (and pid) join the pause
 * container's, a network path is accepted and ignored, cgroup is new. */
START_TEST(namespaces_decode)
{
	static const char cri[] = NS_SPEC(
		"[{\"type\":\"pid\",\"path\":\"/proc/28/ns/pid\"},"
		"{\"type\":\"ipc\",\"path\":\"/proc/28/ns/ipc\"},{\"type\":\"uts\",\"path\":"
		"\"/proc/2147483647/ns/uts\"},{\"type\":\"mount\"},{\"type\":\"network\","
		"\"path\":\"/var/run/netns/cni-1\"},{\"type\":\"cgroup\"},{\"type\":\"time\"}]");
	struct husk_error *e = NULL;
	struct amsg m;
	const struct spec *s = &m.spec;

	ck_assert_int_eq(parse(HUSK_MSG_CREATE, cri, &m, &e), 0);
	ck_assert(s->ns[SPEC_NS_PID].listed && s->ns[SPEC_NS_PID].pid == 28);
	ck_assert_str_eq(s->ns[SPEC_NS_PID].path, "/proc/28/ns/pid");
	ck_assert(s->ns[SPEC_NS_IPC].pid == 28);
	ck_assert(s->ns[SPEC_NS_UTS].pid == 2147483647);
	ck_assert(s->ns[SPEC_NS_MOUNT].listed && !s->ns[SPEC_NS_MOUNT].path);
	ck_assert(s->ns[SPEC_NS_NETWORK].listed && s->ns[SPEC_NS_NETWORK].pid == 0);
	ck_assert(s->ns[SPEC_NS_CGROUP].listed && !s->ns[SPEC_NS_CGROUP].path);
	amsg_free(&m);
	ck_assert_int_eq(parse(HUSK_MSG_CREATE, NS_SPEC("[{\"type\":\"uts\",\"path\":\"\"}]"), &m,
			       &e),
			 0);
	ck_assert(s->ns[SPEC_NS_UTS].listed && !s->ns[SPEC_NS_UTS].path);
	ck_assert(!s->ns[SPEC_NS_IPC].listed && !s->ns[SPEC_NS_CGROUP].listed);
	amsg_free(&m);
	husk_error_free(e);
}
END_TEST

START_TEST(namespaces_rejected)
{
	expect_reject(
		HUSK_MSG_CREATE, NS_SPEC("[{\"type\":\"uts\",\"path\":\"/proc/28/ns/ipc\"}]"),
		"linux.namespaces[0]: uts path \"/proc/28/ns/ipc\" is not /proc/<pid>/ns/uts");
	expect_reject(HUSK_MSG_CREATE,
		      NS_SPEC("[{\"type\":\"pid\"},{\"type\":\"ipc\",\"path\":"
			      "\"/proc/28/../1/ns/ipc\"}]"),
		      "linux.namespaces[1]: ipc path");
	expect_reject(HUSK_MSG_CREATE,
		      NS_SPEC("[{\"type\":\"pid\",\"path\":\"/proc/self/ns/pid\"}]"),
		      "is not /proc/<pid>/ns/pid");
	expect_reject(HUSK_MSG_CREATE,
		      NS_SPEC("[{\"type\":\"pid\",\"path\":\"/proc/028/ns/pid\"}]"),
		      "is not /proc/<pid>/ns/pid");
	expect_reject(HUSK_MSG_CREATE, NS_SPEC("[{\"type\":\"pid\",\"path\":\"/proc/0/ns/pid\"}]"),
		      "is not /proc/<pid>/ns/pid");
	expect_reject(HUSK_MSG_CREATE,
		      NS_SPEC("[{\"type\":\"uts\",\"path\":\"/proc/99999999999/ns/uts\"}]"),
		      "is not /proc/<pid>/ns/uts");
	expect_reject(HUSK_MSG_CREATE, NS_SPEC("[{\"type\":\"uts\",\"path\":\"/proc/9/ns/uts/\"}]"),
		      "is not /proc/<pid>/ns/uts");
	expect_reject(HUSK_MSG_CREATE,
		      NS_SPEC("[{\"type\":\"mount\",\"path\":\"/proc/9/ns/mnt\"}]"),
		      "mount path /proc/9/ns/mnt: joining a mount namespace");
	expect_reject(HUSK_MSG_CREATE,
		      NS_SPEC("[{\"type\":\"cgroup\",\"path\":\"/proc/9/ns/cgroup\"}]"),
		      "joining a cgroup namespace");
	expect_reject(HUSK_MSG_CREATE, NS_SPEC("[{\"type\":\"ipc\"},{\"type\":\"ipc\"}]"),
		      "linux.namespaces[1]: ipc is listed twice");
	expect_reject(HUSK_MSG_CREATE, NS_SPEC("{\"type\":\"ipc\"}"), "not an array");
	expect_reject(HUSK_MSG_CREATE, NS_SPEC("[{\"path\":\"/proc/9/ns/ipc\"}]"), "type");
}
END_TEST

#define FILES_SPEC \
	"{\"id\":\"a\",\"spec\":{\"process\":{\"args\":[\"x\"]}},\"rootfs\":{\"dir\":\"/r\"}"

START_TEST(create_files)
{
	size_t big = HUSK_AGENT_FILE_MAX + 1;
	char *json = malloc(big + 256), *p;
	struct husk_error *e = NULL;
	struct amsg m;

	ck_assert_int_eq(parse(HUSK_MSG_CREATE,
			       FILES_SPEC ",\"files\":{\"hosts\":\"1.2.3.4 h\\n\","
					  "\"resolv.conf\":\"\"},\"shm_size\":4096}",
			       &m, &e),
			 0);
	ck_assert_int_eq(m.nfiles, 2);
	ck_assert_str_eq(m.files[0].name, "hosts");
	ck_assert_str_eq(m.files[0].text, "1.2.3.4 h\n");
	ck_assert_int_eq(m.files[0].len, 10);
	ck_assert_int_eq(m.files[1].len, 0);
	ck_assert_int_eq(m.shm_size, 4096);
	amsg_free(&m);
	ck_assert_int_eq(parse(HUSK_MSG_CREATE, FILES_SPEC ",\"files\":null}", &m, &e), 0);
	ck_assert_int_eq(m.nfiles, 0);
	ck_assert_int_eq(m.shm_size, 0);
	amsg_free(&m);
	expect_reject(HUSK_MSG_CREATE, FILES_SPEC ",\"files\":{\"../x\":\"a\"}}",
		      "files: name \"../x\" is not a plain file name");
	expect_reject(HUSK_MSG_CREATE, FILES_SPEC ",\"files\":{\"\":\"a\"}}", "name \"\" is not");
	expect_reject(HUSK_MSG_CREATE, FILES_SPEC ",\"files\":{\".\":\"a\"}}", "name \".\" is not");
	expect_reject(HUSK_MSG_CREATE, FILES_SPEC ",\"files\":[\"hosts\"]}",
		      "files is not an object");
	expect_reject(HUSK_MSG_CREATE, FILES_SPEC ",\"shm_size\":0}", "shm_size 0");
	expect_reject(HUSK_MSG_CREATE, FILES_SPEC ",\"shm_size\":\"1M\"}", "shm_size");
	p = json + sprintf(json, FILES_SPEC ",\"files\":{\"hosts\":\"");
	memset(p, 'x', big);
	strcpy(p + big, "\"}}");
	expect_reject(HUSK_MSG_CREATE, json, "files: \"hosts\" has 65537 bytes, more than 65536");
	strcpy(p + big - 1, "\"}}");
	ck_assert_int_eq(parse(HUSK_MSG_CREATE, json, &m, &e), 0);
	ck_assert_int_eq(m.files[0].len, HUSK_AGENT_FILE_MAX);
	amsg_free(&m);
	free(json);
	husk_error_free(e);
}
END_TEST

START_TEST(depth_and_nul_refused)
{
	char deep[200];
	struct husk_error *e = NULL;
	struct amsg m;

	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	expect_reject(HUSK_MSG_HELLO, deep, "nested deeper");
	ck_assert_int_lt(amsg_parse(HUSK_MSG_HELLO, (const uint8_t *)"{}\0x", 4, &m, &e), 0);
	ck_assert(strstr(husk_error_message(e), "NUL"));
	amsg_free(&m);
	/* brackets inside strings do not count */
	ck_assert_int_eq(
		parse(HUSK_MSG_HELLO,
		      "{\"x\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}",
		      &m, &e),
		0);
	amsg_free(&m);
	husk_error_free(e);
}
END_TEST

START_TEST(network_decodes)
{
	struct husk_error *e = NULL;
	struct amsg m;

	ck_assert_int_eq(
		parse(HUSK_MSG_CONFIGURE_NETWORK,
		      "{\"interfaces\":[{\"name\":\"eth0\",\"mtu\":1400,\"addresses\":[\"10.0.0.2/24\"]}],"
		      "\"routes\":[{\"destination\":\"default\",\"gateway\":\"10.0.0.1\"}],"
		      "\"dns\":{\"servers\":[\"1.1.1.1\"]},\"hostname\":\"h\"}",
		      &m, &e),
		0);
	ck_assert_int_eq(m.net.nifaces, 1);
	ck_assert_int_eq(m.net.ifaces[0].mtu, 1400);
	ck_assert_str_eq(m.net.ifaces[0].addrs[0], "10.0.0.2/24");
	ck_assert_str_eq(m.net.routes[0].gateway, "10.0.0.1");
	ck_assert_str_eq(m.net.dns_servers[0], "1.1.1.1");
	amsg_free(&m);
	husk_error_free(e);
}
END_TEST

START_TEST(ids_caps_mntopts_errors)
{
	const char *opts[] = { "rw", "noexec", "private", "uid=5", "gid=6", NULL };
	struct mntopt mo;
	struct husk_error *e = NULL;

	ck_assert(amsg_id_valid("abc-1_2.3"));
	ck_assert(!amsg_id_valid(".."));
	ck_assert(!amsg_id_valid("a b"));
	ck_assert(!amsg_id_valid(""));
	ck_assert_int_eq(capname_lookup("CAP_NET_RAW"), 13);
	ck_assert_int_eq(capname_lookup("CAP_CHECKPOINT_RESTORE"), 40);
	ck_assert_int_eq(capname_lookup("NET_RAW"), -1);
	ck_assert_int_eq(mntopt_parse(opts, &mo, &e), 0);
	ck_assert(mo.flags == MS_NOEXEC && mo.propagation == MS_PRIVATE);
	ck_assert_str_eq(mo.data, "uid=5,gid=6");
	free(mo.data);
	ck_assert_int_eq(husk_err(&e, ENOENT, "open %s", "x"), -ENOENT);
	ck_assert_str_eq(husk_error_message(e), "open x: No such file or directory");
	ck_assert_int_eq(husk_err_wrap(&e, "rootfs"), -ENOENT);
	ck_assert_str_eq(husk_error_message(e), "rootfs: open x: No such file or directory");
	/* what a failing child reports: its text as it came, its errno */
	ck_assert_int_eq(husk_err_received(&e, EACCES, "%s", "execve /x: denied"), -EACCES);
	ck_assert_str_eq(husk_error_message(e), "execve /x: denied");
	ck_assert_int_eq(husk_error_errno(e), EACCES);
	ck_assert_int_eq(husk_err_received(&e, 0, "bare"), -EINVAL);
	husk_error_free(e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("agent_proto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, hdr_round_trip);
	tcase_add_test(tc, hdr_rejects);
	tcase_add_test(tc, create_decodes_spec);
	tcase_add_test(tc, requests_rejected);
	tcase_add_test(tc, port_connect_decodes);
	tcase_add_test(tc, namespaces_decode);
	tcase_add_test(tc, namespaces_rejected);
	tcase_add_test(tc, create_writable_block_root);
	tcase_add_test(tc, create_files);
	tcase_add_test(tc, depth_and_nul_refused);
	tcase_add_test(tc, network_decodes);
	tcase_add_test(tc, ids_caps_mntopts_errors);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()

// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_cli.c - shim/cli.c, sha256.c, socket.c and the built
 * containerd-shim-husk-v2 binary: `start` output and grouping, the
 * daemon answering Connect and exiting on Shutdown, `delete` output.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shim/cli.h"
#include "shim/share/fs_share.h"
#include "shim/share/fs_state.h"
#include "tests/lib/mnt_tmp.h"
#include "shim/ttrpc/pb.h"
#include "shim/base/sha256.h"
#include "shim/socket.h"
#include "shim/task/task.h"
#include "shim/ttrpc/ttrpc.h"
#include "tests/lib/unit.h"

static int parse(struct shim_args *a, const char *const *argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return shim_args_parse(argc, (char **)argv, a, NULL);
}

START_TEST(args_go_flag_syntax)
{
	const char *v16[] = { "shim",
			      "-namespace",
			      "k8s.io",
			      "-address",
			      "/run/c.sock",
			      "-publish-binary",
			      "/usr/bin/containerd",
			      "-id",
			      "abc",
			      "-debug",
			      "start",
			      NULL };
	const char *v2x[] = {
		"shim",	 "--namespace=default", "-id=x",  "-bundle", "/b", "-future-flag",
		"value", "-another-bool",	"delete", NULL
	};
	const char *vd[] = { "shim", "-id", "x", "-debug=false", NULL };
	const char *bad[] = { "shim", "-id", "x", "frobnicate", NULL };
	const char *info[] = { "shim", "-info", NULL };
	struct shim_args a;

	ck_assert_int_eq(parse(&a, v16), 0);
	ck_assert_str_eq(a.ns, "k8s.io");
	ck_assert_str_eq(a.address, "/run/c.sock");
	ck_assert_str_eq(a.publish_binary, "/usr/bin/containerd");
	ck_assert_str_eq(a.id, "abc");
	ck_assert(a.debug);
	ck_assert_int_eq(a.action, SHIM_ACTION_START);
	ck_assert_int_eq(parse(&a, v2x), 0);
	ck_assert_str_eq(a.ns, "default");
	ck_assert_str_eq(a.id, "x");
	ck_assert_str_eq(a.bundle, "/b");
	ck_assert_int_eq(a.action, SHIM_ACTION_DELETE);
	ck_assert_int_eq(parse(&a, vd), 0);
	ck_assert(!a.debug);
	ck_assert_int_eq(a.action, SHIM_ACTION_DAEMON);
	ck_assert_int_eq(parse(&a, bad), -EINVAL);
	ck_assert_int_eq(parse(&a, info), 0);
	ck_assert(a.info);
}
END_TEST

START_TEST(sha256_vectors)
{
	char hex[65];
	static const char m2[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char many[64];

	sha256_hex("", 0, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex(m2, strlen(m2), hex);
	ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* 55 and 56 bytes straddle the one/two padding block boundary. */
	memset(many, 'a', sizeof(many));
	sha256_hex(many, 55, hex);
	ck_assert_str_eq(hex, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	sha256_hex(many, 56, hex);
	ck_assert_str_eq(hex, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
}
END_TEST

START_TEST(socket_path_groups)
{
	char a[108], b[108], c[108];

	setenv(SHIM_SOCKET_DIR_ENV, "/run/containerd/s", 1);
	ck_assert_int_eq(shim_socket_path("/run/containerd/containerd.sock", "k8s.io", "pod1", a,
					  sizeof(a), NULL),
			 0);
	ck_assert_int_eq(shim_socket_path("/run/containerd/containerd.sock/", "k8s.io", "pod1", b,
					  sizeof(b), NULL),
			 0);
	ck_assert_int_eq(shim_socket_path("/run/containerd/containerd.sock", "default", "pod1", c,
					  sizeof(c), NULL),
			 0);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_uint_eq(strlen(a), strlen("/run/containerd/s/") + 64);
	setenv(SHIM_SOCKET_DIR_ENV, "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1);
	ck_assert_int_eq(shim_socket_path("/x", "n", "g", a, sizeof(a), NULL), -ENAMETOOLONG);
	unsetenv(SHIM_SOCKET_DIR_ENV);
}
END_TEST

static char tdir[64];

static void bin_setup(void)
{
	char sdir[96];

	strcpy(tdir, "/tmp/husk-cli-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	snprintf(sdir, sizeof(sdir), "%s/s", tdir);
	setenv(SHIM_SOCKET_DIR_ENV, sdir, 1);
	/* No containerd here: events go nowhere, quietly. */
	setenv("TTRPC_ADDRESS", "/nonexistent/containerd.sock.ttrpc", 1);
}

static void bin_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	if (system(cmd)) {
	}
}

/* The shim of this build: $(O)/tests/unit/shim/test_x -> $(O)/containerd-shim-husk-v2. */
static void shim_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	snprintf(buf, len, "%s/containerd-shim-husk-v2", dirname(dirname(dirname(dirname(self)))));
	ck_assert_msg(!access(buf, X_OK), "%s not built", buf);
}

static void make_bundle(const char *name, const char *sandbox, char *out, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(out, len, "%s/%s", tdir, name);
	ck_assert_int_eq(mkdir(out, 0700), 0);
	snprintf(path, sizeof(path), "%s/config.json", out);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	if (sandbox)
		fprintf(f, "{\"annotations\":{\"io.kubernetes.cri.sandbox-id\":\"%s\"}}", sandbox);
	else
		fputs("{}", f);
	fclose(f);
}

/* Child side of run_shim: stdout and stderr on one pipe, as containerd does. */
static void exec_shim(const char *cwd, int wfd, const char *const *args)
{
	const char *argv[16];
	char bin[PATH_MAX];
	int i, null = open("/dev/null", O_RDONLY);

	shim_path(bin, sizeof(bin));
	argv[0] = bin;
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	if (chdir(cwd) || dup2(null, 0) < 0 || dup2(wfd, 1) < 0 || dup2(wfd, 2) < 0)
		_exit(126);
	execv(bin, (char **)argv);
	_exit(127);
}

/*
 * Run the shim and collect its output until EOF on both streams, which
 * only comes if no daemon kept them (containerd would hang otherwise).
 */
static int run_shim(const char *cwd, const char *const *args, uint8_t *out, size_t *len)
{
	struct pollfd pfd;
	size_t got = 0;
	int p[2], status;
	pid_t pid;
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	if (pid == 0)
		exec_shim(cwd, p[1], args);
	close(p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	for (;;) {
		ck_assert_msg(poll(&pfd, 1, 10000) == 1, "shim output never reached EOF");
		n = read(p[0], out + got, *len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	*len = got;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void start_in(const char *bundle, const char *id, char *addr, size_t alen)
{
	const char *args[] = { "-namespace",
			       "default",
			       "-address",
			       "/run/containerd/containerd.sock",
			       "-publish-binary",
			       "/usr/bin/containerd",
			       "-id",
			       id,
			       "start",
			       NULL };
	uint8_t out[512];
	size_t len = sizeof(out) - 1;

	ck_assert_int_eq(run_shim(bundle, args, out, &len), 0);
	out[len] = '\0';
	ck_assert_msg(len > 8 && out[len - 1] == '\n', "start printed \"%s\"", out);
	out[len - 1] = '\0';
	ck_assert_msg(!strncmp((char *)out, "unix://", 7), "start printed \"%s\"", out);
	ck_assert_uint_lt(len, alen);
	memcpy(addr, out, len);
}

static void read_address_file(const char *bundle, char *buf, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/address", bundle);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, (int)len, f));
	fclose(f);
}

static void shutdown_daemon(const char *addr, const char *id)
{
	Containerd__Task__V2__ConnectRequest cr = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
	Containerd__Task__V2__ShutdownRequest sr = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
	Containerd__Task__V2__ConnectResponse *r;
	struct ttrpc_client *c;
	struct ttrpc_result res;
	int i;

	ck_assert_int_eq(ttrpc_client_connect(addr, "default", &c, NULL), 0);
	cr.id = sr.id = (char *)id;
	ck_assert_int_eq(ttrpc_client_call(c, SHIM_TASK_SERVICE_V2, "Connect", &cr.base, 5000,
					   &res),
			 0);
	ck_assert_int_eq(res.code, TTRPC_OK);
	r = containerd__task__v2__connect_response__unpack(NULL, res.payload_len, res.payload);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_ne(r->shim_pid, (uint32_t)getpid());
	ck_assert_uint_eq(r->task_pid, 0);
	containerd__task__v2__connect_response__free_unpacked(r, NULL);
	ttrpc_result_clear(&res);
	/* No task left: the daemon answers (or closes) and exits. */
	if (!ttrpc_client_call(c, SHIM_TASK_SERVICE_V2, "Shutdown", &sr.base, 5000, &res))
		ttrpc_result_clear(&res);
	ttrpc_client_free(c);
	for (i = 0; i < 200 && !access(ttrpc_unix_path(addr), F_OK); i++)
		usleep(10 * 1000);
	ck_assert_msg(access(ttrpc_unix_path(addr), F_OK), "socket %s not removed", addr);
}

START_TEST(start_groups_by_sandbox_and_writes_address)
{
	char b1[128], b2[128], b3[128], a1[512], a2[512], a3[512], file[512];
	struct stat st;

	make_bundle("b1", "pod1", b1, sizeof(b1));
	make_bundle("b2", "pod1", b2, sizeof(b2));
	make_bundle("b3", NULL, b3, sizeof(b3));
	start_in(b1, "c1", a1, sizeof(a1));
	read_address_file(b1, file, sizeof(file));
	ck_assert_str_eq(file, a1);
	ck_assert_int_eq(stat(ttrpc_unix_path(a1), &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* A second container of the pod gets the same shim. */
	start_in(b2, "c2", a2, sizeof(a2));
	ck_assert_str_eq(a2, a1);
	read_address_file(b2, file, sizeof(file));
	ck_assert_str_eq(file, a1);
	/* A container of its own gets its own. */
	start_in(b3, "c3", a3, sizeof(a3));
	ck_assert_str_ne(a3, a1);
	shutdown_daemon(a1, "c1");
	shutdown_daemon(a3, "c3");
	/* With the pod's shim gone, a start spawns a fresh one there. */
	start_in(b2, "c2", a2, sizeof(a2));
	ck_assert_str_eq(a2, a1);
	shutdown_daemon(a2, "c2");
}
END_TEST

/* Read one Response frame from @fd; its status code (-1: none). */
static int raw_response(int fd, uint32_t *stream)
{
	Ttrpc__Response *r;
	struct ttrpc_hdr h;
	uint8_t *data;
	int code = -1;

	if (ttrpc_read_frame(fd, &h, &data) != 1)
		return -1;
	*stream = h.stream_id;
	r = ttrpc__response__unpack(NULL, h.length, data);
	if (h.type == TTRPC_TYPE_RESPONSE && r)
		code = r->status ? r->status->code : 0;
	if (r)
		ttrpc__response__free_unpacked(r, NULL);
	free(data);
	return code;
}

/*
 * The real shim daemon, spawned by `start`: an undecodable request, a
 * frame cut short, an unknown method and an unknown service are each
 * answered (or the connection closed), and the daemon goes on serving.
 */
START_TEST(running_shim_survives_bad_frames_and_unknown_methods)
{
	static const uint8_t garbage[] = { 0x0a, 0xff, 0xff, 0x01 };
	static const uint8_t half[] = { 0, 0, 0, 40, 0, 0, 0, 3, 1, 0, 0x0a };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ttrpc_client *c;
	struct ttrpc_result res;
	char b1[128], a1[512];
	uint32_t stream = 0;
	int fd;

	make_bundle("b1", NULL, b1, sizeof(b1));
	start_in(b1, "c1", a1, sizeof(a1));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ttrpc_unix_path(a1));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ttrpc_write_frame(fd, 1, TTRPC_TYPE_REQUEST, garbage, sizeof(garbage)), 0);
	ck_assert_int_eq(raw_response(fd, &stream), TTRPC_INVALID_ARGUMENT);
	ck_assert_uint_eq(stream, 1);
	ck_assert_int_eq(write(fd, half, sizeof(half)), (ssize_t)sizeof(half));
	close(fd);
	ck_assert_int_eq(ttrpc_client_connect(a1, "default", &c, NULL), 0);
	ck_assert_int_eq(ttrpc_client_call_raw(c, SHIM_TASK_SERVICE_V2, "NoSuchMethod", NULL, 0,
					       5000, &res),
			 0);
	ck_assert_int_eq(res.code, TTRPC_UNIMPLEMENTED);
	ttrpc_result_clear(&res);
	ck_assert_int_eq(ttrpc_client_call_raw(c, "no.such.Service", "State", NULL, 0, 5000, &res),
			 0);
	ck_assert_int_eq(res.code, TTRPC_UNIMPLEMENTED);
	ttrpc_result_clear(&res);
	ttrpc_client_free(c);
	shutdown_daemon(a1, "c1"); /* it still answers Connect */
}
END_TEST

static void check_delete_output(const uint8_t *out, size_t len)
{
	Containerd__Task__V2__DeleteResponse *r;

	r = containerd__task__v2__delete_response__unpack(NULL, len, out);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->exit_status, 137);
	ck_assert_ptr_nonnull(r->exited_at);
	ck_assert_int_gt(r->exited_at->seconds, time(NULL) - 60);
	containerd__task__v2__delete_response__free_unpacked(r, NULL);
}

START_TEST(delete_prints_delete_response)
{
	char b1[128], stale[200];
	const char *args[] = { "-namespace", "default",
			       "-address",   "/run/containerd/containerd.sock",
			       "-id",	     "c1",
			       "-bundle",    b1,
			       "delete",     NULL };
	const char *gone[] = { "-id", "c9", "-bundle", "/nonexistent/bundle", "delete", NULL };
	uint8_t out[256];
	size_t len = sizeof(out);
	int fd;

	make_bundle("b1", NULL, b1, sizeof(b1));
	/* A dead shim's socket, named in the bundle: delete removes it. */
	snprintf(stale, sizeof(stale), "%s/s/dead", tdir);
	mkdir(ttrpc_unix_path(getenv(SHIM_SOCKET_DIR_ENV)), 0700);
	fd = open(stale, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ck_assert_int_eq(shim_address_write(b1, stale, NULL), 0);
	ck_assert_int_eq(run_shim(tdir, args, out, &len), 0);
	check_delete_output(out, len);
	ck_assert_int_ne(access(stale, F_OK), 0);
	/* Idempotent: again, and for a bundle already removed. */
	len = sizeof(out);
	ck_assert_int_eq(run_shim(tdir, args, out, &len), 0);
	check_delete_output(out, len);
	len = sizeof(out);
	ck_assert_int_eq(run_shim("/", gone, out, &len), 0);
	/* The bundle complaint goes to stderr, which containerd logs; skip it. */
	ck_assert_ptr_nonnull(memmem(out, len, "bundle", 6));
}
END_TEST

/*
 * A dead shim's share (recorded in the bundle, no live daemon): delete
 * unmounts its entries and removes it; the host folder keeps its files.
 */
START_TEST(delete_removes_dead_shims_share)
{
	char b2[128], id[64], root[256], src[256], path[PATH_MAX], buf[32];
	const char *args[] = { "-namespace", "default",
			       "-address",   "/run/containerd/containerd.sock",
			       "-id",	     "c2",
			       "-bundle",    b2,
			       "delete",     NULL };
	uint8_t out[256];
	size_t len = sizeof(out);

	make_bundle("b2", NULL, b2, sizeof(b2));
	snprintf(id, sizeof(id), "husk-unit-%d", (int)getpid());
	ck_assert_int_eq(fs_share_root(FS_SHARE_BASE, id, root, sizeof(root)), 0);
	snprintf(src, sizeof(src), "%s/vol", tdir);
	mnt_tmp_write(src, "f", "kept\n");
	ck_assert_int_eq(fs_state_share(b2, root, 0, 0), 0);
	ck_assert_int_eq(fs_share_create(root, NULL), 0);
	ck_assert_int_eq(fs_state_entry(b2, root, "c2-0000000000000000-vol"), 0);
	ck_assert_int_eq(fs_share_add(root, "c2-0000000000000000-vol", src, FS_SHARE_RO, NULL), 0);
	ck_assert_int_eq(mnt_tmp_count(root), 5);
	ck_assert_int_eq(run_shim(tdir, args, out, &len), 0);
	check_delete_output(out, len);
	ck_assert_int_eq(mnt_tmp_count(root), 0);
	ck_assert_int_eq(access(root, F_OK), -1);
	snprintf(path, sizeof(path), "%s/f", src);
	ck_assert_str_eq(mnt_tmp_read(path, buf, sizeof(buf)), "kept\n");
}
END_TEST

START_TEST(version_and_info)
{
	const char *v[] = { "-v", NULL };
	const char *info[] = { "-info", NULL };
	Containerd__Types__RuntimeInfo *ri;
	uint8_t out[512];
	size_t len = sizeof(out) - 1;

	ck_assert_int_eq(run_shim("/", v, out, &len), 0);
	out[len] = '\0';
	ck_assert_ptr_nonnull(strstr((char *)out, "Version: " HUSK_VERSION));
	len = sizeof(out);
	ck_assert_int_eq(run_shim("/", info, out, &len), 0);
	ri = containerd__types__runtime_info__unpack(NULL, len, out);
	ck_assert_ptr_nonnull(ri);
	ck_assert_str_eq(ri->name, "io.containerd.husk.v2");
	ck_assert_str_eq(ri->version->version, HUSK_VERSION);
	containerd__types__runtime_info__free_unpacked(ri, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_cli");
	TCase *tc = tcase_create("parse");
	TCase *bin = tcase_create("binary");

	tcase_add_test(tc, args_go_flag_syntax);
	tcase_add_test(tc, sha256_vectors);
	tcase_add_test(tc, socket_path_groups);
	tcase_add_checked_fixture(bin, bin_setup, bin_teardown);
	tcase_set_timeout(bin, 30);
	tcase_add_test(bin, start_groups_by_sandbox_and_writes_address);
	tcase_add_test(bin, running_shim_survives_bad_frames_and_unknown_methods);
	tcase_add_test(bin, delete_prints_delete_response);
	tcase_add_test(bin, delete_removes_dead_shims_share);
	tcase_add_test(bin, version_and_info);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, bin);
	return s;
}

UNIT_MAIN()

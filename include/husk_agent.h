/* SPDX-License-Identifier: Apache-2.0 */
/*
 * husk_agent.h - the control protocol between the host (the shim, or the
 * test client in tests/agent/) and husk-init, PID 1 of every husk VM.
 *
 * Transport. husk-init listens on one stream socket: AF_VSOCK port
 * HUSK_AGENT_VSOCK_PORT (CID VMADDR_CID_ANY) in a VM, or a Unix socket
 * (husk-init --listen unix:PATH) when the tests run it on a host. The host
 * connects; every connection starts with one framed message that decides
 * what the connection is:
 *   - HUSK_MSG_HELLO: a control connection. Requests and replies follow,
 *     and the guest sends events (EXIT, OOM) on every control connection
 *     that said hello. Several may be open (a restarted shim reconnects).
 *   - HUSK_MSG_STDIO_BIND: one stdio stream of one process. After the OK
 *     reply the connection carries raw bytes only, never frames: stdin
 *     flows host->guest (host half-close = EOF on the process's stdin),
 *     stdout, stderr and the terminal output flow guest->host and end with
 *     the guest closing the connection. A busy or stalled stream therefore
 *     never delays control traffic or another process's output.
 *   - HUSK_MSG_PORT_CONNECT: a port forward (Kubernetes port-forward).
 *     husk-init connects TCP to 127.0.0.1:port in the VM's network
 *     namespace (the pod's), without blocking anything else, giving up
 *     after HUSK_AGENT_FORWARD_TIMEOUT_MS. On success the OK reply comes
 *     and the connection carries raw bytes only, both ways, to and from
 *     that TCP socket; EOF from either side half-closes the other
 *     (shutdown(SHUT_WR)), and both are closed once both directions have
 *     ended (or at once when either side errors or resets). On failure
 *     the ERROR reply ("connect 127.0.0.1:8080: Connection refused", with
 *     its errno) comes and the connection is closed; so it is after an
 *     invalid payload. At most HUSK_AGENT_MAX_FORWARDS forwards (pending
 *     or open) at once; beyond that ERROR with EMFILE.
 *
 * Ordering (no output is ever produced before the host listens).
 * CREATE (container init) and EXEC (further process) prepare a process
 * that is held before execve; the request names the streams it wants.
 * The host binds each named stream (STDIO_BIND), then sends START. START
 * fails with EBUSY while a named stream is unbound, so a process cannot
 * run, write and exit before its output has somewhere to go.
 *
 * Framing. Every message is a HUSK_AGENT_HDR_SIZE-byte header, all fields
 * little-endian, then `length` bytes of payload:
 *     0  u32 magic    HUSK_AGENT_MAGIC
 *     4  u16 version  HUSK_AGENT_VERSION
 *     6  u16 type     enum husk_agent_type
 *     8  u32 flags    0 when sent; unknown bits are ignored when received
 *    12  u32 length   payload bytes, at most HUSK_AGENT_MAX_PAYLOAD
 *    16  u64 id       request id chosen by the host; a reply carries the
 *                     id of its request; events carry 0
 * The receiver checks magic, version and length from the header alone,
 * before it allocates anything. Bad magic or an oversized length get an
 * ERROR reply and the connection is closed (the frame boundary is lost);
 * a wrong version, a payload that is not valid JSON, an unknown type or a
 * bad field get an ERROR reply and the connection goes on. A connection
 * that ends inside a message gets an ERROR reply (if it is still writable)
 * and is closed. No message can take husk-init or the VM down.
 *
 * Payloads are one JSON object (UTF-8), also for replies and events; an
 * empty payload means {}. JSON because it is easy to read in a packet dump
 * and because the OCI runtime spec already is JSON. Objects may nest at
 * most HUSK_AGENT_MAX_DEPTH levels.
 *
 * Where the OCI spec is parsed: in the guest, with yajl. The host sends
 * config.json as it is (after rewriting root.path and the mounts whose
 * sources live on the host) inside the CREATE payload, and the Process
 * JSON containerd gives for an exec inside the EXEC payload. Reasons: the
 * guest is where every field is applied (mounts, namespaces, cgroups,
 * user, capabilities, rlimits), so there is one parser in one place and
 * no second, lossy encoding of the spec to keep in step; the shim stays a
 * thin forwarder. The cost, yajl linked statically into husk-init, is
 * about 40 KiB.
 *
 * Requests (host -> guest) and their payload fields; "id" is a container
 * id, "exec_id" names a process started by EXEC (absent or "" = the
 * container's init process). Each gets OK (with the listed reply fields)
 * or ERROR.
 *   HELLO       {"version": n}  -> {"version", "agent", "cgroup": bool,
 *               "controllers": [names], "mode": "vm"|"test"}
 *   CREATE      {"id", "spec": <config.json>, "rootfs": ROOTFS,
 *               "stdio": STDIO, "files": FILES, "shm_size": n} -> {"pid"}
 *               ROOTFS is {"lower": [{"source": "/dev/vdb", "fstype":
 *               "erofs"|"ext4", "options": "..."}, ...], "upper":
 *               {"source": "/dev/vdc", "fstype": "ext4"}} (no upper: the
 *               lower is the read-only root, or the read-write root with
 *               "writable": true, as for a devmapper snapshot; with upper:
 *               overlayfs with upperdir/workdir on it), or {"dir": "/path"} to bind a
 *               directory (tests). STDIO is {"stdin": bool, "stdout": bool,
 *               "stderr": bool}; streams not named are /dev/null. With
 *               process.terminal, "stdout" is the terminal output and
 *               "stdin" its input; "stderr" must be false.
 *               Optional FILES: {"hosts": "text", "hostname": "text",
 *               "resolv.conf": "text", ...}: each written (0644) to
 *               HUSK_AGENT_FILES_DIR/<id>/<name> before the spec's mounts
 *               are made, so a spec bind whose source is that path gets
 *               this container's own copy; names are plain file names
 *               ([A-Za-z0-9._-], at most 64 bytes, not "." or ".."), each
 *               text at most HUSK_AGENT_FILE_MAX bytes, at most
 *               HUSK_AGENT_MAX_FILES files; the folder goes away at DELETE
 *               (and when CREATE fails). Any bad name or size fails CREATE,
 *               naming the file.
 *               Spec mount sources under HUSK_AGENT_SHARE_DIR are paths in
 *               the host's share: before the first such mount husk-init
 *               mounts the virtio-fs tag HUSK_AGENT_SHARE_TAG there (once
 *               per VM, nosuid,nodev; test mode: the folder --share names
 *               stands for HUSK_AGENT_SHARE_DIR, nothing is mounted). A
 *               source with a ".." component is refused, so is one whose
 *               symlinks lead out of its folder, and so is a share
 *               source when the share cannot be mounted (the ERROR names
 *               the tag, the folder and the cause). A source
 *               equal to HUSK_AGENT_POD_SHM_DIR is the pod's /dev/shm: a
 *               tmpfs (mode 1777, nosuid,nodev,noexec, "shm_size" bytes,
 *               a positive integer, from the payload of the CREATE that
 *               first binds it, else 64 MiB) mounted there once per VM and
 *               shared by every container that binds it. Sources under
 *               HUSK_AGENT_FILES_DIR are those files (test mode: under
 *               STATE/files). Each such source is then bound as the spec
 *               mount says (bind or rbind, ro or rw, propagation), a
 *               single file as well as a folder; a bind never loses the
 *               nosuid, nodev, noexec or read-only of its source mount.
 *   START       {"id", "exec_id"} -> {"pid"}
 *   EXEC        {"id", "exec_id", "process": <OCI Process JSON>, "stdio":
 *               STDIO} -> {"pid"}
 *   SIGNAL      {"id", "exec_id", "signal": n, "all": bool} -> {}
 *               all: every process of the container (its cgroup).
 *   WAIT        {"id", "exec_id"} -> EXIT fields; the reply is sent when the
 *               process ends (at once if it has ended).
 *   CLOSE_STDIN {"id", "exec_id"} -> {}; bytes the host already sent on the
 *               stdin connection are delivered first. (Half-closing the
 *               stdin connection does the same, in order by construction.)
 *   RESIZE_PTY  {"id", "exec_id", "rows": n, "cols": n} -> {}
 *   STATS       {"id"} -> {"cpu": {"usage_usec", "user_usec",
 *               "system_usec", "nr_periods", "nr_throttled",
 *               "throttled_usec"}, "memory": {"current", "max", "oom_kill",
 *               and memory.stat's "anon", "file", "kernel_stack", "slab",
 *               "sock", "shmem", "file_mapped", "file_dirty",
 *               "file_writeback", "anon_thp", "inactive_anon",
 *               "active_anon", "inactive_file", "active_file",
 *               "unevictable", "pgfault", "pgmajfault"}, "pids":
 *               {"current", "max"}, "io": {"rbytes", "wbytes", "rios",
 *               "wios"}} ("max" is -1 for no limit; any value that could
 *               not be read is -1)
 *   PIDS        {"id"} -> {"pids": [n, ...]}
 *   DELETE      {"id", "exec_id"} -> {}; without exec_id the container:
 *               its processes are killed, its cgroup and mounts removed.
 *   CONFIGURE_NETWORK {"interfaces": [{"name", "mac", "mtu", "addresses":
 *               ["10.0.0.2/24", ...]}], "routes": [{"destination":
 *               "default"|"CIDR", "gateway", "device"}], "hostname",
 *               "hosts": "<file text>", "dns": {"servers", "searches",
 *               "options"}} -> {}. hosts, resolv.conf and hostname are
 *               written under the guest's /etc (test mode: STATE/etc), so a
 *               container sees them through bind mounts in its spec.
 *   SHUTDOWN    {} -> {"synced": true}: every container is killed and
 *               deleted and the file systems are synced before the reply,
 *               so the host may end the VM as soon as it has it; then the
 *               VM ends by itself (reboot(RB_AUTOBOOT) with reboot=k; test
 *               mode: husk-init exits 0).
 *   STDIO_BIND  {"id", "exec_id", "stream": "stdin"|"stdout"|"stderr"} ->
 *               {} on that connection, which is raw bytes from then on.
 *   PORT_CONNECT {"port": n} (an integer 1-65535) -> {} on that
 *               connection, which is raw bytes from then on (see Transport).
 *               Only as a connection's first message, as STDIO_BIND.
 *   PAUSE       {"id"} -> {}; the container's cgroup is frozen (cgroup v2
 *               freezer) before the reply. RESUME {"id"} -> {} thaws it.
 *   UPDATE      {"id", "resources": <OCI LinuxResources>} -> {}; the values
 *               given are written to the container's cgroup, others stay.
 *   RELAY_STATUS {} -> {"streams": [{"id", "exec_id", "pid", "stream":
 *               "stdin"|"stdout"|"stderr", "state", "eof": bool, "moved": n,
 *               "buffered": n, "idle_ms": n}, ...], "total": n,
 *               "truncated": bool}: husk-init's side of every stream a
 *               process asked for (a diagnosis aid: the shim logs it on
 *               SIGUSR1). "state" is "unbound" (no STDIO_BIND yet),
 *               "waiting_source" (nothing buffered; waits for the process's
 *               output, or for the host's stdin bytes),
 *               "waiting_destination" (the destination said EAGAIN: for
 *               stdout/stderr the stdio connection is full, the host grants
 *               no vsock credit; for stdin the process does not read),
 *               "draining" (the host's end is gone; output is read and
 *               dropped) or "closed" (the relay ended). "moved" counts bytes
 *               written to the destination, "buffered" bytes read and not
 *               yet written, "eof" says the source ended, "idle_ms" is the
 *               time since the stream last moved a byte (or was set up).
 *               At most HUSK_AGENT_MAX_RELAY_STREAMS entries; "total" counts
 *               them all and "truncated" says some were left out. Answered
 *               from counters the relays keep: it never waits on a stream.
 * Events (guest -> host, id 0):
 *   EXIT        {"id", "exec_id", "pid", "exit_status", "signal",
 *               "exited_at", "oom"}: exit_status is the exit code, or 128+n
 *               for a death by signal n (then "signal" is n, else 0);
 *               exited_at is CLOCK_REALTIME in ns; oom is true when the
 *               container's cgroup recorded an OOM kill of it.
 *   OOM         {"id"}: the container's cgroup counted a new OOM kill.
 * Replies:
 *   OK          request-specific fields, above.
 *   ERROR       {"errno": n, "message": "text with context"}
 */
#ifndef HUSK_AGENT_H
#define HUSK_AGENT_H

#include <stddef.h>
#include <stdint.h>

#define HUSK_AGENT_MAGIC       0x4b535548u /* "HUSK" on the wire */
#define HUSK_AGENT_VERSION     1
#define HUSK_AGENT_HDR_SIZE    24
#define HUSK_AGENT_MAX_PAYLOAD (1u << 20) /* config.json fits with room */
#define HUSK_AGENT_MAX_DEPTH   64
#define HUSK_AGENT_VSOCK_PORT  1024
#define HUSK_AGENT_MAX_ID      128 /* container and exec id length */

/* PORT_CONNECT (see Transport above) */
#define HUSK_AGENT_MAX_FORWARDS	      64    /* connecting or open at once */
#define HUSK_AGENT_FORWARD_TIMEOUT_MS 10000 /* for the TCP connect */

/* RELAY_STATUS (see above): entries in one reply */
#define HUSK_AGENT_MAX_RELAY_STREAMS 64

/* Guest paths the host names in CREATE specs (see CREATE above). */
#define HUSK_AGENT_SHARE_TAG	 "husk-share"	   /* the virtio-fs tag */
#define HUSK_AGENT_SHARE_DIR	 "/run/husk/share" /* where it is mounted */
#define HUSK_AGENT_POD_SHM_DIR	 "/run/husk/shm"   /* the pod's /dev/shm */
#define HUSK_AGENT_FILES_DIR	 "/run/husk/files" /* per-container files */
#define HUSK_AGENT_FILE_MAX	 (64u << 10)	   /* bytes of one "files" text */
#define HUSK_AGENT_MAX_FILES	 32		   /* entries of "files" */
#define HUSK_AGENT_FILE_NAME_MAX 64
#define HUSK_AGENT_SHM_DEFAULT	 (64ull << 20) /* the pod /dev/shm without "shm_size" */

enum husk_agent_type {
	/* requests */
	HUSK_MSG_HELLO = 1,
	HUSK_MSG_CREATE = 2,
	HUSK_MSG_START = 3,
	HUSK_MSG_EXEC = 4,
	HUSK_MSG_SIGNAL = 5,
	HUSK_MSG_WAIT = 6,
	HUSK_MSG_CLOSE_STDIN = 7,
	HUSK_MSG_RESIZE_PTY = 8,
	HUSK_MSG_STATS = 9,
	HUSK_MSG_PIDS = 10,
	HUSK_MSG_DELETE = 11,
	HUSK_MSG_CONFIGURE_NETWORK = 12,
	HUSK_MSG_SHUTDOWN = 13,
	HUSK_MSG_STDIO_BIND = 14,
	HUSK_MSG_PAUSE = 15,
	HUSK_MSG_RESUME = 16,
	HUSK_MSG_UPDATE = 17,
	HUSK_MSG_PORT_CONNECT = 18,
	HUSK_MSG_RELAY_STATUS = 19,
	/* replies */
	HUSK_MSG_OK = 128,
	HUSK_MSG_ERROR = 129,
	/* events */
	HUSK_MSG_EVENT_EXIT = 192,
	HUSK_MSG_EVENT_OOM = 193,
};

struct husk_agent_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t flags;
	uint32_t length;
	uint64_t id;
};

/*
 * husk_agent_hdr_encode - write @h as HUSK_AGENT_HDR_SIZE wire bytes to @out.
 */
void husk_agent_hdr_encode(const struct husk_agent_hdr *h, uint8_t *out);

/*
 * husk_agent_hdr_decode - read a header from the first @len bytes of @buf.
 * Returns 0 when the header is whole and valid; -EAGAIN when @len is short
 * of a header; -EPROTO on bad magic; -EMSGSIZE when the payload length is
 * above HUSK_AGENT_MAX_PAYLOAD (in both the connection cannot go on);
 * -EPROTONOSUPPORT on another version (the payload can still be skipped).
 * @h is filled whenever @len covers a header, also on errors.
 */
int husk_agent_hdr_decode(const uint8_t *buf, size_t len, struct husk_agent_hdr *h);

/* husk_agent_type_name - "CREATE", ... or "unknown" (for logs and errors). */
const char *husk_agent_type_name(unsigned int type);

#endif

#!/usr/bin/python3
"""checks.py HANDLER... - the CRI checks of husk's tests, for each runtime
handler in turn, against a containerd with the CRI plugin already running
(tests/cri/run-cri starts it). Every check is an assertion on what the CRI
calls return, what the host sees (files, processes, mounts, addresses) or
what the containers print, and prints one line:

    ok cri/<handler>/<name>
    FAIL cri/<handler>/<name>: why

A check whose prerequisite failed prints FAIL with "not run". Lines
starting with "  " are information (timings, what was seen). Exit status
0 when every check passed, 1 otherwise.
"""
import ipaddress
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contextlib
import hashlib

import cri  # pylint: disable=wrong-import-position
import wsforward  # pylint: disable=wrong-import-position

SOCK = os.environ.get("HUSK_CRI_SOCK", "/run/containerd/containerd.sock")
ROOT = "/var/lib/containerd"
STATE = "/run/containerd"
CRI_ROOT = ROOT + "/io.containerd.grpc.v1.cri"
CRI_STATE = STATE + "/io.containerd.grpc.v1.cri"
TASKS = STATE + "/io.containerd.runtime.v2.task/k8s.io"
SUBNET = ipaddress.ip_network("10.89.0.0/24")   # husk-cri.conflist
BRIDGE = "huskcri0"
NETWORK = "husk-cri"
BUSYBOX = "husk.test/busybox:latest"
PAUSE = "husk.test/pause:latest"
DNS_SERVER = "10.89.0.53"
DNS_SEARCH = "husk.test"
# Pod sysctls: one in the IPC namespace, one in the network namespace.
SYSCTLS = {"kernel.shm_rmid_forced": "1", "net.ipv4.ip_local_port_range": "40000 50000"}
PEER_PORT = 8080
HOST_PORT = 30080   # the pod's hostPort for PEER_PORT (CNI portmap)
GATEWAY = "10.89.0.1"   # the bridge's address on the host
# The pod's limits (the kubelet's sum over its containers): a husk VM is
# sized from them, runc ignores them in containerd 1.6. The CPUs are a
# short side pod's (t_vm_cpus): the rig's level 1 now and then panics in
# its KVM code under a 2-vCPU level-2 guest ("stack guard page was hit"
# in a vCPU thread), so the long-lived pod keeps one vCPU.
POD_RESOURCES = {"memory_limit_in_bytes": 512 * (1 << 20)}
MiB = 1 << 20
BENCH = {}   # handler -> {"first-output": s, "teardown": s} (t_bench)
SHIMS = {"runc": "containerd-shim-runc-v2", "husk": "containerd-shim-husk-v2"}
# The handler with husk's warm pool (containerd.toml; its ConfigPath is
# written by run-cri) and where the spares wait.
WARM_HANDLER = "husk-warm"
WARM_POOL = "/run/husk/warm"
WARM_FAILED = "/run/husk/warm-failed"  # logs of spares that failed


class NotRun(Exception):
    """A check's prerequisite failed."""


class Checks:
    def __init__(self, handler):
        self.h = handler
        self.c = cri.Client(SOCK)
        self.failed = []
        self.sid = None
        self.cfg = None
        self.cid = {}
        self.ip = None
        self.netns = None
        self.pod_cgroup = ""  # the pod's cgroupsPath, once t_pod_cgroup saw it
        self.hostname = "cri-%s-pod" % handler
        self.name = "cri-%s" % handler
        self.uid = str(uuid.uuid4())
        self.logdir = "/var/log/pods/default_%s_%s" % (self.name, self.uid)
        self.exec_hung = None    # the check whose ExecSync ran out of time
        self.vol = self.term = self.c3_log = self.config = None
        # an emptyDir as the kubelet makes one: a host folder bound into
        # several containers of the pod
        self.empty_dir = "/var/lib/husk-cri/%s-empty-dir" % handler
        self.check_name = None

    # --- running checks
    def check(self, name, fn, *args):
        self.check_name = name
        try:
            fn(*args)
        except NotRun as e:
            print("FAIL cri/%s/%s: not run: %s" % (self.h, name, e), flush=True)
            self.failed.append(name)
            return False
        except AssertionError as e:
            print("FAIL cri/%s/%s: %s" % (self.h, name, e), flush=True)
            self.failed.append(name)
            return False
        except Exception as e:  # pylint: disable=broad-except
            print("FAIL cri/%s/%s: %s" % (self.h, name, cri.rpc_error(e)), flush=True)
            self.failed.append(name)
            return False
        print("ok cri/%s/%s" % (self.h, name), flush=True)
        return True

    @staticmethod
    def info(msg):
        print("  " + msg, flush=True)

    def need_pod(self):
        if not self.sid:
            raise NotRun("no pod sandbox")

    def need(self, c):
        if c not in self.cid:
            raise NotRun("no container %s" % c)
        return self.cid[c]

    def wait_state(self, cid, state, secs=60):
        end = time.time() + secs
        while True:
            st = self.c.container_status(cid)
            if st.state == state or time.time() > end:
                return st
            time.sleep(0.5)

    def log_lines(self, c, attempt=0):
        """The container's log file parsed as CRI log lines: (stream, tag,
        text); a line not in the CRI format is an assertion failure."""
        path = os.path.join(self.logdir, c, "%d.log" % attempt)
        out = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)) "
                             r"(stdout|stderr) ([FP]) (.*)$", line.rstrip("\n"))
                assert m, "%s: not a CRI log line: %r" % (path, line)
                out.append((m.group(4), m.group(5), m.group(6)))
        return out

    def wait_log(self, c, text, secs=60, attempt=0):
        end = time.time() + secs
        while True:
            try:
                lines = self.log_lines(c, attempt)
            except FileNotFoundError:
                lines = []
            if any(t == text for _, _, t in lines) or time.time() > end:
                return lines
            time.sleep(0.5)

    def exec_out(self, cid, cmd, timeout=20):
        """ExecSync with CRI's timeout; once one has hung past its gRPC
        deadline, later ones are not run (each would eat its deadline)."""
        if self.exec_hung:
            raise NotRun("ExecSync hung in %s" % self.exec_hung)
        t0 = time.time()
        try:
            r = self.c.exec_sync(cid, cmd, exec_timeout=timeout, timeout=timeout + 25)
        except cri.grpc.RpcError as e:
            # DEADLINE_EXCEEDED is also containerd's answer to an exec that
            # ran past the CRI timeout: only the client's own deadline is a hang
            if e.code() == cri.grpc.StatusCode.DEADLINE_EXCEEDED and \
                    time.time() - t0 >= timeout + 24:
                self.exec_hung = self.check_name
                raise AssertionError("ExecSync %s: no answer within %ds (CRI timeout %ds)" %
                                     (cmd, timeout + 25, timeout)) from e
            raise
        return r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace"), r.exit_code

    # --- the checks
    def t_version(self):
        v = self.c.version()
        self.info("runtime %s %s, CRI %s" % (v.runtime_name, v.runtime_version,
                                             v.runtime_api_version))
        assert v.runtime_name == "containerd", "runtime_name %r" % v.runtime_name
        assert v.runtime_api_version.startswith("v1"), \
            "runtime_api_version %r" % v.runtime_api_version

    def t_images(self):
        tags = [t for i in self.c.list_images() for t in i.repo_tags]
        for ref in (PAUSE, BUSYBOX):
            assert ref in tags, "ListImages lacks %s: %s" % (ref, tags)
            img = self.c.image_status(ref)
            assert img.id.startswith("sha256:"), "ImageStatus %s: id %r" % (ref, img.id)

    def t_run_pod(self):
        os.makedirs(self.logdir, exist_ok=True)
        self.cfg = self.c.pod_config(
            self.name, self.uid, hostname=self.hostname, log_directory=self.logdir,
            dns={"servers": [DNS_SERVER], "searches": [DNS_SEARCH], "options": ["ndots:2"]},
            labels={"husk-test": self.h}, sysctls=SYSCTLS, resources=POD_RESOURCES,
            port_mappings=[{"container_port": PEER_PORT, "host_port": HOST_PORT}])
        t0 = time.time()
        sid = self.c.run_pod(self.cfg, self.h, timeout=180)
        self.info("RunPodSandbox: %.1fs" % (time.time() - t0))
        assert re.fullmatch(r"[0-9a-f]{64}", sid), "pod id %r" % sid
        self.sid = sid

    def t_pod_status(self):
        self.need_pod()
        r = self.c.pod_status(self.sid, verbose=True)
        st = r.status
        assert st.state == cri.SANDBOX_READY, "state %s" % st.state
        assert st.id == self.sid, "id %s" % st.id
        assert st.metadata.name == self.name and st.metadata.uid == self.uid, \
            "metadata %s" % st.metadata
        assert st.runtime_handler == self.h, "runtime_handler %r" % st.runtime_handler
        assert st.labels.get("husk-test") == self.h, "labels %s" % dict(st.labels)
        ip = st.network.ip
        assert ip and ipaddress.ip_address(ip) in SUBNET, "pod IP %r not in %s" % (ip, SUBNET)
        self.ip = ip
        info = json.loads(r.info.get("info", "{}"))
        for ns in info.get("runtimeSpec", {}).get("linux", {}).get("namespaces", []):
            if ns.get("type") == "network":
                self.netns = ns.get("path")
        self.info("pod %s: IP %s, netns %s" % (self.sid[:12], ip, self.netns))
        items = self.c.list_pods(self.sid)
        assert len(items) == 1 and items[0].state == cri.SANDBOX_READY and \
            items[0].runtime_handler == self.h, "ListPodSandbox: %s" % items

    def t_pod_files(self):
        """What containerd wrote for the pod: hostname, resolv.conf."""
        self.need_pod()
        d = os.path.join(CRI_ROOT, "sandboxes", self.sid)
        with open(os.path.join(d, "hostname"), encoding="utf-8") as f:
            assert f.read() == self.hostname + "\n", "hostname file"
        with open(os.path.join(d, "resolv.conf"), encoding="utf-8") as f:
            rc = f.read()
        assert "nameserver " + DNS_SERVER in rc and DNS_SEARCH in rc, "resolv.conf: %r" % rc

    def t_pod_network(self):
        """The pod's netns holds eth0 with the pod IP; the host bridge has a
        port for it; the host reaches the pod IP."""
        self.need_pod()
        if not self.ip or not self.netns:
            raise NotRun("no pod IP or netns path")
        assert os.path.exists(self.netns), "netns %s missing" % self.netns
        out = subprocess.run(["nsenter", "--net=" + self.netns, "ip", "-4", "-o", "addr",
                              "show", "dev", "eth0"], capture_output=True, text=True,
                             check=False).stdout
        assert " %s/" % self.ip in out, "eth0 in the netns: %r" % out
        ports = os.listdir("/sys/class/net/%s/brif" % BRIDGE)
        assert ports, "no port on bridge %s" % BRIDGE
        r = subprocess.run(["ping", "-c", "1", "-W", "10", self.ip], capture_output=True,
                           text=True, check=False)
        assert r.returncode == 0, "ping %s: %s" % (self.ip, r.stdout.strip()[-200:])

    def create(self, c, command, args=(), user=None, readonly=False, attempt=0, **kw):
        os.makedirs(os.path.join(self.logdir, c), exist_ok=True)
        cfg = self.c.container_config(c, BUSYBOX, command=command, args=args,
                                      log_path="%s/%d.log" % (c, attempt), attempt=attempt, **kw)
        if user is not None:
            cfg.linux.security_context.run_as_user.value = user
            cfg.linux.security_context.run_as_group.value = user
        cfg.linux.security_context.readonly_rootfs = readonly
        cid = self.c.create_container(self.sid, cfg, self.cfg)
        assert re.fullmatch(r"[0-9a-f]{64}", cid), "container id %r" % cid
        self.cid[c if not attempt else "%s-%d" % (c, attempt)] = cid
        return cid

    SCRIPT = ("trap 'echo got-term; exit 0' TERM; echo out-line; echo err-line >&2; "
              "echo env=$CRI_VAR; echo pwd=$(pwd); echo host=$(hostname); echo args=$0,$1; "
              "echo ready; while :; do sleep 1; done")

    def t_init_container(self):
        """An init container runs to its end (exit 0, Completed) before the
        app containers are created; what it wrote in the emptyDir stays."""
        self.need_pod()
        os.makedirs(self.empty_dir, exist_ok=True)
        os.chmod(self.empty_dir, 0o777)
        cid = self.create("init", ["sh", "-c", "echo init-ran >/cache/init; echo init-done"],
                          mounts=[{"container_path": "/cache", "host_path": self.empty_dir}])
        self.c.start_container(cid, timeout=180)
        st = self.wait_state(cid, cri.EXITED)
        assert (st.state, st.exit_code, st.reason) == (cri.EXITED, 0, "Completed"), \
            "state %s exit code %d reason %r (%s)" % (cri.state_name(st.state), st.exit_code,
                                                    st.reason, st.message)
        with open(os.path.join(self.empty_dir, "init"), encoding="utf-8") as f:
            got = f.read()
        assert got == "init-ran\n", "the host reads %r" % got

    def t_create(self):
        self.need_pod()
        cid = self.create("c1", ["sh", "-c"], [self.SCRIPT, "a0", "a1"],
                          working_dir="/tmp", env={"CRI_VAR": "v1"},
                          mounts=[{"container_path": "/cache", "host_path": self.empty_dir}])
        st = self.c.container_status(cid)
        assert st.state == cri.CREATED, "state %s" % cri.state_name(st.state)
        assert st.created_at > 0 and st.started_at == 0, "created_at/started_at"
        assert st.log_path == os.path.join(self.logdir, "c1/0.log"), "log_path %r" % st.log_path
        assert st.metadata.name == "c1" and st.image.image, "metadata/image %s" % st

    def t_start(self):
        cid = self.need("c1")
        t0 = time.time()
        self.c.start_container(cid, timeout=180)
        self.info("StartContainer: %.1fs" % (time.time() - t0))
        st = self.c.container_status(cid)
        assert st.state == cri.RUNNING, "state %s (%s %s)" % (cri.state_name(st.state),
                                                              st.reason, st.message)
        assert st.started_at >= st.created_at > 0, "started_at %d" % st.started_at
        lst = {x.id: x.state for x in self.c.list_containers(self.sid)}
        want = {cid: cri.RUNNING, self.need("init"): cri.EXITED}
        assert lst == want, "ListContainers: %s, wanted %s" % (lst, want)

    def t_log(self):
        self.need("c1")
        lines = self.wait_log("c1", "ready")
        for want in [("stdout", "F", "out-line"), ("stderr", "F", "err-line"),
                     ("stdout", "F", "env=v1"), ("stdout", "F", "pwd=/tmp"),
                     ("stdout", "F", "host=" + self.hostname), ("stdout", "F", "args=a0,a1")]:
            assert want in lines, "log lacks %s; has %s" % (want, lines)

    def t_exec(self):
        cid = self.need("c1")
        t0 = time.time()
        out, err, rc = self.exec_out(cid, ["sh", "-c", "echo so; echo se >&2; exit 3"])
        self.info("ExecSync: %.1fs" % (time.time() - t0))
        assert (out, err, rc) == ("so\n", "se\n", 3), "stdout %r stderr %r status %d" % (out, err, rc)

    def t_exec_env(self):
        """An exec gets the container's process: env, cwd, hostname."""
        cid = self.need("c1")
        out, err, rc = self.exec_out(cid, ["sh", "-c", "echo $CRI_VAR $(pwd) $(hostname)"])
        want = "v1 /tmp %s\n" % self.hostname
        assert (out, rc) == (want, 0), "got %r (stderr %r, status %d), wanted %r" % (out, err, rc, want)

    def t_exec_view(self):
        """An exec sees the container: its pid 1, the pod's resolv.conf and
        hostname file."""
        cid = self.need("c1")
        out, err, rc = self.exec_out(cid, ["sh", "-c", "tr '\\0' ' ' </proc/1/cmdline; echo; "
                                           "cat /etc/hosts /etc/resolv.conf /etc/hostname"])
        assert rc == 0, "status %d, stderr %r" % (rc, err)
        assert out.startswith("sh -c trap"), "pid 1 is not the container's: %r" % out
        assert "nameserver " + DNS_SERVER in out, "resolv.conf not the pod's: %r" % out
        # containerd 1.6 writes the pod's hosts file (a copy of the node's;
        # the kubelet would add its own): the container sees that file
        with open(os.path.join(CRI_ROOT, "sandboxes", self.sid, "hosts"), encoding="utf-8") as f:
            hosts = f.read()
        assert hosts and hosts in out, "/etc/hosts is not the pod's hosts file %r: %r" % (
            hosts[:200], out[:400])
        assert out.rstrip("\n").endswith(self.hostname), "/etc/hostname not the pod's: %r" % out

    PEER = ("mkdir -p /tmp/www && echo hello-from-c5 >/tmp/www/index.html && "
            "echo serving && exec httpd -f -p %d -h /tmp/www" % PEER_PORT)

    def t_peer(self):
        """c5, a second long-running container in the pod: a web server."""
        self.need_pod()
        cid = self.create("c5", ["sh", "-c", self.PEER],
                          mounts=[{"container_path": "/cache", "host_path": self.empty_dir}])
        self.c.start_container(cid, timeout=180)
        lines = self.wait_log("c5", "serving")
        assert ("stdout", "F", "serving") in lines, "c5 did not start: %s" % lines
        lst = {x.id: x.state for x in self.c.list_containers(self.sid)}
        assert lst.get(cid) == cri.RUNNING and lst.get(self.need("c1")) == cri.RUNNING, \
            "ListContainers: %s" % lst

    def t_localhost(self):
        """c1 reaches c5's server at 127.0.0.1: one network per pod."""
        self.need("c5")
        cid = self.need("c1")
        out, err, rc = self.exec_out(cid, ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do "
                                           "wget -qO- http://127.0.0.1:%d/ && exit 0; sleep 1; "
                                           "done; exit 1" % PEER_PORT])
        assert (out, rc) == ("hello-from-c5\n", 0), "got %r (stderr %r, status %d)" % (out, err, rc)

    def http_get(self, url):
        """The body at @url, or the last error's text, trying for 20s."""
        got, end = None, time.time() + 20
        while time.time() < end:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    got = r.read().decode(errors="replace")
                break
            except OSError as e:
                got = str(e)
                time.sleep(1)
        return got

    def t_pod_port(self):
        """The host reaches c5's port at the pod IP."""
        self.need("c5")
        if not self.ip:
            raise NotRun("no pod IP")
        url = "http://%s:%d/" % (self.ip, PEER_PORT)
        got = self.http_get(url)
        assert got == "hello-from-c5\n", "%s: %r" % (url, got)

    def t_host_port(self):
        """The pod's hostPort (CNI portmap's DNAT on the host) reaches c5."""
        self.need("c5")
        url = "http://%s:%d/" % (GATEWAY, HOST_PORT)
        got = self.http_get(url)
        assert got == "hello-from-c5\n", "%s: %r" % (url, got)

    # busybox readlink takes one file
    def t_port_forward(self):
        """CRI PortForward (`kubectl port-forward`): c5's port through the
        streaming server's WebSocket forward, as the kubelet relays it."""
        self.need("c5")
        url = self.c.port_forward(self.sid, PEER_PORT)
        data, err = wsforward.forward(url, PEER_PORT, b"GET / HTTP/1.0\r\n\r\n")
        self.info("PortForward %s: %d bytes back, error channel %r" % (url, len(data), err[:200]))
        assert not err, "error channel: %r" % err
        assert data.startswith(b"HTTP/1.") and data.endswith(b"hello-from-c5\n"), \
            "answer %r" % data[-300:]

    NS_VIEW = "for n in ipc uts pid; do readlink /proc/self/ns/$n; done; hostname"

    def t_pod_namespaces(self):
        """c1 and c5 share the pod's IPC and UTS namespaces (the hostname is
        the pod's) and each has its own PID namespace."""
        a, err, rc = self.exec_out(self.need("c1"), ["sh", "-c", self.NS_VIEW])
        assert rc == 0, "c1: status %d, stderr %r" % (rc, err)
        b, err, rc = self.exec_out(self.need("c5"), ["sh", "-c", self.NS_VIEW])
        assert rc == 0, "c5: status %d, stderr %r" % (rc, err)
        a, b = a.split(), b.split()
        self.info("c1 sees %s, c5 sees %s" % (a, b))
        assert len(a) == 4 and len(b) == 4, "c1 %s, c5 %s" % (a, b)
        assert a[0] == b[0] and a[0].startswith("ipc:"), "ipc: c1 %s, c5 %s" % (a[0], b[0])
        assert a[1] == b[1] and a[1].startswith("uts:"), "uts: c1 %s, c5 %s" % (a[1], b[1])
        assert a[2] != b[2], "pid: both in %s (the pod does not share it)" % a[2]
        assert a[3] == b[3] == self.hostname, "hostname: c1 %s, c5 %s" % (a[3], b[3])

    def t_empty_dir(self):
        """One emptyDir in two running containers: c5 reads what c1 wrote,
        and so does the host."""
        _, err, rc = self.exec_out(self.need("c1"), ["sh", "-c", "echo from-c1 >/cache/f"])
        assert rc == 0, "c1 writes /cache/f: status %d, stderr %r" % (rc, err)
        out, err, rc = self.exec_out(self.need("c5"), ["cat", "/cache/f", "/cache/init"])
        assert (out, rc) == ("from-c1\ninit-ran\n", 0), "c5 reads %r (stderr %r, status %d)" % (
            out, err, rc)
        with open(os.path.join(self.empty_dir, "f"), encoding="utf-8") as f:
            got = f.read()
        assert got == "from-c1\n", "the host reads %r" % got

    def t_shm(self):
        """/dev/shm is one for the pod: c5 reads what c1 wrote."""
        _, err, rc = self.exec_out(self.need("c1"),
                                   ["sh", "-c", "echo shm-data >/dev/shm/pod-shm"])
        assert rc == 0, "c1 writes /dev/shm: status %d, stderr %r" % (rc, err)
        out, err, rc = self.exec_out(self.need("c5"), ["cat", "/dev/shm/pod-shm"])
        assert (out, rc) == ("shm-data\n", 0), "c5 reads %r (stderr %r, status %d)" % (out, err, rc)

    def t_sysctls(self):
        """The pod's sysctls, as a container of the pod sees them."""
        out, err, rc = self.exec_out(self.need("c1"), [
            "cat", "/proc/sys/kernel/shm_rmid_forced", "/proc/sys/net/ipv4/ip_local_port_range"])
        got = [" ".join(x.split()) for x in out.splitlines()]
        want = [SYSCTLS["kernel.shm_rmid_forced"], SYSCTLS["net.ipv4.ip_local_port_range"]]
        assert (got, rc) == (want, 0), "got %s (stderr %r, status %d), wanted %s" % (
            got, err, rc, want)

    def t_exec_timeout(self):
        """ExecSync with a 2s timeout on a 60s sleep: an error naming the
        timeout, well before the sleep ends, and the sleep is gone."""
        cid = self.need("c1")
        t0 = time.time()
        try:
            out, err, rc = self.exec_out(cid, ["sleep", "60"], timeout=2)
            raise AssertionError("no error: stdout %r stderr %r status %d after %.1fs" % (
                out, err, rc, time.time() - t0))
        except cri.grpc.RpcError as e:
            msg = cri.rpc_error(e)
        secs = time.time() - t0
        self.info("ExecSync timeout: %.1fs: %s" % (secs, msg))
        assert "timeout" in msg, "error %r" % msg
        assert secs < 30, "answered after %.1fs" % secs
        end = time.time() + 15
        while True:
            out, _, _ = self.exec_out(cid, ["ps", "-o", "args"])
            if "sleep 60" not in out or time.time() > end:
                break
            time.sleep(1)
        assert "sleep 60" not in out, "the timed-out process still runs: %r" % out

    def t_vm_size(self):
        """husk: the VM has the pod's 512 MiB plus the overhead, from the
        sandbox annotation (the default VM has 256 MiB)."""
        out, err, rc = self.exec_out(self.need("c1"), ["grep", "MemTotal", "/proc/meminfo"])
        assert rc == 0, "status %d, stderr %r" % (rc, err)
        m = re.search(r"MemTotal:\s+(\d+) kB", out)
        assert m, "output %r" % out
        kib = int(m.group(1))
        self.info("VM: MemTotal %d KiB" % kib)
        assert 480 * 1024 < kib < 700 * 1024, "MemTotal %d KiB, wanted 512 MiB + overhead" % kib

    def t_vm_cpus(self):
        """husk: a pod whose limits sum to 1.5 CPUs gets ceil(quota/period)
        = 2 vCPUs (the default VM has 1); a short side pod."""
        logdir = "/var/log/pods/default_%s-cpus_x" % self.name
        os.makedirs(os.path.join(logdir, "n1"), exist_ok=True)
        with self.side_pod("cpus", log_directory=logdir,
                           resources={"cpu_quota": 150000, "cpu_period": 100000}) as (sid, cfg):
            c = self.c.container_config("n1", BUSYBOX, command=["nproc"], log_path="n1/0.log")
            cid = self.c.create_container(sid, c, cfg)
            self.c.start_container(cid, timeout=180)
            st = self.wait_state(cid, cri.EXITED)
            with open(os.path.join(logdir, "n1", "0.log"), encoding="utf-8") as f:
                got = f.read().split()
            self.info("nproc in the pod: %s (exit code %d)" % (got[-1:], st.exit_code))
            assert got and got[-1] == "2", "nproc printed %s" % got

    def t_too_big(self):
        """husk: a container asking for more memory than the pod's VM has
        gets a clear error from StartContainer (CreateContainer only
        records it; the runtime sees it at the start)."""
        self.need_pod()
        cid = self.create("big", ["sh", "-c", "exit 0"], memory_limit=1024 * MiB)
        try:
            self.c.start_container(cid, timeout=180)
        except cri.grpc.RpcError as e:
            msg = cri.rpc_error(e)
            self.info("StartContainer: %s" % msg)
            assert "asks for 1024 MiB" in msg and "576 MiB" in msg, "error %r" % msg
            return
        raise AssertionError("a 1 GiB container started in a 512 MiB pod")

    def t_pod_cgroup(self):
        """The host process that holds the pod (runc: pause; husk: the shim,
        which holds the guest RAM) is in the sandbox's cgroup."""
        self.need_pod()
        spec = json.loads(self.c.pod_status(self.sid, verbose=True).info.get("info", "{}"))
        path = spec.get("runtimeSpec", {}).get("linux", {}).get("cgroupsPath", "")
        assert path.endswith(self.sid), "cgroupsPath %r" % path
        inside = []
        for p in os.listdir("/proc"):
            try:
                with open("/proc/%s/cgroup" % p, encoding="utf-8") as f:
                    if "0::%s\n" % path not in f.read():
                        continue
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    inside.append(os.path.basename(f.read().split(b"\0")[0].decode()))
            except (OSError, ValueError):
                continue
        self.info("in %s: %s" % (path, inside))
        self.pod_cgroup = path
        want = {"runc": "/pause", "husk": SHIMS["husk"]}[self.h].lstrip("/")
        assert any(c.startswith(want) for c in inside), "no %s in %s: %s" % (want, path, inside)

    def t_stats(self):
        cid = self.need("c1")
        s = self.c.container_stats(cid)
        assert s.attributes.id == cid, "attributes.id %r" % s.attributes.id
        assert s.cpu.usage_core_nano_seconds.value > 0, "cpu %s" % s.cpu
        m = s.memory
        assert m.working_set_bytes.value > 0, "memory %s" % m
        # the kubelet's working set: usage minus inactive file pages
        assert m.working_set_bytes.value <= m.usage_bytes.value, "memory %s" % m
        assert m.rss_bytes.value > 0, "no RSS: memory %s" % m
        self.info("stats: cpu %dns, working set %d, usage %d" % (
            s.cpu.usage_core_nano_seconds.value, s.memory.working_set_bytes.value,
            s.memory.usage_bytes.value))
        ls = self.c.list_container_stats(self.sid)
        assert cid in [x.attributes.id for x in ls], "ListContainerStats lacks c1"

    def t_update(self):
        cid = self.need("c1")
        self.c.update_resources(cid, memory_limit_in_bytes=64 * MiB)
        # cgroup v2 (the rig), else v1
        out, err, rc = self.exec_out(cid, ["sh", "-c", "cat /sys/fs/cgroup/memory.max 2>/dev/null "
                                           "|| cat /sys/fs/cgroup/memory/memory.limit_in_bytes"])
        assert (out.strip(), rc) == (str(64 * MiB), 0), \
            "memory.max %r (stderr %r, status %d)" % (out, err, rc)

    @staticmethod
    def restart_containerd():
        """SIGTERM to the containerd run-cri started, then the same
        containerd again (its log appended); its pid in HUSK_CRI_PIDFILE."""
        pidfile = os.environ["HUSK_CRI_PIDFILE"]
        with open(pidfile, encoding="utf-8") as f:
            pid = int(f.read())
        os.kill(pid, 15)
        end = time.time() + 30
        while os.path.exists("/proc/%d" % pid) and time.time() < end:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            try:
                with open("/proc/%d/stat" % pid, encoding="utf-8", errors="replace") as f:
                    if f.read().split(") ")[-1].startswith("Z"):
                        break   # run-cri reaps it when checks.py ends
            except OSError:
                break
            time.sleep(0.2)
        log = open(os.environ.get("HUSK_CRI_LOG", "/tmp/cri-containerd.log"), "a",
                   encoding="utf-8")  # pylint: disable=consider-using-with
        p = subprocess.Popen(["containerd", "--config", os.environ["HUSK_CRI_CONFIG"],
                              "--log-level", "debug"], stdout=log, stderr=subprocess.STDOUT)
        with open(pidfile, "w", encoding="utf-8") as f:
            f.write("%d\n" % p.pid)

    def t_containerd_restart(self):
        """containerd restarted under the running pod: the pod and its
        containers keep running, and CRI calls work (the later checks run
        against the new containerd)."""
        c1, c5 = self.need("c1"), self.need("c5")
        t0 = time.time()
        self.restart_containerd()
        self.c.wait_ready()
        self.info("containerd restarted, CRI ready after %.1fs" % (time.time() - t0))
        st = self.c.pod_status(self.sid).status
        assert st.state == cri.SANDBOX_READY, "pod state %s" % st.state
        for c, cid in (("c1", c1), ("c5", c5)):
            s = self.c.container_status(cid)
            assert s.state == cri.RUNNING, "%s: %s" % (c, cri.state_name(s.state))
        out, err, rc = self.exec_out(c1, ["echo", "after-restart"])
        assert (out, rc) == ("after-restart\n", 0), "ExecSync: %r %r %d" % (out, err, rc)

    def t_stop(self):
        cid = self.need("c1")
        t0 = time.time()
        self.c.stop_container(cid, 30, timeout=60)
        secs = time.time() - t0
        self.info("StopContainer: %.1fs" % secs)
        st = self.c.container_status(cid)
        assert st.state == cri.EXITED, "state %s" % cri.state_name(st.state)
        assert (st.exit_code, st.reason) == (0, "Completed"), \
            "exit code %d reason %r (%s)" % (st.exit_code, st.reason, st.message)
        assert st.finished_at >= st.started_at, "finished_at"
        assert secs < 25, "the SIGTERM did not stop it: %.1fs" % secs
        lines = self.wait_log("c1", "got-term", 10)
        assert ("stdout", "F", "got-term") in lines, "no got-term in the log"

    def t_exit_code(self):
        self.need_pod()
        cid = self.create("c2", ["sh", "-c", "echo bye; exit 5"])
        self.c.start_container(cid, timeout=180)
        st = self.wait_state(cid, cri.EXITED)
        assert st.state == cri.EXITED, "state %s" % cri.state_name(st.state)
        assert (st.exit_code, st.reason) == (5, "Error"), \
            "exit code %d reason %r" % (st.exit_code, st.reason)
        lines = self.wait_log("c2", "bye", 10)
        assert ("stdout", "F", "bye") in lines, "log %s" % lines

    def t_restart(self):
        """c2 exited; the kubelet restarts it: the same name, attempt 1,
        a new log file, in the running pod."""
        self.need("c2")
        cid = self.create("c2", ["sh", "-c", "echo again"], attempt=1)
        self.c.start_container(cid, timeout=180)
        st = self.wait_state(cid, cri.EXITED)
        assert (st.state, st.exit_code) == (cri.EXITED, 0), "state %s exit code %d (%s)" % (
            cri.state_name(st.state), st.exit_code, st.message)
        assert st.metadata.attempt == 1, "attempt %d" % st.metadata.attempt
        lines = self.wait_log("c2", "again", 10, attempt=1)
        assert ("stdout", "F", "again") in lines, "c2/1.log: %s" % lines

    C3 = ("echo uid=$(id -u) gid=$(id -g); "
          "if touch /rootfs-write 2>/dev/null; then echo rootfs=rw; else echo rootfs=ro; fi; "
          "echo mem=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || "
          "cat /sys/fs/cgroup/memory/memory.limit_in_bytes); "
          # where the limit is, if /sys/fs/cgroup is not the container's own cgroup
          "cg=$(sed -n 's/^0:://p' /proc/self/cgroup); "
          "echo cgroup=$cg own-memory.max=$(cat /sys/fs/cgroup$cg/memory.max 2>&1); "
          "echo vol=$(cat /vol/in); echo from-container >/vol/out && echo vol-write=ok; "
          "echo cpu=$(cat /sys/fs/cgroup/cpu.max 2>/dev/null || "
          "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us); "
          "echo config=$(cat /config/key); "
          "if echo x >/config/new 2>/dev/null; then echo config=rw; else echo config=ro; fi; "
          "echo term-msg >/dev/termination-log; echo c3-done")

    def t_settings(self):
        """c3: user, read-only root, memory limit, a hostPath volume and a
        termination-message file, as the kubelet sends them; it prints what
        it sees and exits 0."""
        self.need_pod()
        self.vol = "/var/lib/husk-cri/%s-vol" % self.h
        self.term = "/var/lib/husk-cri/%s-termination-log" % self.h
        os.makedirs(self.vol, exist_ok=True)
        os.chmod(self.vol, 0o777)
        with open(os.path.join(self.vol, "in"), "w", encoding="utf-8") as f:
            f.write("from-host\n")
        with open(self.term, "w", encoding="utf-8"):
            pass
        os.chmod(self.term, 0o666)
        self.config = "/var/lib/husk-cri/%s-config" % self.h   # a configMap's folder
        os.makedirs(self.config, exist_ok=True)
        with open(os.path.join(self.config, "key"), "w", encoding="utf-8") as f:
            f.write("value1\n")
        cid = self.create("c3", ["sh", "-c", self.C3], user=65534, readonly=True,
                          memory_limit=96 * MiB, cpu_quota=50000, cpu_period=100000,
                          mounts=[{"container_path": "/vol", "host_path": self.vol},
                                  {"container_path": "/dev/termination-log",
                                   "host_path": self.term},
                                  {"container_path": "/config", "host_path": self.config,
                                   "readonly": True}])
        self.c.start_container(cid, timeout=180)
        st = self.wait_state(cid, cri.EXITED)
        self.c3_log = [t for _, _, t in self.wait_log("c3", "c3-done", 10)]
        self.info("c3 printed: %s" % self.c3_log)
        assert st.state == cri.EXITED and st.exit_code == 0, "state %s exit code %d (%s %s)" % (
            cri.state_name(st.state), st.exit_code, st.reason, st.message)

    def c3_says(self, want):
        if getattr(self, "c3_log", None) is None:
            raise NotRun("c3 did not run")
        assert want in self.c3_log, "c3 printed %s, not %r" % (self.c3_log, want)

    def t_user(self):
        self.c3_says("uid=65534 gid=65534")

    def t_readonly_rootfs(self):
        self.c3_says("rootfs=ro")

    def t_memory_limit(self):
        self.c3_says("mem=%d" % (96 * MiB))

    def t_cpu_limit(self):
        """Half a CPU: quota 50000 in each 100000us period, in the
        container's own cgroup."""
        self.c3_says("cpu=50000 100000")

    def t_volume(self):
        self.c3_says("vol=from-host")
        self.c3_says("vol-write=ok")
        with open(os.path.join(self.vol, "out"), encoding="utf-8") as f:
            got = f.read()
        assert got == "from-container\n", "the host sees %r in the volume" % got

    def t_config_volume(self):
        """A configMap-style volume: read-only, its file readable."""
        self.c3_says("config=value1")
        self.c3_says("config=ro")
        assert not os.path.exists(os.path.join(self.config, "new")), "a file appeared on the host"

    def t_termination_log(self):
        if getattr(self, "c3_log", None) is None:
            raise NotRun("c3 did not run")
        with open(self.term, encoding="utf-8") as f:
            got = f.read()
        assert got == "term-msg\n", "the host file holds %r" % got

    def t_stop_grace(self):
        """c4 ignores SIGTERM: StopContainer kills it after the grace period."""
        self.need_pod()
        cid = self.create("c4", ["sh", "-c", "trap '' TERM; echo ignoring; "
                                 "while :; do sleep 1; done"])
        self.c.start_container(cid, timeout=180)
        lines = self.wait_log("c4", "ignoring")
        assert ("stdout", "F", "ignoring") in lines, "c4 did not start: %s" % lines
        t0 = time.time()
        self.c.stop_container(cid, 3, timeout=60)
        secs = time.time() - t0
        self.info("StopContainer with a 3s grace period: %.1fs" % secs)
        st = self.c.container_status(cid)
        assert st.state == cri.EXITED, "state %s" % cri.state_name(st.state)
        assert (st.exit_code, st.reason) == (137, "Error"), \
            "exit code %d reason %r" % (st.exit_code, st.reason)
        assert 3 <= secs < 30, "stopped after %.1fs, wanted the 3s grace period" % secs

    def t_remove_containers(self):
        if not self.cid:
            raise NotRun("no containers")
        for c, cid in list(self.cid.items()):
            if c == "c5":
                self.c.stop_container(cid, 10, timeout=60)
            self.c.remove_container(cid)
            try:
                self.c.container_status(cid)
                raise AssertionError("%s: ContainerStatus after remove answers" % c)
            except cri.grpc.RpcError as e:
                assert cri.not_found(e), "%s: %s" % (c, cri.rpc_error(e))
            for d in (os.path.join(CRI_ROOT, "containers", cid),
                      os.path.join(CRI_STATE, "containers", cid), os.path.join(TASKS, cid)):
                assert not os.path.exists(d), "%s: left %s" % (c, d)
            del self.cid[c]
        left = [(x.metadata.name, x.metadata.attempt, cri.state_name(x.state))
                for x in self.c.list_containers(self.sid)]
        assert not left, "ListContainers still lists %s" % left

    def shim_procs(self, sid=None):
        """Processes whose command line holds the pod id (its shim)."""
        sid = sid or self.sid
        out = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if sid in cmd:
                out.append("%s: %s" % (p, cmd.strip()))
        return out

    def t_stop_pod(self):
        self.need_pod()
        t0 = time.time()
        self.c.stop_pod(self.sid, timeout=120)
        self.info("StopPodSandbox: %.1fs" % (time.time() - t0))
        st = self.c.pod_status(self.sid).status
        assert st.state == cri.SANDBOX_NOTREADY, "state %s" % st.state
        if self.netns:
            assert not os.path.exists(self.netns), "netns %s left" % self.netns
        if self.ip:
            lease = "/var/lib/cni/networks/%s/%s" % (NETWORK, self.ip)
            assert not os.path.exists(lease), "CNI address %s not released" % self.ip
        end = time.time() + 15
        while self.shim_procs() and time.time() < end:
            time.sleep(0.5)
        assert not self.shim_procs(), "processes left: %s" % self.shim_procs()
        # The pod's cgroup goes with its holder (kubelet could not remove
        # the pod's own cgroup otherwise); cgroup v2 in the rig.
        cg = "/sys/fs/cgroup" + self.pod_cgroup
        if self.pod_cgroup and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            end = time.time() + 10
            while os.path.exists(cg) and time.time() < end:
                time.sleep(0.5)
            assert not os.path.exists(cg), "the pod's cgroup %s is left" % cg
        ports = os.listdir("/sys/class/net/%s/brif" % BRIDGE) \
            if os.path.exists("/sys/class/net/" + BRIDGE) else []
        assert not ports, "bridge ports left: %s" % ports

    def t_remove_pod(self):
        self.need_pod()
        self.c.remove_pod(self.sid, timeout=120)
        try:
            self.c.pod_status(self.sid)
            raise AssertionError("PodSandboxStatus after remove answers")
        except cri.grpc.RpcError as e:
            assert cri.not_found(e), cri.rpc_error(e)
        assert not self.c.list_pods(self.sid), "ListPodSandbox still lists it"
        for d in (os.path.join(CRI_ROOT, "sandboxes", self.sid),
                  os.path.join(CRI_STATE, "sandboxes", self.sid), os.path.join(TASKS, self.sid)):
            assert not os.path.exists(d), "left %s" % d
        with open("/proc/mounts", encoding="utf-8") as f:
            left = [m.split()[1] for m in f if self.sid in m or "/run/husk/" in m]
        assert not left, "mounts left: %s" % left
        left = subprocess.run(["pgrep", "-af", SHIMS.get(self.h, self.h)], capture_output=True,
                              text=True, check=False).stdout.strip()
        assert not left, "shim processes left: %s" % left
        assert not os.path.exists(self.shim_socket(self.sid)), \
            "the shim's socket %s is left" % self.shim_socket(self.sid)
        self.sid = None

    def t_shim_killed(self):
        """A second pod whose shim gets SIGKILL: its container is seen to
        exit, and the pod is still stopped and removed with nothing left."""
        with self.side_pod("kill", killed_shim=True, hostname="kill") as (sid, cfg):
            c = self.c.container_config("k1", BUSYBOX, command=["sleep", "1000"])
            cid = self.c.create_container(sid, c, cfg)
            self.c.start_container(cid, timeout=180)
            pids = [int(x.split(":")[0]) for x in self.shim_procs(sid)
                    if SHIMS[self.h] in x]
            assert pids, "no shim process for pod %s" % sid[:12]
            for pid in pids:
                os.kill(pid, 9)
            st = self.wait_state(cid, cri.EXITED, 60)
            self.info("after SIGKILL of the shim (%s): k1 %s, exit code %d, reason %r" % (
                pids, cri.state_name(st.state), st.exit_code, st.reason))
            assert st.state == cri.EXITED, "k1 is %s" % cri.state_name(st.state)
            self.c.remove_container(cid)

    @contextlib.contextmanager
    def side_pod(self, suffix, killed_shim=False, **config):
        """A short-lived pod beside the main one, as (sid, its config):
        stopped and removed on the way out, then checked to have left
        nothing (check_pod_gone) unless the body failed."""
        cfg = self.c.pod_config("%s-%s" % (self.name, suffix), str(uuid.uuid4()), **config)
        sid = self.c.run_pod(cfg, self.h, timeout=180)
        try:
            yield sid, cfg
        finally:
            self.c.stop_pod(sid, timeout=120)
            self.c.remove_pod(sid, timeout=120)
            if killed_shim:
                self.drop_runc_socket(sid)
        self.check_pod_gone(sid)

    def check_pod_gone(self, sid):
        """After a side pod's removal: no mount, no process and no shim
        socket of it."""
        with open("/proc/mounts", encoding="utf-8") as f:
            left = [m.split()[1] for m in f if sid in m]
        assert not left, "mounts left: %s" % left
        assert not self.shim_procs(sid), "processes left: %s" % self.shim_procs(sid)
        assert not os.path.exists(self.shim_socket(sid)), \
            "the shim's socket %s is left" % self.shim_socket(sid)

    @staticmethod
    def shim_socket(sid):
        """The socket path of pod @sid's shim, as containerd 1.6 names it."""
        key = "%s/k8s.io/%s" % (SOCK, sid)
        return "/run/containerd/s/" + hashlib.sha256(key.encode()).hexdigest()

    def drop_runc_socket(self, sid):
        """containerd 1.6's runc shim, killed, leaves its socket behind:
        noted and removed, so that the tests after this one start clean.
        (husk's `delete` removes it: asserted in t_shim_killed.)"""
        path = self.shim_socket(sid)
        if self.h == "runc" and os.path.exists(path):
            self.info("runc's killed shim left its socket %s (removed)" % path)
            os.unlink(path)

    def t_share_pid(self):
        """A pod with shareProcessNamespace: its two containers see each
        other's processes and the pause process."""
        with self.side_pod("pid", share_pid=True) as (sid, cfg):
            cids = []
            for name, cmd in (("p1", "sleep 1001"), ("p2", "sleep 1002")):
                c = self.c.container_config(name, BUSYBOX, command=cmd.split(), share_pid=True)
                cids.append(self.c.create_container(sid, c, cfg))
                self.c.start_container(cids[-1], timeout=180)
            out, err, rc = self.exec_out(cids[1], ["ps", "-o", "args"])
            self.info("p2 sees: %s" % " | ".join(out.split("\n")))
            assert rc == 0, "ps: status %d, stderr %r" % (rc, err)
            for want in ("sleep 1001", "sleep 1002", "/pause"):
                assert want in out, "p2 does not see %r: %r" % (want, out)

    def t_guest_panic(self):
        """husk: a pod whose guest kernel panics (vm.panic_on_oom=2, set by
        the pod's sysctls, and a container that outgrows its 32 MiB): the
        container is seen to exit, the shim's log says why, and the pod is
        removed with nothing left."""
        with self.side_pod("panic", sysctls={"vm.panic_on_oom": "2"}) as (sid, cfg):
            c = self.c.container_config(
                "x1", BUSYBOX, memory_limit=32 * MiB,
                command=["sh", "-c", "dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 1000"])
            cid = self.c.create_container(sid, c, cfg)
            self.c.start_container(cid, timeout=180)
            st = self.wait_state(cid, cri.EXITED, 90)
            self.info("after the guest's panic: x1 %s, exit code %d, reason %r" % (
                cri.state_name(st.state), st.exit_code, st.reason))
            assert st.state == cri.EXITED, "x1 is %s" % cri.state_name(st.state)
            with open(os.environ.get("HUSK_CRI_LOG", "/tmp/cri-containerd.log"),
                      encoding="utf-8", errors="replace") as f:
                said = [x for x in f if "guest kernel panic" in x and sid in x]
            assert said, "no 'guest kernel panic' line of pod %s in containerd's log" % sid[:12]
            self.info("shim: %s" % said[0].strip()[-200:])
            assert "panic_on_oom" in said[0], "the reason: %r" % said[0][-200:]
            self.c.remove_container(cid)

    def warm_spares(self):
        """The spares waiting in husk's warm pool: their sockets."""
        try:
            return sorted(f for f in os.listdir(WARM_POOL) if f.endswith(".sock"))
        except FileNotFoundError:
            return []

    def wait_warm_spare(self):
        deadline = time.time() + 180
        while not self.warm_spares() and time.time() < deadline:
            time.sleep(1)
        assert self.warm_spares(), "no spare ready in %s within 180 s (%s); %s" % (
            WARM_POOL, " ".join(sorted(os.listdir(WARM_POOL))) or "empty", self.failed_spares())

    @staticmethod
    def failed_spares():
        """The last lines of the logs husk keeps of spares that failed."""
        try:
            logs = sorted(f for f in os.listdir(WARM_FAILED) if f.endswith(".log"))
        except FileNotFoundError:
            return "no spare failed (%s does not exist)" % WARM_FAILED
        tails = []
        for f in logs:
            with open(os.path.join(WARM_FAILED, f), encoding="utf-8", errors="replace") as fh:
                tails.append("%s: %s" % (f, " | ".join(fh.read().splitlines()[-4:])))
        return "failed spares: " + ("; ".join(tails) or "none")

    def warm_takers(self):
        """Pod ids the shim logged as taking a warm VM."""
        with open(os.environ.get("HUSK_CRI_LOG", "/tmp/cri-containerd.log"),
                  encoding="utf-8", errors="replace") as f:
            return set(re.findall(r'msg="container ([0-9a-f]{64}) takes the warm VM', f.read()))

    def warm_pod_net(self, sid, cfg):
        """In pod @sid: a container whose eth0 holds the pod IP and which
        reaches the bridge's address on the host."""
        ip = self.c.pod_status(sid).status.network.ip
        assert ip and ipaddress.ip_address(ip) in SUBNET, "pod IP %r" % ip
        c = self.c.container_config("w1", BUSYBOX, command=["sleep", "1000"])
        cid = self.c.create_container(sid, c, cfg)
        self.c.start_container(cid, timeout=180)
        out, err, rc = self.exec_out(cid, ["sh", "-c", "ip -4 -o addr show dev eth0; "
                                           "ping -c 1 -W 10 " + GATEWAY])
        assert rc == 0, "in the pod: status %d, %r %r" % (rc, out[-300:], err[-200:])
        assert " %s/" % ip in out, "eth0 lacks the pod IP %s: %r" % (ip, out[:300])
        assert "1 packets received" in out, "no reply from %s: %r" % (GATEWAY, out[-300:])
        r = subprocess.run(["ping", "-c", "1", "-W", "10", ip], capture_output=True,
                           text=True, check=False)
        assert r.returncode == 0, "the host cannot ping the pod: %s" % r.stdout[-200:]

    def t_warm_pod(self):
        """husk's warm pool through CRI: handler husk-warm, whose ConfigPath
        asks for one spare VM. The first pod boots its own VM and starts a
        spare; the second, in the network namespace CNI made for it, takes
        the spare, and its container has the pod IP and reaches the host.
        Both pods go with nothing left, then the spare on SIGTERM."""
        pods, took = [], None
        try:
            for n in (1, 2):
                if n == 2:
                    self.wait_warm_spare()
                cfg = self.c.pod_config("%s-warm%d" % (self.name, n), str(uuid.uuid4()))
                t0 = time.time()
                sid = self.c.run_pod(cfg, WARM_HANDLER, timeout=180)
                pods.append((sid, cfg))
                took = self.warm_takers()
                self.info("warm pool: pod %d RunPodSandbox %.1fs, %s" % (
                    n, time.time() - t0, "took the spare" if sid in took else "booted its VM"))
            assert pods[0][0] not in took, "the first pod took a spare: none was ready"
            assert pods[1][0] in took, "the second pod did not take the spare"
            self.warm_pod_net(*pods[1])
        finally:
            for sid, _ in pods:
                self.c.stop_pod(sid, timeout=120)
                self.c.remove_pod(sid, timeout=120)
        for sid, _ in pods:
            self.check_pod_gone(sid)
        self.wait_warm_spare()
        BENCH[WARM_HANDLER] = self.bench_pod(WARM_HANDLER)
        assert BENCH[WARM_HANDLER]["sid"] in self.warm_takers(), "the timed pod took no spare"
        self.info("bench: with a spare ready, pod to first output %.2fs, teardown %.2fs" % (
            BENCH[WARM_HANDLER]["first-output"], BENCH[WARM_HANDLER]["teardown"]))
        subprocess.run(["pkill", "-TERM", "-f", SHIMS["husk"] + " .*warm$"], check=False)
        deadline = time.time() + 60
        while os.listdir(WARM_POOL) and time.time() < deadline:
            time.sleep(1)
        assert not os.listdir(WARM_POOL), "left in %s: %s" % (WARM_POOL, os.listdir(WARM_POOL))

    def t_bench(self):
        """Printed, not asserted: RunPodSandbox + CreateContainer +
        StartContainer until the container's first line is in its log, and
        the pod's teardown (StopPodSandbox + RemovePodSandbox)."""
        BENCH[self.h] = self.bench_pod(self.h)
        self.info("bench: pod to first output %.2fs, teardown %.2fs" % (
            BENCH[self.h]["first-output"], BENCH[self.h]["teardown"]))

    def bench_pod(self, handler):
        """One pod of handler @handler timed as t_bench says."""
        bid = str(uuid.uuid4())
        logdir = "/var/log/pods/default_%s-bench_%s" % (self.name, bid)
        os.makedirs(os.path.join(logdir, "b1"), exist_ok=True)
        cfg = self.c.pod_config(self.name + "-bench", bid, log_directory=logdir)
        t0 = time.time()
        sid = self.c.run_pod(cfg, handler, timeout=180)
        try:
            c = self.c.container_config("b1", BUSYBOX, command=["sh", "-c", "echo first; sleep 1000"],
                                        log_path="b1/0.log")
            cid = self.c.create_container(sid, c, cfg)
            self.c.start_container(cid, timeout=180)
            path, seen = os.path.join(logdir, "b1", "0.log"), ""
            while time.time() - t0 < 120 and " F first" not in seen:
                try:
                    with open(path, encoding="utf-8", errors="replace") as f:
                        seen = f.read()
                except FileNotFoundError:
                    pass
                time.sleep(0.02)
            first = time.time() - t0
            assert " F first" in seen, "no first line in %s: %r" % (path, seen)
        finally:
            t1 = time.time()
            self.c.stop_pod(sid, timeout=120)
            self.c.remove_pod(sid, timeout=120)
        return {"first-output": first, "teardown": time.time() - t1, "sid": sid}

    def cleanup(self):
        """Best effort, so that the next handler starts clean."""
        for cid in self.cid.values():
            try:
                self.c.remove_container(cid)
            except Exception:  # pylint: disable=broad-except
                pass
        if self.sid:
            for call in (self.c.stop_pod, self.c.remove_pod):
                try:
                    call(self.sid, timeout=120)
                except Exception as e:  # pylint: disable=broad-except
                    self.info("cleanup: %s" % cri.rpc_error(e))

    def run(self):
        print("=== cri/%s" % self.h, flush=True)
        order = ["version", "images", "run-pod", "pod-status", "pod-files", "pod-network",
                 "init-container", "create", "start", "log", "exec", "exec-env", "exec-view",
                 "peer", "localhost", "pod-port", "host-port", "port-forward", "pod-namespaces",
                 "empty-dir", "shm", "sysctls", "exec-timeout", "pod-cgroup"]
        if self.h == "husk":
            order += ["vm-size", "vm-cpus", "too-big"]
        order += ["stats", "update", "containerd-restart", "stop", "exit-code", "restart",
                  "settings", "user", "readonly-rootfs", "memory-limit", "cpu-limit", "volume",
                  "config-volume", "termination-log", "stop-grace", "remove-containers",
                  "stop-pod", "remove-pod", "shim-killed", "share-pid"]
        if self.h == "husk":
            order += ["guest-panic", "warm-pod"]
        order += ["bench"]
        # HUSK_CRI_ONLY: while working on a check, run only the named ones
        # (the pod checks need "run-pod" too); make test never sets it
        only = os.environ.get("HUSK_CRI_ONLY", "").split()
        if only:
            print("  HUSK_CRI_ONLY: only %s" % " ".join(only), flush=True)
            order = [n for n in order if n in only]
        for name in order:
            self.check(name, getattr(self, "t_" + name.replace("-", "_")))
        self.cleanup()
        print("--- cri/%s: %d checks, %d failed%s" % (
            self.h, len(order), len(self.failed),
            (": " + " ".join(self.failed)) if self.failed else ""), flush=True)
        return not self.failed


def main():
    handlers = sys.argv[1:] or ["runc", "husk"]
    c = cri.Client(SOCK)
    c.wait_ready()
    ok = True
    for h in handlers:
        ok = Checks(h).run() and ok
    if "runc" in BENCH and "husk" in BENCH:
        r, k = BENCH["runc"], BENCH["husk"]
        print("bench (one rig run; times under nested emulation, compare the ratios):")
        print("| | runc | husk | husk/runc |\n|---|---|---|---|")
        for what in ("first-output", "teardown"):
            print("| %s | %.2f s | %.2f s | %.2f |" % (what, r[what], k[what], k[what] / r[what]))
        if WARM_HANDLER in BENCH:
            w = BENCH[WARM_HANDLER]
            for what in ("first-output", "teardown"):
                print("| %s, husk with a spare ready | %.2f s | %.2f s | %.2f |" % (
                    what, r[what], w[what], w[what] / r[what]))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""cri.py - a small CRI client for husk's tests, as the kubelet speaks it.

The stubs come from tests/cri/api.proto, the project's subset of CRI
runtime.v1, generated at import time with grpc_tools.protoc into a
temporary folder (never committed). Needs Debian's python3-grpcio and
python3-grpc-tools.

    c = cri.Client("/run/containerd/containerd.sock")
    sid = c.run_pod("p1", hostname="p1", handler="runc", log_directory=...)
    cid = c.create_container(sid, pod_config, "c1", "husk.test/busybox:latest",
                             command=["sh", "-c", "echo hi; sleep 1000"])
"""
import os
import shutil
import sys
import tempfile
import time

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))


def _generate():
    """Generate api_pb2 and api_pb2_grpc from api.proto, import them."""
    from grpc_tools import protoc  # pylint: disable=import-outside-toplevel

    out = tempfile.mkdtemp(prefix="husk-cri-stubs.")
    try:
        rc = protoc.main([
            "grpc_tools.protoc", "-I" + HERE, "--python_out=" + out,
            "--grpc_python_out=" + out, os.path.join(HERE, "api.proto")
        ])
        if rc != 0:
            raise RuntimeError("protoc failed on api.proto (status %d)" % rc)
        sys.path.insert(0, out)
        import api_pb2  # pylint: disable=import-outside-toplevel,import-error
        import api_pb2_grpc  # pylint: disable=import-outside-toplevel,import-error
        sys.path.remove(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return api_pb2, api_pb2_grpc


pb, pb_grpc = _generate()

# CRI's states by name
SANDBOX_READY = pb.SANDBOX_READY
SANDBOX_NOTREADY = pb.SANDBOX_NOTREADY
CREATED = pb.CONTAINER_CREATED
RUNNING = pb.CONTAINER_RUNNING
EXITED = pb.CONTAINER_EXITED


def state_name(state):
    return pb.ContainerState.Name(state)


class Client:
    """RuntimeService and ImageService on one socket; every call has a time
    limit (timeout seconds) so that a hung runtime is a failure, not a
    hang."""

    def __init__(self, socket, timeout=120):
        self.channel = grpc.insecure_channel("unix://" + socket)
        self.rt = pb_grpc.RuntimeServiceStub(self.channel)
        self.img = pb_grpc.ImageServiceStub(self.channel)
        self.timeout = timeout

    def close(self):
        self.channel.close()

    def wait_ready(self, secs=60):
        """Wait until the CRI endpoint answers Version."""
        end = time.time() + secs
        while True:
            try:
                return self.version()
            except grpc.RpcError:
                if time.time() > end:
                    raise
                time.sleep(0.5)

    def _t(self, timeout):
        return self.timeout if timeout is None else timeout

    # --- RuntimeService
    def version(self):
        return self.rt.Version(pb.VersionRequest(version="v1"),
                               timeout=self.timeout)

    @staticmethod
    def pod_config(name, uid, namespace="default", hostname="",
                   log_directory="", dns=None, port_mappings=(), labels=None,
                   annotations=None, sysctls=None, resources=None, share_pid=False):
        """A PodSandboxConfig as the kubelet would send it (pod network,
        pid namespace per container)."""
        cfg = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=uid,
                                           namespace=namespace, attempt=0),
            hostname=hostname, log_directory=log_directory,
            labels=labels or {}, annotations=annotations or {})
        if dns:
            cfg.dns_config.CopyFrom(pb.DNSConfig(**dns))
        for pm in port_mappings:
            cfg.port_mappings.add(**pm)
        # shareProcessNamespace: the pod's containers share one PID namespace
        cfg.linux.security_context.namespace_options.CopyFrom(
            pb.NamespaceOption(network=pb.POD, pid=pb.POD if share_pid else pb.CONTAINER,
                               ipc=pb.POD))
        for k, v in (sysctls or {}).items():
            cfg.linux.sysctls[k] = v
        if resources:
            # the pod's summed limits: containerd 1.6 passes them to the
            # runtime as io.kubernetes.cri.sandbox-* annotations
            cfg.linux.resources.CopyFrom(pb.LinuxContainerResources(**resources))
        return cfg

    def run_pod(self, config, handler, timeout=None):
        r = self.rt.RunPodSandbox(
            pb.RunPodSandboxRequest(config=config, runtime_handler=handler),
            timeout=self._t(timeout))
        return r.pod_sandbox_id

    def stop_pod(self, sid, timeout=None):
        self.rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=sid),
                               timeout=self._t(timeout))

    def remove_pod(self, sid, timeout=None):
        self.rt.RemovePodSandbox(
            pb.RemovePodSandboxRequest(pod_sandbox_id=sid),
            timeout=self._t(timeout))

    def pod_status(self, sid, verbose=False):
        return self.rt.PodSandboxStatus(
            pb.PodSandboxStatusRequest(pod_sandbox_id=sid, verbose=verbose),
            timeout=self.timeout)

    def list_pods(self, sid=""):
        return self.rt.ListPodSandbox(
            pb.ListPodSandboxRequest(filter=pb.PodSandboxFilter(id=sid)),
            timeout=self.timeout).items

    @staticmethod
    def container_config(name, image, command=(), args=(), working_dir="",
                         env=None, log_path="", mounts=(), labels=None,
                         annotations=None, memory_limit=0, attempt=0, share_pid=False,
                         cpu_quota=0, cpu_period=0):
        cfg = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name, attempt=attempt),
            image=pb.ImageSpec(image=image), command=list(command),
            args=list(args), working_dir=working_dir, log_path=log_path,
            labels=labels or {}, annotations=annotations or {})
        for k, v in (env or {}).items():
            cfg.envs.add(key=k, value=v)
        for m in mounts:
            cfg.mounts.add(**m)
        cfg.linux.security_context.namespace_options.CopyFrom(
            pb.NamespaceOption(network=pb.POD, pid=pb.POD if share_pid else pb.CONTAINER,
                               ipc=pb.POD))
        if memory_limit:
            cfg.linux.resources.memory_limit_in_bytes = memory_limit
        if cpu_quota:
            cfg.linux.resources.cpu_quota = cpu_quota
            cfg.linux.resources.cpu_period = cpu_period
        return cfg

    def create_container(self, sid, config, pod_config, timeout=None):
        r = self.rt.CreateContainer(
            pb.CreateContainerRequest(pod_sandbox_id=sid, config=config,
                                      sandbox_config=pod_config),
            timeout=self._t(timeout))
        return r.container_id

    def start_container(self, cid, timeout=None):
        self.rt.StartContainer(pb.StartContainerRequest(container_id=cid),
                               timeout=self._t(timeout))

    def stop_container(self, cid, grace, timeout=None):
        self.rt.StopContainer(
            pb.StopContainerRequest(container_id=cid, timeout=grace),
            timeout=self._t(timeout))

    def remove_container(self, cid, timeout=None):
        self.rt.RemoveContainer(pb.RemoveContainerRequest(container_id=cid),
                                timeout=self._t(timeout))

    def container_status(self, cid, verbose=False):
        return self.rt.ContainerStatus(
            pb.ContainerStatusRequest(container_id=cid, verbose=verbose),
            timeout=self.timeout).status

    def list_containers(self, sid="", cid=""):
        return self.rt.ListContainers(
            pb.ListContainersRequest(
                filter=pb.ContainerFilter(id=cid, pod_sandbox_id=sid)),
            timeout=self.timeout).containers

    def port_forward(self, sid, port):
        """The streaming server's URL for forwarding @port of pod @sid."""
        return self.rt.PortForward(pb.PortForwardRequest(pod_sandbox_id=sid, port=[port]),
                                   timeout=self.timeout).url

    def exec_sync(self, cid, cmd, exec_timeout=0, timeout=None):
        return self.rt.ExecSync(
            pb.ExecSyncRequest(container_id=cid, cmd=list(cmd),
                               timeout=exec_timeout),
            timeout=self._t(timeout))

    def container_stats(self, cid):
        return self.rt.ContainerStats(
            pb.ContainerStatsRequest(container_id=cid),
            timeout=self.timeout).stats

    def list_container_stats(self, sid=""):
        return self.rt.ListContainerStats(
            pb.ListContainerStatsRequest(
                filter=pb.ContainerStatsFilter(pod_sandbox_id=sid)),
            timeout=self.timeout).stats

    def update_resources(self, cid, **linux):
        self.rt.UpdateContainerResources(
            pb.UpdateContainerResourcesRequest(
                container_id=cid, linux=pb.LinuxContainerResources(**linux)),
            timeout=self.timeout)

    # --- ImageService
    def list_images(self):
        return self.img.ListImages(pb.ListImagesRequest(),
                                   timeout=self.timeout).images

    def image_status(self, ref):
        return self.img.ImageStatus(
            pb.ImageStatusRequest(image=pb.ImageSpec(image=ref)),
            timeout=self.timeout).image


def not_found(err):
    """err is the gRPC NOT_FOUND status (what CRI answers for an id it
    does not know)."""
    return isinstance(err, grpc.RpcError) and err.code() == grpc.StatusCode.NOT_FOUND


def rpc_error(err):
    """A one-line description of a gRPC error (or any exception)."""
    if isinstance(err, grpc.RpcError):
        return "%s: %s" % (err.code().name, err.details())
    return "%s: %s" % (type(err).__name__, err)

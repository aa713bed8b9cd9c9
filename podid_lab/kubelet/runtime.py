"""The lab's kubelet: runs pods whose image it knows as real processes, and reports on them.

A pod scheduled to a node starts at once: its containers' processes (see `process`: isolated
interpreters that receive the pod's environment as data) get the pod's environment (downward API
included) and reach "IMDS" through `AZURE_POD_IDENTITY_AUTHORITY_HOST`, which points at the pod's
own NMI endpoint (its secret is in no pod field: see nmi.secrets). `kubectl exec` processes start
the same way, in a running container's context, with pipes or a terminal (`stdio`); `kubectl
attach` reads and feeds the container's own process. The curl and busybox images run the toolbox
(workloads.toolbox) with the container's command line. Output becomes the container's log;
phase and container statuses follow the process (Running, then CrashLoopBackOff with back-off
when it exits). Images the lab cannot run end in ErrImagePull / ImagePullBackOff with an event
naming those it can. Deleting a pod, its namespace or its cluster ends its processes (execs
included) and everything they started; so does the lab's exit (each supervisor hears of it and
takes its tree down); a restarted lab starts its running pods again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..home import write_private
from ..kube.kinds import NODES, PODS, SERVICE_ACCOUNTS
from ..kube.models import Cluster
from ..kube.objects import timestamp
from ..store import Document
from . import images
from .process import KILL_AFTER_SECONDS, PodProcess, sweep_orphans
from .stdio import ProcessIO, start_with_stdio

if TYPE_CHECKING:
    from ..lab import Lab

log = logging.getLogger("podid_lab.kubelet")

# Where labs before per-pod secrets recorded a pod's endpoint; removed from pods they made.
OLD_IMDS_ANNOTATION = "lab.podid.io/imds-endpoint"
BACKOFF_BASE_SECONDS = 10.0
BACKOFF_MAX_SECONDS = 300.0
PULL_BACKOFF_SECONDS = 1.0
_VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
# A container's PATH when its image sets none (the default of Docker and containerd).
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The kubelet rotates a projected token once 80% of its lifetime has passed (or after 24 h).
TOKEN_REFRESH_FRACTION = 0.8
TOKEN_REFRESH_MAX_SECONDS = 86400.0


# What a container of a toolbox image shows besides its own env: the image's HOME, and the
# `kubernetes` service's variables (enableServiceLinks; AKS's service IP 10.0.0.1).
SERVICE_ENV = {
    "KUBERNETES_SERVICE_PORT": "443",
    "KUBERNETES_SERVICE_PORT_HTTPS": "443",
    "KUBERNETES_PORT": "tcp://10.0.0.1:443",
    "KUBERNETES_PORT_443_TCP": "tcp://10.0.0.1:443",
    "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
    "KUBERNETES_PORT_443_TCP_PORT": "443",
    "KUBERNETES_PORT_443_TCP_ADDR": "10.0.0.1",
    "KUBERNETES_SERVICE_HOST": "10.0.0.1",
}
IMAGE_HOME = {"curlimages/curl": "/home/curl_user", "busybox": "/root"}


@dataclass
class Container:
    """One running (or exited) container process."""

    key: tuple[str, str, str, str]  # cluster key, namespace, pod, container
    uid: str
    process: ProcessIO | None = None
    started: float = 0.0
    reader: asyncio.Task[None] | None = field(default=None, repr=False)
    # Attached clients (`kubectl attach`, `run -it`): each gets the output from now on.
    listeners: list[asyncio.Queue[bytes]] = field(default_factory=list, repr=False)
    partial: bytes = b""  # output after the last newline, not yet a log line


@dataclass
class ProjectedToken:
    """A projected service-account token file the kubelet keeps fresh for a running pod."""

    path: Path
    namespace: str
    service_account: str
    audience: str
    lifetime: int
    refresh_at: float = 0.0


def _field_value(pod: Document, path: str) -> str:
    meta, spec, status = pod["metadata"], pod["spec"], pod.get("status", {})
    values = {
        "metadata.name": meta["name"],
        "metadata.namespace": meta["namespace"],
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": status.get("podIP", ""),
        "status.hostIP": status.get("hostIP", ""),
    }
    return values.get(path, "")


def container_env(pod: Document, container: Document) -> dict[str, str]:
    """The container's environment as the kubelet builds it (values, downward API, $(VAR))."""
    env: dict[str, str] = {}
    for item in container.get("env") or []:
        source = item.get("valueFrom") or {}
        if "fieldRef" in source:
            env[item["name"]] = _field_value(pod, source["fieldRef"].get("fieldPath", ""))
        else:
            env[item["name"]] = expand(str(item.get("value", "")), env)
    return env


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion (unknown references stay as written)."""
    return _VAR_REF.sub(lambda m: env.get(m.group(1), m.group(0)), text)


class ExecError(Exception):
    """A process could not start in a container (the runtime's message)."""


class PodRuntime:
    """Keeps every scheduled pod's containers running, on the lab's event loop."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self._containers: dict[tuple[str, str, str, str], Container] = {}
        self._next_start: dict[tuple[str, str, str, str], float] = {}
        # (cluster key, namespace, pod) -> its projected tokens with an audience of their own.
        self._tokens: dict[tuple[str, str, str], list[ProjectedToken]] = {}
        # (cluster key, namespace, pod) -> container path -> host folder of its projected tokens.
        self._mounts: dict[tuple[str, str, str], dict[str, Path]] = {}
        # Every pod process started and not yet reaped (a container's own and `kubectl exec`'s)
        # -> its container: they end with it, as in a real runtime. Anything else the lab finds
        # below itself is an orphan of a pod process (see `process.sweep_orphans`).
        self._spawned: dict[ProcessIO, tuple[str, str, str, str]] = {}
        self._waiters: set[asyncio.Task[None]] = set()
        # Orphans come to the lab only when a supervisor dies, so /proc (a scan costs ~10 ms on
        # a busy host) is walked only when a pod process has newly ended. (Its wait() may not
        # return yet: an orphan can hold its output pipe open.)
        self._ended: set[ProcessIO] = set()
        lab.kube.pod_removed_hooks.append(self._on_pod_removed)

    # -- the reconcile loop -------------------------------------------------------------------

    def tick(self) -> None:
        """Start what should run, stop what should not (called by the lab's ticker)."""
        if self._lab.origin is None:
            return  # not serving (e.g. a CLI reset): nothing may run
        live: set[tuple[str, str, str, str]] = set()
        for cluster in self._lab.kube.all():
            for pod in cluster.items(PODS):
                node = pod["spec"].get("nodeName")
                # A pod bound to a node that is not there has no kubelet: it stays as written.
                if node and cluster.find(NODES, "", node) is not None:
                    self._reconcile(cluster, pod)
                    meta = pod["metadata"]
                    live.update(
                        (cluster.key, meta["namespace"], meta["name"], c["name"])
                        for c in pod["spec"].get("containers", [])
                    )
        for key in [k for k in self._containers if k not in live]:
            self._stop(key)  # its pod, namespace or cluster is gone (or the lab was reset)
        pods = {key[:3] for key in live}
        for pod_key in [k for k in self._tokens if k not in pods]:
            self._forget_tokens(pod_key)
        for process, owner in list(self._spawned.items()):
            if owner[:3] not in pods:
                process.stop()  # e.g. a process started in a pod that is gone now
        ended = {p for p in self._spawned if p.process.returncode is not None}
        if ended - self._ended and self._lab.reaps_orphans:
            sweep_orphans({p.pid for p in self._spawned})
        self._ended = ended
        self._refresh_tokens()

    def _reconcile(self, cluster: Cluster, pod: Document) -> None:
        meta = pod["metadata"]
        if meta.get("deletionTimestamp"):
            for container in pod["spec"].get("containers", []):
                self._stop((cluster.key, meta["namespace"], meta["name"], container["name"]))
            return
        now = time.time()
        for container in pod["spec"].get("containers", []):
            key = (cluster.key, meta["namespace"], meta["name"], container["name"])
            current = self._containers.get(key)
            if current is not None and current.uid != meta["uid"]:
                self._stop(key)  # a new pod with the old one's name
                current = None
            if current is not None:
                continue
            if now < self._next_start.get(key, 0.0):
                continue
            image = images.find(container.get("image", ""))
            if image is None:
                self._pull_failed(cluster, pod, container)
                continue
            if self._finished(pod, container):
                continue
            self._containers[key] = Container(key, meta["uid"])
            asyncio.get_running_loop().create_task(self._start(cluster, pod, container, image))

    @staticmethod
    def _finished(pod: Document, container: Document) -> bool:
        """A terminated container of a pod that does not restart it."""
        policy = pod["spec"].get("restartPolicy", "Always")
        status = _container_status(pod, container["name"])
        if policy == "Always" or status is None:
            return False
        terminated = status.get("state", {}).get("terminated")
        return terminated is not None and (policy == "Never" or terminated["exitCode"] == 0)

    # -- starting -----------------------------------------------------------------------------

    async def _start(
        self, cluster: Cluster, pod: Document, container: Document, image: images.Image
    ) -> None:
        key = (
            cluster.key,
            pod["metadata"]["namespace"],
            pod["metadata"]["name"],
            container["name"],
        )
        try:
            pod = self._prepare_pod(cluster, pod)
            previous = _container_status(pod, container["name"])
            restarts = 0 if previous is None else previous.get("restartCount", 0)
            if previous is not None and (previous.get("state") or {}).get("running"):
                restarts += 1  # it was running when the lab stopped: the node "rebooted"
            if previous is None or restarts:
                self._event(
                    cluster,
                    pod,
                    "Pulled",
                    f'Container image "{container["image"]}" already present on machine',
                )
            self._event(cluster, pod, "Created", f"Created container {container['name']}")
            record = self._containers[key]
            if image.module is not None:
                self._mounts[key[:3]] = self._project_tokens(cluster, pod)
                record.process = await self.start_process(
                    cluster.key,
                    pod,
                    container,
                    image,
                    self._command_line(cluster.key, pod, container, image),
                    stdin=bool(container.get("stdin")),
                    tty=bool(container.get("tty")),
                )
                record.reader = asyncio.get_running_loop().create_task(
                    self._pump(key, record.process)
                )
            else:
                ports = container.get("ports") or [{}]
                for line in images.startup_lines(image, ports[0].get("containerPort", 0)):
                    cluster.append_log(key[1], key[2], key[3], line)
            record.started = time.time()
            self._event(cluster, pod, "Started", f"Started container {container['name']}")
            self._set_running(cluster, pod, container, restarts, record.started)
        except Exception:
            log.exception("could not start %s", "/".join(key))
            self._containers.pop(key, None)
            self._next_start[key] = time.time() + BACKOFF_BASE_SECONDS

    def _command_line(
        self, cluster_key: str, pod: Document, container: Document, image: images.Image
    ) -> list[str]:
        """The module's arguments for a container: its `command` and `args` with `$(VAR)`
        expanded from the container's own environment, as the kubelet does."""
        values = container_env(pod, container)
        if not image.commands:  # a lab program opens files: it needs their host paths
            meta = pod["metadata"]
            mounts = self._mounts.get((cluster_key, meta["namespace"], meta["name"]), {})
            values = {k: _host_path(v, mounts) for k, v in values.items()}
        command = [expand(str(a), values) for a in container.get("command") or []]
        args = [expand(str(a), values) for a in container.get("args") or []]
        return image.container_args(command, args)

    def _prepare_pod(self, cluster: Cluster, pod: Document) -> Document:
        """Give the pod its IPs, once (and drop an old lab's endpoint annotation)."""
        meta = pod["metadata"]
        ns, name = meta["namespace"], meta["name"]
        annotations = meta.get("annotations") or {}
        if OLD_IMDS_ANNOTATION in annotations:
            kept = {k: v for k, v in annotations.items() if k != OLD_IMDS_ANNOTATION}
            updated = dict(pod, metadata=dict(meta, annotations=kept))
            pod, _ = cluster.replace(PODS, ns, name, updated, manager="kubelet")
        status = pod.get("status", {})
        if not status.get("podIP"):
            host_ip = self._host_ip(cluster, pod)
            if pod["spec"].get("hostNetwork"):
                pod_ip = host_ip
            else:
                seq = self._lab.store.next_value(f"kube.podip/{cluster.key}")
                pod_ip = f"10.224.{seq // 250}.{10 + seq % 250}"
            pod = cluster.update_status(
                PODS,
                ns,
                name,
                {
                    "hostIP": host_ip,
                    "hostIPs": [{"ip": host_ip}],
                    "podIP": pod_ip,
                    "podIPs": [{"ip": pod_ip}],
                    "startTime": timestamp(),
                },
            )
        return pod

    @staticmethod
    def _host_ip(cluster: Cluster, pod: Document) -> str:
        node = cluster.find(NODES, "", pod["spec"]["nodeName"]) or {}
        return next(
            (
                a["address"]
                for a in node.get("status", {}).get("addresses", [])
                if a["type"] == "InternalIP"
            ),
            "",
        )

    # -- projected service-account tokens ----------------------------------------------------

    def _token_dir(self, cluster_key: str, namespace: str, pod: str) -> Path:
        return self._lab.home.root / "run" / "pods" / cluster_key / namespace / pod

    def _project_tokens(self, cluster: Cluster, pod: Document) -> dict[str, Path]:
        """Write the pod's projected volumes; mount path -> host folder.

        A process cannot see the container's paths, so the kubelet writes each volume to a
        folder of the pod's own under the lab's home: paths below a mount point in the
        container's environment are translated to it, and the toolbox reads files through it.
        Sources: service-account tokens (the API-access one with the API server's audience,
        the issuer URL), the `kube-root-ca.crt` ConfigMap (the lab's CA) and downward-API fields.
        """
        meta = pod["metadata"]
        pod_key = (cluster.key, meta["namespace"], meta["name"])
        folder = self._token_dir(*pod_key)
        tokens: list[ProjectedToken] = []
        for volume in pod["spec"].get("volumes") or []:
            target = folder / volume["name"]
            for source in (volume.get("projected") or {}).get("sources") or []:
                if sat := source.get("serviceAccountToken"):
                    tokens.append(
                        ProjectedToken(
                            path=target / sat.get("path", "token"),
                            namespace=meta["namespace"],
                            service_account=pod["spec"].get("serviceAccountName") or "default",
                            audience=sat.get("audience")
                            or self._lab.issuers.issuer_url(cluster.key),
                            lifetime=int(sat.get("expirationSeconds") or 3600),
                        )
                    )
                for item in (source.get("configMap") or {}).get("items") or []:
                    if source["configMap"].get("name") == "kube-root-ca.crt":
                        write_private(target / item["path"], self._lab.home.ca_cert.read_bytes())
                for item in (source.get("downwardAPI") or {}).get("items") or []:
                    value = _field_value(pod, (item.get("fieldRef") or {}).get("fieldPath", ""))
                    write_private(target / item["path"], value.encode())
        self._tokens[pod_key] = tokens
        for token in tokens:
            self._write_token(pod_key, token)
        projected = {
            v["name"] for v in pod["spec"].get("volumes") or [] if v.get("projected") is not None
        }
        mounts: dict[str, Path] = {}
        for container in pod["spec"].get("containers", []):
            for mount in container.get("volumeMounts") or []:
                if mount["name"] in projected:
                    mounts[mount["mountPath"].rstrip("/")] = folder / mount["name"]
        return mounts

    def _write_token(self, pod_key: tuple[str, str, str], token: ProjectedToken) -> None:
        cluster = self._lab.kube.by_key(pod_key[0])
        if cluster is None:
            return
        pod = cluster.find(PODS, pod_key[1], pod_key[2])
        sa = cluster.find(SERVICE_ACCOUNTS, token.namespace, token.service_account)
        if pod is None:
            return
        now = time.time()
        jwt = self._lab.issuers.sign(
            cluster.key,
            namespace=token.namespace,
            service_account=token.service_account,
            service_account_uid=(sa or {}).get("metadata", {}).get("uid", ""),
            audiences=[token.audience],
            lifetime=token.lifetime,
            pod={"name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]},
            node={"name": pod["spec"].get("nodeName", "")},
            now=now,
        )
        token.path.parent.mkdir(parents=True, exist_ok=True)
        write_private(token.path, jwt.encode())
        token.refresh_at = now + min(
            token.lifetime * TOKEN_REFRESH_FRACTION, TOKEN_REFRESH_MAX_SECONDS
        )

    def _refresh_tokens(self) -> None:
        now = time.time()
        for pod_key, tokens in list(self._tokens.items()):
            for token in tokens:
                if now >= token.refresh_at:
                    self._write_token(pod_key, token)

    def _forget_tokens(self, pod_key: tuple[str, str, str]) -> None:
        self._tokens.pop(pod_key, None)
        self._mounts.pop(pod_key, None)
        shutil.rmtree(self._token_dir(*pod_key), ignore_errors=True)

    def token_files(self, cluster_key: str, namespace: str, pod: str) -> list[Path]:
        """Host paths of a running pod's projected token files (for tests and checks)."""
        return [t.path for t in self._tokens.get((cluster_key, namespace, pod), [])]

    def workload_env(self, cluster_key: str, pod: Document, container: Document) -> dict[str, str]:
        """The whole environment a process of `container` sees: a container's defaults, the
        pod's own values (host paths for projected mounts), then what the lab provides."""
        meta = pod["metadata"]
        mounts = self._mounts.get((cluster_key, meta["namespace"], meta["name"]), {})
        env = {k: _host_path(v, mounts) for k, v in container_env(pod, container).items()}
        lab = self._lab
        assert lab.imds_origin is not None
        return {
            "PATH": CONTAINER_PATH,
            "HOSTNAME": meta["name"],
            "HOME": str(self._lab.home.root / "run"),
            **env,
            "AZURE_POD_IDENTITY_AUTHORITY_HOST": lab.pod_secrets.endpoint(
                lab.imds_origin, cluster_key, pod
            ),
            "PODID_LAB_ARM_ENDPOINT": self._lab.origin or "",
            "PODID_LAB_CA_BUNDLE": str(self._lab.home.ca_cert),
            "PODID_LAB_TIME_SCALE": str(lab.knobs["time_scale"]),
        }

    def toolbox_env(
        self, cluster_key: str, pod: Document, container: Document, image: images.Image
    ) -> dict[str, str]:
        """What a toolbox process reads besides `workload_env` (data like the rest): the
        environment its `env` and `$VAR` show (container paths, no lab plumbing), its mounts
        (container path -> host folder) and its pod."""
        meta = pod["metadata"]
        mounts = self._mounts.get((cluster_key, meta["namespace"], meta["name"]), {})
        shown = {
            "PATH": CONTAINER_PATH,
            "HOSTNAME": meta["name"],
            **container_env(pod, container),
            **SERVICE_ENV,
            "HOME": IMAGE_HOME.get(image.repository, "/root"),
        }
        return {
            "PODID_LAB_ENV": json.dumps(shown),
            "PODID_LAB_MOUNTS": json.dumps({k: str(v) for k, v in mounts.items()}),
            "PODID_LAB_POD": f"{meta['namespace']}/{meta['name']}",
        }

    async def start_process(
        self,
        cluster_key: str,
        pod: Document,
        container: Document,
        image: images.Image,
        args: list[str],
        *,
        stdin: bool = False,
        tty: bool = False,
        merge_stderr: bool = True,
    ) -> ProcessIO:
        """Start `image`'s module with `args` in the context of a running pod's container: its
        environment, its projected tokens (the only lab files it may read, with the CA), and an
        end no later than the container's."""
        assert image.module is not None
        meta = pod["metadata"]
        env = self.workload_env(cluster_key, pod, container)
        if image.commands:
            env.update(self.toolbox_env(cluster_key, pod, container, image))
        spec = PodProcess(
            module=image.module,
            args=args,
            env=env,
            label=f"{meta['namespace']}/{meta['name']}/{container['name']}",
            denied=[str(self._lab.home.root)],
            exceptions=[
                str(self._lab.home.ca_cert),
                str(self._token_dir(cluster_key, meta["namespace"], meta["name"])),
            ],
            tty=tty,
        )
        process = await start_with_stdio(spec, stdin=stdin, merge_stderr=merge_stderr)
        key = (cluster_key, meta["namespace"], meta["name"], container["name"])
        self._spawned[process] = key
        waiter = asyncio.get_running_loop().create_task(self._forget_when_done(process))
        self._waiters.add(waiter)
        waiter.add_done_callback(self._waiters.discard)
        return process

    async def _forget_when_done(self, process: ProcessIO) -> None:
        await process.wait()
        self._spawned.pop(process, None)

    async def _pump(self, key: tuple[str, str, str, str], process: ProcessIO) -> None:
        """Copy the process's output into the container log and to attached clients."""
        while True:
            chunk = await process.read_output()
            record = self._containers.get(key)
            if record is not None and record.process is process:
                for listener in record.listeners:
                    listener.put_nowait(chunk)
            if not chunk:
                break
            if record is not None and record.process is process:
                self._log_output(key, record, chunk)
        code = await process.wait()
        record = self._containers.get(key)
        if record is not None and record.process is process and record.partial:
            self._log_output(key, record, b"\n")
        process.release()
        self._exited(key, process, code)

    def _log_output(self, key: tuple[str, str, str, str], record: Container, chunk: bytes) -> None:
        cluster = self._lab.kube.by_key(key[0])
        *lines, record.partial = (record.partial + chunk).split(b"\n")
        if cluster is None:
            return
        for line in lines:
            text = line.decode("utf-8", "replace").rstrip("\r")
            cluster.append_log(key[1], key[2], key[3], text)

    # -- exec and attach ----------------------------------------------------------------------

    async def exec_in(
        self,
        cluster: Cluster,
        pod: Document,
        container: str,
        command: list[str],
        *,
        stdin: bool,
        tty: bool,
    ) -> ProcessIO:
        """Start `kubectl exec`'s command in a running container's context.

        Raises ExecError with the runtime's message when the image lacks the command.
        """
        spec = next(c for c in pod["spec"]["containers"] if c["name"] == container)
        record = self._containers.get(
            (cluster.key, pod["metadata"]["namespace"], pod["metadata"]["name"], container)
        )
        image = images.find(spec.get("image", ""))
        if record is None or image is None:
            raise ExecError(f"container {container} is not running")
        args = image.exec_args(command)  # None for NMI too: the lab plays it, and it is distroless
        if args is None:
            seed = f"{pod['metadata']['uid']}/{container}/{' '.join(command)}"
            raise ExecError(
                f'failed to exec in container: failed to start exec "{_digest(seed)}": OCI '
                "runtime exec failed: exec failed: unable to start container process: exec: "
                f'"{command[0] if command else ""}": executable file not found in $PATH: unknown'
            )
        return await self.start_process(
            cluster.key, pod, spec, image, args, stdin=stdin, tty=tty, merge_stderr=False
        )

    def attach_to(
        self, cluster_key: str, namespace: str, pod: str, container: str
    ) -> tuple[ProcessIO, asyncio.Queue[bytes]]:
        """The container's main process and a queue of its output from now on (b"" at exit)."""
        record = self._containers.get((cluster_key, namespace, pod, container))
        if (
            record is None
            or record.process is None
            or record.process.process.returncode is not None
        ):
            raise ExecError(f"container {container} is not running")
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        record.listeners.append(queue)
        return record.process, queue

    def detach(
        self,
        cluster_key: str,
        namespace: str,
        pod: str,
        container: str,
        queue: asyncio.Queue[bytes],
    ) -> None:
        """Stop sending a container's output to an attached client."""
        record = self._containers.get((cluster_key, namespace, pod, container))
        if record is not None and queue in record.listeners:
            record.listeners.remove(queue)

    # -- stopping and exits -------------------------------------------------------------------

    def _exited(self, key: tuple[str, str, str, str], process: ProcessIO, code: int) -> None:
        record = self._containers.get(key)
        if record is None or record.process is not process:
            return  # stopped on purpose: the pod is going away
        del self._containers[key]
        cluster = self._lab.kube.by_key(key[0])
        pod = cluster.find(PODS, key[1], key[2]) if cluster is not None else None
        if cluster is None or pod is None or pod["metadata"].get("deletionTimestamp"):
            return
        status = _container_status(pod, key[3]) or {}
        restarts = int(status.get("restartCount", 0))
        policy = pod["spec"].get("restartPolicy", "Always")
        terminated = {
            "exitCode": code,
            "reason": "Completed" if code == 0 else "Error",
            "startedAt": timestamp(record.started),
            "finishedAt": timestamp(),
            "containerID": status.get("containerID", ""),
        }
        if policy == "Always" or (policy == "OnFailure" and code != 0):
            delay = min(BACKOFF_BASE_SECONDS * 2**restarts, BACKOFF_MAX_SECONDS)
            self._next_start[key] = time.time() + delay
            self._set_container(
                cluster,
                pod,
                key[3],
                {
                    "state": {
                        "waiting": {
                            "reason": "CrashLoopBackOff",
                            "message": f"back-off {int(delay)}s restarting failed container="
                            f"{key[3]} pod={key[2]}_{key[1]}({pod['metadata']['uid']})",
                        }
                    },
                    "lastState": {"terminated": terminated},
                    "ready": False,
                    "started": False,
                    "restartCount": restarts + 1,
                },
                phase="Running",
            )
            self._event(
                cluster,
                pod,
                "BackOff",
                f"Back-off restarting failed container {key[3]} in pod "
                f"{key[2]}_{key[1]}({pod['metadata']['uid']})",
                warning=True,
            )
        else:
            self._set_container(
                cluster,
                pod,
                key[3],
                {"state": {"terminated": terminated}, "ready": False, "started": False},
                phase="Succeeded" if code == 0 else "Failed",
            )

    def _stop(self, key: tuple[str, str, str, str]) -> None:
        self._containers.pop(key, None)  # so its exit reads as stopped on purpose (`_exited`)
        self._next_start.pop(key, None)
        for process in [p for p, owner in self._spawned.items() if owner == key]:
            process.stop()  # the container's own process and its execs

    def _on_pod_removed(self, cluster_key: str, pod: Document) -> None:
        meta = pod["metadata"]
        self._forget_tokens((cluster_key, meta["namespace"], meta["name"]))
        pod_key = (cluster_key, meta["namespace"], meta["name"])
        for key in [k for k in self._containers if k[:3] == pod_key]:
            self._stop(key)
        # A crashed container's back-off belongs to its pod: a new pod of the same name starts
        # at once, as on a node (the kubelet keys back-off by pod UID).
        for key in [k for k in self._next_start if k[:3] == pod_key]:
            del self._next_start[key]
        for process in [p for p, owner in self._spawned.items() if owner[:3] == pod_key]:
            process.stop()  # execs in a container that was not running (e.g. in back-off)

    async def close(self) -> None:
        """End every pod process and everything below it (the lab is stopping)."""
        self._containers.clear()
        processes = list(self._spawned)
        for process in processes:
            process.stop()
        if processes:
            waits = [asyncio.ensure_future(p.wait()) for p in processes]
            await asyncio.wait(waits, timeout=KILL_AFTER_SECONDS)
        for process in processes:
            process.kill()  # those still there after the grace period
        if self._lab.reaps_orphans:
            sweep_orphans({p.pid for p in processes})

    def processes(self) -> list[int]:
        """PIDs of the container and exec processes running now (for tests and the benchmark)."""
        return [p.pid for p in self._spawned if p.process.returncode is None]

    # -- status -------------------------------------------------------------------------------

    def _pull_failed(self, cluster: Cluster, pod: Document, container: Document) -> None:
        status = _container_status(pod, container["name"]) or {}
        reason = (status.get("state", {}).get("waiting") or {}).get("reason")
        key = (
            cluster.key,
            pod["metadata"]["namespace"],
            pod["metadata"]["name"],
            container["name"],
        )
        image = container.get("image", "")
        if reason == "ErrImagePull":
            self._event(cluster, pod, "BackOff", f'Back-off pulling image "{image}"')
            self._set_container(
                cluster,
                pod,
                container["name"],
                {
                    "state": {
                        "waiting": {
                            "reason": "ImagePullBackOff",
                            "message": f'Back-off pulling image "{image}"',
                        }
                    }
                },
                phase="Pending",
            )
            self._next_start[key] = float("inf")  # stays in back-off until the pod changes
            return
        if reason == "ImagePullBackOff":
            return
        message = (
            f'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": the '
            f"podid lab runs only these images: {', '.join(images.runnable())}"
        )
        self._event(cluster, pod, "Pulling", f'Pulling image "{image}"')
        self._event(
            cluster, pod, "Failed", f'Failed to pull image "{image}": {message}', warning=True
        )
        self._event(cluster, pod, "Failed", "Error: ErrImagePull", warning=True)
        self._set_container(
            cluster,
            pod,
            container["name"],
            {"state": {"waiting": {"reason": "ErrImagePull", "message": message}}},
            phase="Pending",
        )
        self._next_start[key] = time.time() + PULL_BACKOFF_SECONDS

    def _set_running(
        self, cluster: Cluster, pod: Document, container: Document, restarts: int, started: float
    ) -> None:
        self._set_container(
            cluster,
            pod,
            container["name"],
            {
                "state": {"running": {"startedAt": timestamp(started)}},
                "ready": True,
                "started": True,
                "restartCount": restarts,
            },
            phase="Running",
        )

    def _set_container(
        self, cluster: Cluster, pod: Document, name: str, changes: Document, *, phase: str
    ) -> None:
        current = cluster.find(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
        if current is None or current["metadata"]["uid"] != pod["metadata"]["uid"]:
            return
        statuses = []
        for spec in current["spec"].get("containers", []):
            old = _container_status(current, spec["name"]) or {
                "name": spec["name"],
                "image": spec.get("image", ""),
                "imageID": "",
                "restartCount": 0,
                "ready": False,
                "started": False,
                "state": {"waiting": {"reason": "ContainerCreating"}},
            }
            if spec["name"] == name:
                old = {
                    **{k: v for k, v in old.items() if k not in ("state", "lastState")},
                    **changes,
                }
                if "lastState" not in changes and "lastState" in (
                    _container_status(current, name) or {}
                ):
                    old["lastState"] = _container_status(current, name)["lastState"]  # type: ignore[index]
                old.setdefault("lastState", {})
                image = images.find(spec.get("image", ""))
                if image is not None:
                    old["imageID"] = f"{image.repository}@sha256:{_digest(spec['image'])}"
                    run = f"{current['metadata']['uid']}{name}{old.get('restartCount', 0)}"
                    old["containerID"] = f"containerd://{_digest(run)}"
            statuses.append(old)
        ready = all(s.get("ready") for s in statuses)
        now = timestamp()
        conditions: list[dict[str, str | None]] = [
            {"type": "PodReadyToStartContainers", "status": "True"},
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "True" if ready else "False"},
            {"type": "ContainersReady", "status": "True" if ready else "False"},
            {"type": "PodScheduled", "status": "True"},
        ]
        for condition in conditions:
            before = next(
                (
                    c
                    for c in current["status"].get("conditions", [])
                    if c["type"] == condition["type"]
                ),
                None,
            )
            changed = before is None or before.get("status") != condition["status"]
            condition["lastProbeTime"] = None
            condition["lastTransitionTime"] = now if changed else before["lastTransitionTime"]  # type: ignore[index]
            if not ready and condition["type"] in ("Ready", "ContainersReady"):
                waiting = [s["name"] for s in statuses if not s.get("ready")]
                condition["reason"] = "ContainersNotReady"
                condition["message"] = f"containers with unready status: [{' '.join(waiting)}]"
        status = dict(
            current["status"], phase=phase, containerStatuses=statuses, conditions=conditions
        )
        updated = dict(current, status=status)
        cluster.replace(
            PODS,
            current["metadata"]["namespace"],
            current["metadata"]["name"],
            updated,
            subresource="status",
            manager="kubelet",
        )

    def _event(
        self, cluster: Cluster, pod: Document, reason: str, message: str, *, warning: bool = False
    ) -> None:
        cluster.record_event(
            pod,
            reason,
            message,
            event_type="Warning" if warning else "Normal",
            component="kubelet",
            host=pod["spec"].get("nodeName", ""),
        )


def _host_path(value: str, mounts: dict[str, Path]) -> str:
    """A container path below a projected mount, as the pod's process can open it."""
    for mount, folder in mounts.items():
        if value == mount or value.startswith(mount + "/"):
            return str(folder) + value[len(mount) :]
    return value


def _container_status(pod: Document, name: str) -> Document | None:
    for status in pod.get("status", {}).get("containerStatuses") or []:
        if status["name"] == name:
            return status  # type: ignore[no-any-return]
    return None


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()

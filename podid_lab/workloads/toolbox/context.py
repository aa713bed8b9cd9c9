"""What a toolbox process knows of its pod: the environment it shows, its files, its NMI."""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Set by the kubelet (podid_lab.kubelet.runtime) for toolbox containers; never shown by `env`.
ENV_VAR = "PODID_LAB_ENV"
MOUNTS_VAR = "PODID_LAB_MOUNTS"
POD_VAR = "PODID_LAB_POD"
AUTHORITY_VAR = "AZURE_POD_IDENTITY_AUTHORITY_HOST"

# AKS's defaults (networkProfile.serviceCidr 10.0.0.0/16, dnsServiceIP 10.0.0.10).
CLUSTER_DOMAIN = "cluster.local"
DNS_SERVICE_IP = "10.0.0.10"
SERVICES = {
    f"kubernetes.default.svc.{CLUSTER_DOMAIN}": "10.0.0.1",
    f"kube-dns.kube-system.svc.{CLUSTER_DOMAIN}": DNS_SERVICE_IP,
}


@dataclass
class PodContext:
    """The pod as its processes see it."""

    flavor: str
    env: dict[str, str]
    mounts: dict[str, Path]
    namespace: str
    name: str
    imds: str
    files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, flavor: str, environ: Mapping[str, str]) -> PodContext:
        """Read what the kubelet passed; the shown environment is the container's alone."""
        namespace, _, name = environ.get(POD_VAR, "default/pod").partition("/")
        mounts = {k: Path(v) for k, v in json.loads(environ.get(MOUNTS_VAR, "{}")).items()}
        context = cls(
            flavor=flavor,
            env=dict(json.loads(environ.get(ENV_VAR, "{}"))),
            mounts=mounts,
            namespace=namespace,
            name=name,
            imds=environ.get(AUTHORITY_VAR, ""),
        )
        context.files = {
            "/etc/hostname": f"{name}\n",
            "/etc/resolv.conf": (
                f"search {namespace}.svc.{CLUSTER_DOMAIN} svc.{CLUSTER_DOMAIN} {CLUSTER_DOMAIN}\n"
                f"nameserver {DNS_SERVICE_IP}\noptions ndots:5\n"
            ),
        }
        return context

    def absolute(self, path: str) -> str:
        """A container path made absolute and normal (`..` cannot climb above `/`)."""
        cwd = self.env.get("PWD", "/")
        return posixpath.normpath(posixpath.join(cwd, path)).replace("//", "/")

    def read(self, path: str) -> bytes | None:
        """A file's content, or None when the pod has no such file."""
        container_path = self.absolute(path)
        if container_path in self.files:
            return self.files[container_path].encode()
        host = self._host_path(container_path)
        if host is None or not host.is_file():
            return None
        return host.read_bytes()

    def listing(self, path: str) -> list[str] | None:
        """A folder's visible entries, or None when the pod has no such folder."""
        container_path = self.absolute(path)
        host = self._host_path(container_path)
        if host is not None:
            if not host.is_dir():
                return None
            return sorted(p.name for p in host.iterdir() if not p.name.startswith("."))
        prefix = container_path.rstrip("/") + "/"
        children = {
            p[len(prefix) :].split("/", 1)[0]
            for p in [*self.mounts, *self.files]
            if p.startswith(prefix)
        }
        return sorted(children) if children else None

    def is_file(self, path: str) -> bool:
        """Whether the path names a file (not a folder)."""
        return self.read(path) is not None

    def _host_path(self, container_path: str) -> Path | None:
        # Only below a mount point, and never outside the folder the kubelet wrote it to.
        for mount, folder in self.mounts.items():
            if container_path == mount or container_path.startswith(mount + "/"):
                candidate = (folder / container_path[len(mount) :].lstrip("/")).resolve()
                root = folder.resolve()
                if candidate == root or root in candidate.parents:
                    return candidate
                return None
        return None

    def resolve_name(self, host: str) -> str | None:
        """A cluster DNS answer (service names, with the pod's search path), or None."""
        name = host.rstrip(".")
        candidates = [name] if host.endswith(".") or name.count(".") >= 5 else []
        candidates += [
            f"{name}.{suffix}"
            for suffix in (
                f"{self.namespace}.svc.{CLUSTER_DOMAIN}",
                f"svc.{CLUSTER_DOMAIN}",
                CLUSTER_DOMAIN,
            )
        ]
        candidates.append(name)
        for candidate in candidates:
            if candidate in SERVICES:
                return candidate
        return None


def current(flavor: str) -> PodContext:
    """The context of this process."""
    return PodContext.from_environ(flavor, os.environ)

"""The container images the lab can run, and what running each one means."""

from __future__ import annotations

from dataclasses import dataclass

from .. import klog
from ..workload_identity.webhook import PROXY_REGISTRY, PROXY_USER_AGENT, PROXY_VERSION


@dataclass(frozen=True)
class Image:
    """An image the lab knows: a program to run, or a component the lab itself plays."""

    repository: str
    tags: tuple[str, ...]
    # The Python module that stands in for the image's entrypoint (run in the pod's context by
    # `process.start_in_pod`); None when the lab itself plays the component (NMI is the lab's
    # own /nmi endpoint).
    module: str | None
    startup_log: tuple[tuple[str, str], ...] = ()

    def references(self) -> list[str]:
        """The image references (`repository:tag`) the lab accepts for it."""
        return [f"{self.repository}:{tag}" for tag in self.tags]


DEMO = Image(
    repository="mcr.microsoft.com/oss/azure/aad-pod-identity/demo",
    tags=("v1.6.3",),
    module="podid_lab.workloads.demo",
)
NMI = Image(
    repository="mcr.microsoft.com/oss/azure/aad-pod-identity/nmi",
    tags=("v1.8.18", "v1.8.17"),
    module=None,
    startup_log=(
        ("main.go:47", "starting nmi process. Version: v1.8.18. Build date: 2024-01-23-00:00"),
        ("main.go:83", "running NMI in namespaced mode: true"),
        ("nmi.go:52", "initializing in managed mode"),
        ("probes.go:41", "initialized health probe on port 8085"),
        ("probes.go:44", "started health probe"),
        ("server.go:123", "listening on 127.0.0.1:2579"),
    ),
)
MSAL_GO = Image(
    repository="ghcr.io/azure/azure-workload-identity/msal-go",
    tags=("latest",),
    module="podid_lab.workloads.msal_go",
)
# The Workload ID migration sidecar; the lab plays it (workload_identity.proxy). Its start line is
# mlog's text format; `{port}` is the container's port (`--proxy-port`).
WI_PROXY = Image(
    repository=f"{PROXY_REGISTRY}/proxy",
    tags=(PROXY_VERSION,),
    module=None,
    startup_log=(
        (
            "proxy.go:97",
            f'"starting the proxy server" port={{port}} userAgent="{PROXY_USER_AGENT}"',
        ),
    ),
)
IMAGES = (DEMO, NMI, MSAL_GO, WI_PROXY)


def find(reference: str) -> Image | None:
    """The known image for a reference (`docker.io/` prefixes and digests are not accepted)."""
    if ":" not in reference.rsplit("/", 1)[-1]:
        reference += ":latest"  # no tag means latest, as for any container runtime
    for image in IMAGES:
        if reference in image.references():
            return image
    return None


def runnable() -> list[str]:
    """Every image reference the lab can run, for the event that names them."""
    return [ref for image in IMAGES for ref in image.references()]


def startup_lines(image: Image, port: int = 0) -> list[str]:
    """The component's startup log, in klog format (`port`: the container's first port)."""
    return [
        klog.line("I", source, text.replace("{port}", str(port)))
        for source, text in image.startup_log
    ]

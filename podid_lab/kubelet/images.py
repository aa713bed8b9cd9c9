"""The container images the lab can run, and what running each one means."""

from __future__ import annotations

from dataclasses import dataclass

from .. import klog
from ..workload_identity.webhook import PROXY_REGISTRY, PROXY_USER_AGENT, PROXY_VERSION
from ..workloads.toolbox import COMMANDS
from ..workloads.toolbox.net import CURL_VERSION

_TOOLBOX = "podid_lab.workloads.toolbox"


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
    # Images the toolbox plays: its flavor (the module's first argument), their ENTRYPOINT and
    # CMD, and the commands on their $PATH. The module then receives the container's whole
    # command line, as a container runtime builds it.
    flavor: str = ""
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()

    def references(self) -> list[str]:
        """The image references (`repository:tag`) the lab accepts for it."""
        return [f"{self.repository}:{tag}" for tag in self.tags]

    def container_args(self, command: list[str], args: list[str]) -> list[str]:
        """The module's arguments: `command` replaces ENTRYPOINT (and drops CMD), `args` replace
        CMD."""
        if not self.commands:
            return args  # the image's one binary, given the pod's args
        line = command or list(self.entrypoint)
        line += args if (args or command) else list(self.cmd)
        return [self.flavor, *line]

    def exec_args(self, command: list[str]) -> list[str] | None:
        """The module's arguments for a `kubectl exec` command, or None when the image does not
        have that command."""
        name = command[0] if command else ""
        folder, _, base = name.rpartition("/")
        if self.module is None or base not in self.commands:
            return None
        if folder and folder not in ("/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin"):
            return None
        return [self.flavor, *command]


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
CURL = Image(
    repository="curlimages/curl",
    tags=("latest", CURL_VERSION),
    module=_TOOLBOX,
    flavor="curl",
    entrypoint=("/entrypoint.sh",),
    cmd=("curl",),
    commands=COMMANDS["curl"],
)
BUSYBOX = Image(
    repository="busybox",
    tags=("latest", "1.28", "1.36", "1.37"),
    module=_TOOLBOX,
    flavor="busybox",
    cmd=("sh",),
    commands=COMMANDS["busybox"],
)
# The demo and msal-go images are distroless (`gcr.io/distroless/static`): no shell, no tools.
IMAGES = (DEMO, NMI, MSAL_GO, WI_PROXY, CURL, BUSYBOX)


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

"""Is this machine ready for the tutorial? `podid-tutorial preflight`, run before the session."""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Finding", "preflight"]

# Imported by name, as session.py does, so the helpers' type checking stays apart from the lab's.
_lab_home = importlib.import_module("podid_lab.home")
_lab_server = importlib.import_module("podid_lab.server")

# What the notebooks import; a learner install without one of these cannot run them.
NEEDED_MODULES = (
    "jupyterlab",
    "ipywidgets",
    "azure.identity",
    "azure.mgmt.containerservice",
    "kubernetes",
    "nbformat",
)
MIN_FREE_MB = 500


@dataclass(frozen=True)
class Finding:
    """One check's outcome: ✓ or ✗ (or ! for advice that does not block), and a fix when not ✓."""

    mark: str
    what: str
    fix: str = ""

    @property
    def blocks(self) -> bool:
        """True when the tutorial cannot run until this is fixed."""
        return self.mark == "✗"

    def text(self) -> str:
        """One line, and the fix indented below it."""
        return f"{self.mark} {self.what}" + (f"\n    → {self.fix}" if self.fix else "")


def check_python() -> Finding:
    """The Python running the tutorial."""
    # pip refuses to install the tutorial on an older Python, so this is for the record.
    return Finding("✓", "Python " + ".".join(map(str, sys.version_info[:3])))


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        return False


def check_packages() -> Finding:
    """The packages the notebooks import are installed."""
    missing = [name for name in NEEDED_MODULES if not _installed(name)]
    if missing:
        return Finding("✗", f"missing packages: {', '.join(missing)}", "run: make install")
    return Finding("✓", "the tutorial's packages are installed")


def check_kubectl() -> Finding:
    """A kubectl on PATH, and its version (1.21 or newer applies manifests as written)."""
    path = shutil.which("kubectl")
    fix = "install kubectl (https://kubernetes.io/docs/tasks/tools/), e.g. apt-get install kubectl"
    if path is None:
        return Finding("✗", "kubectl is not on PATH", fix)
    try:
        answer = subprocess.run(
            [path, "version", "--client", "-o", "json"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        client = json.loads(answer.stdout)["clientVersion"]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError):
        return Finding("✗", "kubectl is on PATH but does not run", fix)
    version = client.get("gitVersion", "?")
    minor = int("".join(ch for ch in client.get("minor", "0") if ch.isdigit()) or 0)
    if minor < 21:
        return Finding("!", f"kubectl {version}", "kubectl apply will need --validate=false")
    return Finding("✓", f"kubectl {version}")


def check_lab() -> Finding:
    """The lab starts (or already runs) and answers."""
    try:
        _lab_server.start(_lab_home.LabHome.from_env())
    except _lab_server.LabError as exc:
        return Finding(
            "✗",
            f"the lab does not start: {exc}",
            "another program may hold the port: podid-lab config, or PODID_LAB_PORT=<free port>",
        )
    return Finding("✓", "the lab runs and answers (podid-lab status)")


def check_disk() -> Finding:
    """Room for the lab's state and, if wanted, an az CLI environment."""
    home: Path = _lab_home.LabHome.from_env().root
    where = next(p for p in (home, *home.parents) if p.exists())
    free_mb = shutil.disk_usage(where).free / 1e6
    if free_mb < MIN_FREE_MB:
        return Finding("✗", f"{free_mb:.0f} MB free", f"free at least {MIN_FREE_MB} MB")
    return Finding("✓", f"{free_mb / 1000:.1f} GB free")


def check_az() -> Finding:
    """The az CLI is optional: the notebooks' Python cells do what its commands do."""
    if shutil.which("az") is None:
        return Finding("!", "az is not on PATH (optional)", "see README: Using the az CLI")
    return Finding("✓", "az is on PATH (optional)")


CHECKS: tuple[Callable[[], Finding], ...] = (
    check_python,
    check_packages,
    check_kubectl,
    check_disk,
    check_lab,
    check_az,
)


def preflight() -> list[Finding]:
    """Run every check, in order."""
    return [check() for check in CHECKS]

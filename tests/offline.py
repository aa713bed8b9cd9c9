"""Run a command with no network at all, where the machine allows it."""

from __future__ import annotations

import shutil
import subprocess


def no_network() -> list[str]:
    """A command prefix giving the command a network namespace of its own (no interface up),
    where the machine allows it (root, as in CI); else nothing, and the command runs as is."""
    if shutil.which("unshare") is None:
        return []
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    return ["unshare", "--net"] if probe.returncode == 0 else []

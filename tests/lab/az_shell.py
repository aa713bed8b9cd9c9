"""A learner's shell with a stock az (the cached one) after `eval "$(podid-lab az-env)"`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from podid_lab.azinstall import az_venv
from podid_lab.home import LabHome

# Settings a learner's shell may carry that must not leak into az here.
FOREIGN = re.compile(r"^(AZURE_|ARM_|MSAL_|REQUESTS_CA_BUNDLE$|SSL_CERT_FILE$|KUBECONFIG$|PODID_)")


def clean_shell_env(root: Path, home: LabHome) -> dict[str, str]:
    """A clean learner's shell: az on PATH, its own HOME, nothing Azure-related set."""
    bin_dir, user_home = root / "bin", root / "home"
    bin_dir.mkdir()
    user_home.mkdir()
    (bin_dir / "az").symlink_to(az_venv() / "bin" / "az")
    env = {k: v for k, v in os.environ.items() if not FOREIGN.match(k)}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(user_home)
    env["PODID_LAB_HOME"] = str(home.root)
    return env


def az_env_shell(root: Path, home: LabHome) -> dict[str, str]:
    """The environment of that shell once it ran `eval "$(podid-lab az-env)"` (signed in)."""
    done = subprocess.run(
        ["bash", "-c", f'eval "$({sys.executable} -m podid_lab az-env)" && env -0'],
        env=clean_shell_env(root, home),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == b"", done.stderr.decode()
    return dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if item)

"""A stock az for the tutorial: azure-cli from PyPI in its own cached environment (`az-install`)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

# az pins its own SDK versions, so it never shares the tutorial's environment.
AZ_CLI_VERSION = "2.91.0"


def az_venv(version: str = AZ_CLI_VERSION) -> Path:
    """The cached environment holding azure-cli; built from PyPI on first use (about a minute)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = cache / "podid-tutorial" / "az-venv" / version
    stamp = venv / ".podid-complete"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".{version}.lock", "w") as lock:
        # Two builds at once (two test runs, or a test and a learner) must not share a folder.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
            subprocess.run([*pip, f"azure-cli=={version}"], check=True)
            stamp.touch()
    return venv


def install_az(bin_dir: Path) -> Path:
    """Link `az` from the cached environment into `bin_dir` (idempotent); return the link."""
    target = az_venv() / "bin" / "az"
    link = bin_dir / "az"
    bin_dir.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.resolve() == target.resolve():
        return link
    if link.exists() or link.is_symlink():
        raise FileExistsError(f"{link} exists and is not the tutorial's az; remove it first")
    link.symlink_to(target)
    return link

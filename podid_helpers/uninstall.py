"""Remove what the tutorial made on this machine, and nothing else (`podid-tutorial uninstall`)."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from .redact import display_path
from .settings import DEFAULT_SETTINGS_PATH, settings_path

__all__ = ["Removal", "planned_removals", "tutorial_cache_dir", "uninstall"]

# Imported by name, as session.py does, so the helpers' type checking stays apart from the lab's.
_lab_home = importlib.import_module("podid_lab.home")
_lab_server = importlib.import_module("podid_lab.server")

# A folder is deleted whole only if it holds the lab's CA and one of its keys, files no other
# program names so; a folder that holds the user's home or the current folder never is.
_LAB_CA = "ca/ca.pem"
_LAB_KEYS = ("keys/learner-secret", "keys/admin-key")


@dataclass(frozen=True)
class Removal:
    """One thing the tutorial made: where it is and what it is."""

    path: Path
    what: str

    def size_mb(self) -> float:
        """Its size on disk, in MB (0 when it is gone)."""
        if self.path.is_file():
            return self.path.stat().st_size / 1e6
        total = 0
        for root, _dirs, files in os.walk(self.path):
            for name in files:
                full = Path(root, name)
                if not full.is_symlink():
                    total += full.stat().st_size
        return total / 1e6


def tutorial_cache_dir() -> Path:
    """The tutorial's cache, ``~/.cache/podid-tutorial`` (the az environment tests build)."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "podid-tutorial"


def _not_a_lab_home(path: Path) -> str | None:
    """Why `path` must not be deleted whole, or None when it is a lab home."""
    for precious in (Path.home(), Path.cwd()):
        if path in (precious, *precious.parents):
            return f"holds {display_path(precious)}"
    if not (path / _LAB_CA).is_file() or not any((path / key).is_file() for key in _LAB_KEYS):
        return "does not look like a lab home"
    return None


def _is_kubeconfig(path: Path) -> bool:
    # PODID_SETTINGS may put the kube folder beside files of the learner's own: only files that
    # are kubeconfigs (kind: Config) are the tutorial's.
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(doc, dict) and doc.get("kind") == "Config"


def planned_removals() -> tuple[list[Removal], list[str]]:
    """What would be removed, and what was found but is left alone (with why)."""
    found: list[Removal] = []
    left: list[str] = []
    lab_home: Path = _lab_home.LabHome.from_env().root
    if lab_home.is_dir():
        why_not = _not_a_lab_home(lab_home)
        if why_not is None:
            found.append(
                Removal(lab_home, "the lab's home: state, CA, keys, kubeconfigs, az config")
            )
        else:
            left.append(f"{display_path(lab_home)}: {why_not}, left alone")
    settings = settings_path()
    if settings.is_file():
        found.append(Removal(settings, "your saved settings (the names from 00)"))
    kube_dir = settings.parent / "kube"
    if kube_dir.is_dir():
        found += [
            Removal(path, "a cluster's kubeconfig")
            for path in sorted(kube_dir.glob("*.yaml"))
            if _is_kubeconfig(path)
        ]
    cache = tutorial_cache_dir()
    # `podid-lab az-install` links az next to the tutorial's commands, into that cache.
    az_link = Path(sys.executable).parent / "az"
    if az_link.is_symlink() and cache in Path(os.readlink(az_link)).parents:
        found.append(Removal(az_link, "the az link `podid-lab az-install` made"))
    if cache.is_dir():
        found.append(Removal(cache, "the tutorial's cache (the az CLI environment)"))
    return found, left


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _remove_if_empty(folder: Path) -> bool:
    if not folder.is_dir() or any(folder.iterdir()):
        return False
    folder.rmdir()
    return True


def uninstall(dry_run: bool = False) -> list[str]:
    """Stop the lab and remove what the tutorial made; return one line per thing (or plan)."""
    found, left = planned_removals()
    verb = "would remove" if dry_run else "removed"
    lines: list[str] = []
    lab_home = _lab_home.LabHome.from_env()
    if not dry_run and any(r.path == lab_home.root for r in found) and _lab_server.stop(lab_home):
        lines.append("stopped the lab")
    for removal in found:
        size = removal.size_mb()
        if not dry_run:
            _remove(removal.path)
        lines.append(f"{verb} {display_path(removal.path)} ({removal.what}, {size:.1f} MB)")
    settings_dir = settings_path().parent
    # Only the default folder (~/.podid) is the tutorial's own; a custom one may be the learner's.
    if not dry_run and settings_dir == Path(DEFAULT_SETTINGS_PATH).expanduser().parent:
        for folder in (settings_dir / "kube", settings_dir):
            if _remove_if_empty(folder):
                lines.append(f"removed the empty folder {display_path(folder)}")
    lines += left
    if not found:
        lines.append("nothing to remove: the tutorial left nothing on this machine")
    return lines

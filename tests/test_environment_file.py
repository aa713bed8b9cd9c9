"""environment.yml names the tutorial's dependencies, at the same versions, as pyproject.toml.

It is the learner's install, so it holds no test or lint tools (the optional extras)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
_SPEC = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$")


def _split(requirement: str) -> tuple[str, str]:
    match = _SPEC.match(requirement.strip())
    assert match, requirement
    return match.group(1).lower(), match.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return dict(_split(r) for r in project["dependencies"])


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    entries: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            entries.extend(p for p in dep["pip"] if not p.startswith("-e"))
        elif dep.split(">")[0].split("=")[0] not in ("python", "pip"):
            entries.append(dep)
    return dict(_split(e) for e in entries)


def test_environment_file_matches_pyproject() -> None:
    assert _environment() == _pyproject()


def test_environment_uses_conda_forge_and_installs_the_project() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip

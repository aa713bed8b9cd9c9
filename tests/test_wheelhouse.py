"""`make wheelhouse`, then `make install OFFLINE=1` into a fresh environment with no index."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from offline import no_network

REPO = Path(__file__).resolve().parent.parent
# The developer's tools: none of them may reach a learner's install.
DEV_TOOLS = ("pytest", "ruff", "mypy", "playwright", "hypothesis", "nbval", "prance", "sphinx")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def offline_env(home: Path) -> dict[str, str]:
    """No pip configuration at all (no index, no find-links), and a home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PODID_", "VIRTUAL_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, HOME=str(home), PODID_LAB_PORT="0")
    return env


def make(*args: str, env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()) -> None:
    subprocess.run([*prefix, "make", "-s", "-C", str(REPO), *args], check=True, env=env)


def project(wheel: Path) -> str:
    """The distribution name of a wheel file, normalised."""
    return re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()


def test_the_tutorial_installs_from_the_wheelhouse_with_no_index(tmp_path: Path) -> None:
    wheelhouse, venv = tmp_path / "wheelhouse", tmp_path / "venv"
    # Built with the developer's pip settings (and cache); installed with none.
    make("wheelhouse", f"WHEELHOUSE_DIR={wheelhouse}", f"VENV={Path(sys.prefix)}")
    wheels = {project(w) for w in wheelhouse.glob("*.whl")}
    assert {"podid-tutorial", "jupyterlab", "azure-identity", "kubernetes"} <= wheels
    assert not wheels & set(DEV_TOOLS)

    env = offline_env(tmp_path / "home")
    (tmp_path / "home").mkdir()
    # With no network at all where the machine allows it (root, CI).
    install = ("install", "OFFLINE=1", f"WHEELHOUSE_DIR={wheelhouse}", f"VENV={venv}")
    make(*install, env=env, prefix=tuple(no_network()))

    listed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    installed = {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower() for line in listed.split()}
    assert "podid-tutorial" in installed
    assert not installed & set(DEV_TOOLS), "a learner's install holds no test or lint tools"

    # The fresh install runs: the preflight starts its lab, in this test's own home.
    preflight = subprocess.run(
        [str(venv / "bin" / "podid-tutorial"), "preflight"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    subprocess.run([str(venv / "bin" / "podid-lab"), "stop"], env=env, capture_output=True)
    assert "✓ the tutorial's packages are installed" in preflight.stdout, preflight.stdout
    assert "✓ the lab runs and answers" in preflight.stdout, preflight.stdout

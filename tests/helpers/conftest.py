"""Every helper test runs with a fresh home folder and none of the learner's PODID_* variables.

Tests of steps and checks also get a real lab (one per test module) and names of their own.
"""

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podid_lab import knobs
from podid_lab.home import LabHome
from podid_lab.server import start, stop
from tools.notebook_lab import NOTEBOOK_KNOBS


@pytest.fixture(autouse=True)
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point HOME at an empty folder and clear every variable that steers the helpers."""
    for name in list(os.environ):
        if name.startswith("PODID_") or name == "JPY_SESSION_NAME":
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


# -- a real lab, for the steps and checks ------------------------------------------------------

_names = itertools.count(1)


@pytest.fixture(scope="module")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A lab of this test module's own (fresh feature state), on a free port."""
    root = tmp_path_factory.mktemp("lab")
    home = LabHome(root)
    # The notebook runs' waits: the steps are the notebooks' own, so they take the same paths
    # (a failing demo logs its lines in 0.44 s per call; a cluster is created in 0.2 s).
    knobs.save(home, {**knobs.defaults(), **NOTEBOOK_KNOBS})
    start(home, port=0)
    yield root
    stop(home)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, home: Path, lab_root: Path) -> Any:
    """Settings with names no other test uses, saved where connect() finds them."""
    from podid_helpers import Settings, save_settings

    n = next(_names)
    monkeypatch.setenv("PODID_LAB_HOME", str(lab_root))
    monkeypatch.setenv("PODID_SETTINGS", str(home / ".podid" / "settings.json"))
    chosen = Settings(
        resource_group=f"rg-{n}",
        cluster_name=f"aks-{n}",
        identity_name=f"id-{n}",
        pod_identity_name=f"pid-{n}",
        namespace=f"ns-{n}",
    )
    save_settings(chosen)
    return chosen


@pytest.fixture
def session(settings: Any) -> Any:
    """A lab session for this test's settings."""
    from podid_helpers import connect

    return connect(settings)

"""Every helper test runs with a fresh home folder and none of the learner's PODID_* variables."""

import os
from pathlib import Path

import pytest


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

"""The lab's home on a shared host: 0700 folders and 0600 files whatever the umask (state.db and
its -wal/-shm, the log, kubeconfigs, az's settings), an older home upgraded on start, and a home
other users could write refused with what to do."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from podid_lab.home import LabHome
from podid_lab.server import start, status, stop

from .aks_steps import create_cluster
from .conftest import azure_for
from .test_lifecycle import cli


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask there is, for the lab and everything it starts."""
    before = os.umask(0)
    yield
    os.umask(before)


def modes(root: Path) -> dict[str, int]:
    """Every folder and file below `root` (itself included) -> its permission bits."""
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        if not path.is_symlink():
            found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def not_private(root: Path) -> dict[str, str]:
    """What below `root` is not private: a folder not 0700, a file open to group or others, or
    a file the lab writes (every one but what az adds) not exactly 0600."""
    bad = {}
    for name, mode in modes(root).items():
        path = root / name
        if path.is_dir():
            wrong = mode != 0o700
        else:
            wrong = bool(mode & 0o077) or (not name.startswith("az/") and mode != 0o600)
        if wrong:
            bad[name] = f"{mode:04o}"
    return bad


def test_every_file_is_private_whatever_the_umask(tmp_path: Path, open_umask: None) -> None:
    home = LabHome(tmp_path / "lab")
    start(home, port=0)
    try:
        az = azure_for(home)
        create_cluster(az, "files-rg", "files-aks")
        az.aks.managed_clusters.list_cluster_user_credentials("files-rg", "files-aks")
        az.aks.managed_clusters.list_cluster_admin_credentials("files-rg", "files-aks")
        assert cli(home, "az-env").returncode == 0
        names = set(modes(home.root))
        for expected in (
            "state.db",
            "state.db-wal",
            "state.db-shm",
            "run/lab.log",
            "kubeconfigs/files-aks.yaml",
            "kubeconfigs/files-aks-admin.yaml",
            "az/env.sh",
            "keys/admin-key",
        ):
            assert expected in names, expected
        assert not_private(home.root) == {}
    finally:
        stop(home)


def test_a_home_made_before_is_upgraded_on_start(tmp_path: Path) -> None:
    home = LabHome(tmp_path / "lab")
    start(home, port=0)
    azure_for(home).resources.resource_groups.create_or_update("kept", {"location": "japaneast"})
    stop(home)
    # As the lab left homes before: folders 0755, the state and log 0644.
    for path in [home.root, *home.root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    start(home, port=0)
    try:
        assert not_private(home.root) == {}
        assert azure_for(home).resources.resource_groups.check_existence("kept")
    finally:
        stop(home)


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
def test_a_home_others_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    root = tmp_path / "shared"
    root.mkdir()
    root.chmod(mode)
    result = cli(LabHome(root), "start")
    assert result.returncode == 1
    assert (
        f"podid-lab: the lab's home {root} can be written by other users (mode {mode:04o}); "
        f"if it is yours, run: chmod 700 {root}"
    ) in result.stderr
    assert list(root.iterdir()) == []  # nothing made, nothing started
    assert stat.S_IMODE(root.stat().st_mode) == mode
    assert not status(LabHome(root)).running


def test_a_home_in_a_folder_anyone_can_swap_is_refused(tmp_path: Path) -> None:
    public = tmp_path / "public"
    public.mkdir()
    public.chmod(0o777)  # world-writable and not sticky: anyone may rename the home away
    result = cli(LabHome(public / "lab"), "start")
    assert result.returncode == 1
    assert f"is in {public}, which every user can write" in result.stderr
    assert not (public / "lab").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_home_of_another_user_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "theirs"
    root.mkdir(mode=0o700)
    os.chown(root, 65534, 65534)  # nobody
    result = cli(LabHome(root), "start")
    assert result.returncode == 1
    assert f"the lab's home {root} belongs to another user (uid 65534)" in result.stderr

"""`podid-tutorial preflight` and `podid-tutorial uninstall`, run as a learner runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A learner's machine in a temp folder: its own home, lab home, settings and cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PODID_", "XDG_"))}
    env.update(
        HOME=str(tmp_path / "home"),
        PODID_LAB_HOME=str(tmp_path / "home" / ".podid-lab"),
        PODID_LAB_PORT="0",
        XDG_CACHE_HOME=str(tmp_path / "home" / ".cache"),
    )
    (tmp_path / "home").mkdir()
    yield env
    subprocess.run([sys.executable, "-m", "podid_lab", "stop"], env=env, capture_output=True)


def tutorial(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from podid_helpers.tutorial_cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120
    )


def leave_traces(home: Path) -> list[Path]:
    """What a session leaves: settings, a kubeconfig, the az environment's cache."""
    made = [home / ".podid" / "settings.json", home / ".podid" / "kube" / "podid-aks.yaml"]
    made[0].parent.mkdir(parents=True)
    made[0].write_text('{"resource_group": "podid-rg"}')
    made[1].parent.mkdir()
    made[1].write_text(KUBECONFIG)
    venv = home / ".cache" / "podid-tutorial" / "az-venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "az").write_text("#!/bin/sh\n")
    return [*made, venv.parent.parent]


def test_preflight_passes_on_a_ready_machine_and_starts_the_lab(
    machine: dict[str, str],
) -> None:
    answer = tutorial(machine, "preflight")
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "✓ Python 3." in answer.stdout
    assert "✓ kubectl v1." in answer.stdout
    assert "✓ the lab runs and answers" in answer.stdout
    assert answer.stdout.rstrip().endswith("ready for the tutorial")
    status = subprocess.run([sys.executable, "-m", "podid_lab", "status"], env=machine)
    assert status.returncode == 0


def test_preflight_says_what_is_missing_and_how_to_fix_it(machine: dict[str, str]) -> None:
    no_kubectl = {**machine, "PATH": str(Path(sys.executable).parent)}
    answer = tutorial(no_kubectl, "preflight")
    assert answer.returncode == 1
    assert "✗ kubectl is not on PATH\n    → install kubectl" in answer.stdout
    assert answer.stdout.rstrip().endswith("1 problem(s) to fix first")


def test_uninstall_removes_what_the_tutorial_made_and_says_so(machine: dict[str, str]) -> None:
    home = Path(machine["HOME"])
    assert tutorial(machine, "preflight").returncode == 0  # the lab runs, its home exists
    made = leave_traces(home)
    mine = home / ".podid" / "kube" / "notes.yaml"
    mine.write_text("my: own file\n")

    planned = tutorial(machine, "uninstall", "--dry-run")
    assert planned.stdout.count("would remove ") == 4, planned.stdout
    assert all(p.exists() for p in made) and (home / ".podid-lab").is_dir()

    done = tutorial(machine, "uninstall")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "stopped the lab"
    assert [line.split(" (")[0] for line in lines[1:5]] == [
        "removed ~/.podid-lab",
        "removed ~/.podid/settings.json",
        "removed ~/.podid/kube/podid-aks.yaml",
        "removed ~/.cache/podid-tutorial",
    ]
    assert not (home / ".podid-lab").exists()
    assert not [p for p in made if p.exists()]
    assert mine.read_text() == "my: own file\n", "a file the tutorial did not make is kept"
    assert (home / ".cache").is_dir()

    again = tutorial(machine, "uninstall")
    assert again.stdout.splitlines()[-1].startswith("nothing to remove")


def test_uninstall_leaves_a_folder_that_is_not_a_lab_home_alone(machine: dict[str, str]) -> None:
    home = Path(machine["HOME"])
    notes = home / "work" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("mine")
    (notes.parent / "state.db").write_text("another program's")
    answer = tutorial({**machine, "PODID_LAB_HOME": str(notes.parent)}, "uninstall")
    assert "~/work: does not look like a lab home, left alone" in answer.stdout
    assert notes.read_text() == "mine"


def test_uninstall_never_deletes_the_home_even_when_it_is_the_lab_home(
    machine: dict[str, str],
) -> None:
    home = Path(machine["HOME"])
    assert tutorial({**machine, "PODID_LAB_HOME": str(home)}, "preflight").returncode == 0
    subprocess.run(
        [sys.executable, "-m", "podid_lab", "stop"], env={**machine, "PODID_LAB_HOME": str(home)}
    )
    answer = tutorial({**machine, "PODID_LAB_HOME": str(home)}, "uninstall")
    assert "~: holds ~, left alone" in answer.stdout
    assert (home / "ca" / "ca.pem").is_file()


def test_preflight_names_the_packages_a_learner_install_lacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from podid_helpers import preflight

    monkeypatch.setattr(preflight, "NEEDED_MODULES", ("jupyterlab", "nosuch.sub", "nosuch2"))
    finding = preflight.check_packages()
    assert finding.blocks
    assert finding.text() == "✗ missing packages: nosuch.sub, nosuch2\n    → run: make install"


def test_uninstall_removes_the_az_link_az_install_made(
    machine: dict[str, str], tmp_path: Path
) -> None:
    import sysconfig

    # A Python of its own, so the az link sits beside *its* executable, not this venv's.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    repo = Path(__file__).resolve().parents[1]
    env = {**machine, "PYTHONPATH": f"{repo}{os.pathsep}{sysconfig.get_paths()['purelib']}"}
    az = Path(machine["XDG_CACHE_HOME"]) / "podid-tutorial" / "az-venv" / "2.91.0" / "bin" / "az"
    az.parent.mkdir(parents=True)
    az.write_text("#!/bin/sh\n")
    (venv / "bin" / "az").symlink_to(az)
    code = "import sys; from podid_helpers.tutorial_cli import main; sys.exit(main())"
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, "uninstall"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert any(
        line.startswith("removed ") and "/bin/az" in line for line in done.stdout.splitlines()
    )
    assert not (venv / "bin" / "az").is_symlink()

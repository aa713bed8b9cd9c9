"""Exercise passes: the admin route that records them, `podid-lab exercises`, reset and restarts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from podid_lab.cli import connection_info
from podid_lab.home import LabHome
from podid_lab.server import start, stop

from .test_lifecycle import cli


@pytest.fixture
def own_lab(tmp_path: Path) -> Iterator[LabHome]:
    home = LabHome(tmp_path / "lab")
    start(home, port=0)
    yield home
    stop(home)


def call(home: LabHome, method: str, body: Any = None, key: str | None = None) -> Any:
    info = connection_info(home, int(home.port_file.read_text()))
    return requests.request(
        method,
        f"{info['arm_endpoint']}/_lab/exercises",
        json=body,
        headers={"x-podid-lab-key": home.admin_key() if key is None else key},
        verify=info["ca_bundle"],
        timeout=30,
    )


def test_passes_are_recorded_counted_and_listed_in_exercise_order(own_lab: LabHome) -> None:
    assert call(own_lab, "GET").json() == {"value": []}
    assert "no troubleshooting exercise passed yet" in cli(own_lab, "exercises").stdout
    for number in ("10", "2", "2"):
        made = call(own_lab, "POST", {"exercise": number, "title": f"Exercise {number}"})
        assert made.status_code == 200
    listed = call(own_lab, "GET").json()["value"]
    assert [(d["exercise"], d["passes"]) for d in listed] == [("2", 2), ("10", 1)]
    assert listed[0]["firstPassed"] <= listed[0]["lastPassed"]
    out = cli(own_lab, "exercises")
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0] == "troubleshooting exercises passed: 2"
    assert lines[1].startswith("  ✓   2  Exercise 2  (first ") and "passed 2 times" in lines[1]
    assert lines[2].startswith("  ✓  10  Exercise 10  (first ")
    assert [d["exercise"] for d in json.loads(cli(own_lab, "exercises", "--json").stdout)] == [
        "2",
        "10",
    ]


def test_the_route_needs_the_admin_key_and_a_well_formed_pass(own_lab: LabHome) -> None:
    for method in ("GET", "POST", "DELETE"):
        denied = call(own_lab, method, {"exercise": "1", "title": "x"}, key="wrong")
        assert denied.status_code == 401
        assert denied.json()["error"]["code"] == "AdminKeyRequired"
    for body in (
        {"exercise": "1"},
        {"exercise": "Not An Id", "title": "x"},
        {"exercise": 1, "title": "x"},
        {"exercise": "1", "title": "x" * 201},
        ["1"],
    ):
        bad = call(own_lab, "POST", body)
        assert bad.status_code == 400, body
        assert bad.json()["error"]["code"] == "InvalidExercisePass"
    assert call(own_lab, "GET").json() == {"value": []}


def test_passes_survive_reset_and_restart_and_clear_forgets_them(own_lab: LabHome) -> None:
    call(own_lab, "POST", {"exercise": "3", "title": "Role on the wrong scope"})
    assert cli(own_lab, "reset").returncode == 0
    assert [d["exercise"] for d in call(own_lab, "GET").json()["value"]] == ["3"]
    stop(own_lab)
    # Stopped: the command reads the store itself.
    assert "Role on the wrong scope" in cli(own_lab, "exercises").stdout
    start(own_lab, port=0)
    assert [d["exercise"] for d in call(own_lab, "GET").json()["value"]] == ["3"]
    assert cli(own_lab, "exercises", "--clear").stdout.strip() == "forgot 1 exercise pass(es)"
    assert call(own_lab, "GET").json() == {"value": []}


def test_exercises_on_a_lab_never_started(tmp_path: Path) -> None:
    out = cli(LabHome(tmp_path / "never"), "exercises")
    assert out.returncode == 0 and "no troubleshooting exercise passed yet" in out.stdout

"""A room of three learners at different steps: the room view shows exactly where each stands,
and no learner can open another's server, lab or the instructor's view."""

from __future__ import annotations

import asyncio
import json
import pwd
from pathlib import Path
from typing import Any

import pytest

from .conftest import NOTEBOOKS, STUCK_AFTER_S, Room, run_cell, wait_for

pytestmark = pytest.mark.slow

# Learner i's expected next step (conftest: 1 and 2 notebooks run; the third caught up to 08).
EXPECTED_CURRENT = ("01-prepare-subscription", "02-create-cluster", None)
COLUMNS = [p.stem for p in sorted(NOTEBOOKS.glob("0[0-6]-*.ipynb"))]  # 00 … 06-deploy-demo


def _room_view(room: Room) -> dict[str, Any]:
    instructor = room.learner(room.settings.instructor)
    answer = instructor.http.get(f"{room.settings.url}/services/podid-room/api/room", timeout=30)
    assert answer.status_code == 200, answer.status_code
    return dict(answer.json())


def _settled(room: Room) -> dict[str, Any] | None:
    view = _room_view(room)
    rows = {row["name"]: row for row in view["learners"]}
    if set(rows) != set(room.settings.learners):
        return None
    currents = tuple(rows[n]["current"] for n in room.settings.learners)
    failure_seen = rows[room.settings.learners[1]]["lastFailure"]
    passed = rows[room.settings.learners[2]]["exercises"]
    return view if currents == EXPECTED_CURRENT and failure_seen and passed else None


def test_the_room_view_shows_each_learner_at_their_step(room_at_steps: Room) -> None:
    room = room_at_steps
    view = wait_for(lambda: _settled(room))
    assert view["columns"] == [*COLUMNS, "08-troubleshooting"]
    for name, current in zip(room.settings.learners, EXPECTED_CURRENT, strict=True):
        row = next(r for r in view["learners"] if r["name"] == name)
        reached = COLUMNS.index(current) if current else len(COLUMNS)
        assert row["server"] == "running"
        assert row["steps"] == {c: i < reached for i, c in enumerate(COLUMNS)}, name
    rows = {r["name"]: r for r in view["learners"]}
    assert [rows[n]["exercises"] for n in room.settings.learners] == [0, 0, 1]
    first, second, third = room.settings.learners
    assert rows[first]["lastFailure"] is None
    assert rows[third]["lastFailure"] is None
    # The ✗ learner 2 saw when checking the cluster before creating it, as the notebook shows it.
    assert "cluster" in rows[second]["lastFailure"]
    assert "✗" in rows[second]["lastFailure"]


def test_a_learner_on_one_step_too_long_is_shown_stuck(room_at_steps: Room) -> None:
    room = room_at_steps
    first, second, third = room.settings.learners

    def stuck() -> dict[str, bool] | None:
        rows = {r["name"]: r["stuck"] for r in _room_view(room)["learners"]}
        return rows if rows.get(first) and rows.get(second) else None

    # The two still on a step are stuck after STUCK_AFTER_S; who has finished never is.
    assert wait_for(stuck, timeout=STUCK_AFTER_S + 30)[third] is False


def test_a_learner_cannot_open_another_learners_server(room_at_steps: Room) -> None:
    room = room_at_steps
    first, second, _ = room.settings.learners
    intruder = room.learner(first)
    intruder.issue_token()
    # With the hub's sign-in cookie (the browser's way)…
    by_cookie = intruder.http.get(f"{room.settings.url}/user/{second}/api/status", timeout=30)
    assert by_cookie.status_code == 403
    # …and with the intruder's own API token.
    by_token = intruder.server_get(f"/user/{second}/", "api/status")
    assert by_token.status_code == 403
    by_token = intruder.server_get(f"/user/{second}/", "podid/progress")
    assert by_token.status_code == 403


def test_a_learner_cannot_open_the_room_view(room_at_steps: Room) -> None:
    learner = room_at_steps.learner(room_at_steps.settings.learners[0])
    answer = learner.http.get(
        f"{room_at_steps.settings.url}/services/podid-room/api/room", timeout=30
    )
    assert answer.status_code == 403


def _lab_port(name: str) -> int:
    # The test reads it as root; the room view never does (it asks each learner's server).
    home = Path(pwd.getpwnam(name).pw_dir)
    return int((home / ".podid-lab" / "run" / "port").read_text())


ATTACK = """
import json, os, urllib.request, ssl
import podid_helpers as ph
from azure.identity import ClientSecretCredential
session = ph.connect()
token = session.credential.get_token("https://management.azure.com/.default").token
try:
    os.listdir({home!r})
    listed = "listed"
except PermissionError:
    listed = "denied"
request = urllib.request.Request(
    "https://127.0.0.1:{port}/subscriptions?api-version=2022-12-01",
    headers={{"Authorization": "Bearer " + token}},
)
try:
    urllib.request.urlopen(request, context=ssl._create_unverified_context(), timeout=10)
    status = 200
except urllib.error.HTTPError as exc:
    status = exc.code
assert (listed, status) == ("denied", 401), (listed, status)
"""


def test_a_learner_cannot_read_or_use_another_learners_lab(room_at_steps: Room) -> None:
    room = room_at_steps
    first, second, _ = room.settings.learners
    learner = room.learner(first)
    server = learner.start_server()
    learner.issue_token()
    code = ATTACK.format(home=pwd.getpwnam(second).pw_dir, port=_lab_port(second))
    assert asyncio.run(run_cell(learner, server, code)) is None


def test_roster_and_room_files_are_private(room: Room) -> None:
    assert room.home.roster_file.stat().st_mode & 0o777 == 0o600
    assert room.home.root.stat().st_mode & 0o777 == 0o700
    roster = json.loads(room.home.roster_file.read_text())
    assert set(room.settings.learners) <= set(roster)

"""Starting a room twice is safe; stopping it leaves nothing running; removing deletes users;
an idle learner is culled with their lab."""

from __future__ import annotations

import asyncio
import pwd
import socket
from pathlib import Path

import pytest

from podid_room.accounts import user_exists, user_pids
from podid_room.room import RoomOptions, _descendants, _runs, hub_pid, start, stop

from .conftest import HEADLESS, NOTEBOOKS, room_prerequisites_or_skip, started_room, wait_for

pytestmark = pytest.mark.slow


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_stop_leaves_nothing_running_and_can_remove_the_users(tmp_path: Path) -> None:
    room_prerequisites_or_skip()
    from podid_room.learner_client import run_notebook

    rooms = started_room(tmp_path, 1)
    room = next(rooms)
    try:
        name = room.settings.learners[0]
        learner = room.learner(name)
        server = learner.start_server()
        learner.issue_token()
        asyncio.run(run_notebook(learner, server, NOTEBOOKS / "00-introduction.ipynb", 0, HEADLESS))
        uid = pwd.getpwnam(name).pw_uid
        assert user_pids(uid), "the learner's server and lab run as the learner"
        # Starting again changes nothing: same hub, same learners, same passwords.
        again = start(room.home, RoomOptions(learners=5, port=0))
        assert again == room.settings
        assert room.home.roster() == room.roster

        hub = hub_pid(room.home)
        assert hub is not None
        started_by_hub = _descendants(hub)  # the proxy and the services among them
        done = stop(room.home)
        assert done[0] == "stopped JupyterHub, its proxy and services"
        assert hub_pid(room.home) is None
        assert [p for p in started_by_hub if _runs(p)] == []
        assert user_pids(uid) == []
        for port in (room.settings.port, room.settings.hub_port, room.settings.proxy_api_port):
            assert not _listening(port), port
        assert user_exists(name), "without --remove-users the learners stay"
        assert stop(room.home) == ["nothing was running"]

        stop(room.home, remove_users=True)
        assert not user_exists(name)
        assert not user_exists(room.settings.instructor)
        assert not room.home.root.exists()
    finally:
        rooms.close()


def test_an_idle_learners_server_and_lab_are_culled(tmp_path: Path) -> None:
    room_prerequisites_or_skip()
    from podid_room.learner_client import run_notebook

    rooms = started_room(tmp_path, 1, cull_after_s=10)
    room = next(rooms)
    try:
        name = room.settings.learners[0]
        learner = room.learner(name)
        server = learner.start_server()
        learner.issue_token()
        asyncio.run(run_notebook(learner, server, NOTEBOOKS / "00-introduction.ipynb", 0, HEADLESS))
        uid = pwd.getpwnam(name).pw_uid
        assert user_pids(uid)
        # jupyterhub-idle-culler stops the idle server; the room's hook stops the lab with it.
        wait_for(lambda: not user_pids(uid), timeout=90)
        model = learner.http.get(
            f"{room.settings.url}/hub/api/users/{name}",
            headers={"Authorization": f"token {learner.token}"},
            timeout=30,
        ).json()
        assert model["servers"] == {}
    finally:
        rooms.close()

"""A room of three learners for the room tests: real JupyterHub, PAM, Unix users, labs.

The room needs root (it creates users), `configurable-http-proxy` and a Python learners can run
(`make room-venv`); without them the tests skip (under CI=true they fail instead). The users and
processes a test room made are removed at the end even when a test fails.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from podid_room.home import RoomHome, RoomSettings
from podid_room.learner_client import HubLearner, RemoteKernel, code_cells, run_notebook
from podid_room.room import LEARNER_PYTHON, RoomOptions, start, stop

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
HEADLESS = ('import os; os.environ["PODID_HEADLESS"] = "1"',)
# Learner i runs the first STEPS[i] notebooks, so each stands at a different step; the last
# one then catches up in 08 and passes its first exercise (its code cells up to ex1's verify).
STEPS = (1, 2, 3)
TROUBLESHOOTING = NOTEBOOKS / "08-troubleshooting.ipynb"
EXERCISE_CELLS = next(
    i + 1 for i, code in enumerate(code_cells(TROUBLESHOOTING)) if code.startswith("ex1.verify(")
)
# Learner 2 runs 02's cluster check before creating the cluster: their last ✗.
EARLY_CHECK = "import podid_helpers as ph\nph.check_cluster_ready(ph.connect()).raise_if_failed()"
STUCK_AFTER_S = 4


def room_prerequisites_or_skip() -> None:
    """Skip (fail under CI) unless this machine can host a room."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (a room creates Unix users)")
    if shutil.which("configurable-http-proxy") is None:
        missing.append("configurable-http-proxy (npm install -g configurable-http-proxy)")
    if shutil.which("runuser") is None:
        missing.append("runuser (util-linux)")
    if not LEARNER_PYTHON.exists():
        missing.append(f"a Python learners can run at {LEARNER_PYTHON} (make room-venv)")
    if not missing:
        return
    message = "a room needs " + "; ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: the room tests must run)", pytrace=False)
    pytest.skip(message)


def unique_prefix() -> str:
    """A user-name prefix no one on this machine has (tests may run side by side)."""
    return "pr" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(5))


@dataclass
class Room:
    """A started room: its folder, settings and passwords."""

    home: RoomHome
    settings: RoomSettings
    roster: dict[str, str]

    def learner(self, name: str) -> HubLearner:
        """A signed-in learner (or instructor) session."""
        person = HubLearner(self.settings.url, name, self.roster[name])
        person.sign_in()
        return person


def started_room(tmp: Path, learners: int, **options: object) -> Iterator[Room]:
    """Start a room in ``tmp``; stop it and remove its users afterwards, whatever happened."""
    home = RoomHome(tmp / "room")
    try:
        settings = start(
            home,
            RoomOptions(
                learners=learners,
                prefix=unique_prefix(),
                instructor=unique_prefix() + "-teach",
                port=0,
                **options,  # type: ignore[arg-type]
            ),
        )
        yield Room(home, settings, home.roster())
    finally:
        if home.settings_file.exists():
            stop(home, remove_users=True)


@pytest.fixture(scope="session")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    """Three learners and an instructor, with a view that polls every second."""
    room_prerequisites_or_skip()
    yield from started_room(
        tmp_path_factory.mktemp("room"), 3, stuck_after_s=STUCK_AFTER_S, poll_s=1.0
    )


async def _walk(room: Room, name: str, count: int) -> None:
    learner = await asyncio.to_thread(room.learner, name)
    server = await asyncio.to_thread(learner.start_server)
    await asyncio.to_thread(learner.issue_token)
    for notebook in sorted(NOTEBOOKS.glob("0*.ipynb"))[:count]:
        runs = await run_notebook(learner, server, notebook, 0.0, HEADLESS)
        failed = [r for r in runs if r.error]
        assert not failed, f"{name} in {notebook.name}: {failed[0]}"
    if name == room.settings.learners[-1]:
        runs = await run_notebook(learner, server, TROUBLESHOOTING, 0.0, HEADLESS, EXERCISE_CELLS)
        failed = [r for r in runs if r.error]
        assert not failed, f"{name} in 08: {failed[0]}"


@pytest.fixture(scope="session")
def room_at_steps(room: Room) -> Room:
    """The room once learner i has run the first STEPS[i] notebooks (all at once)."""

    async def walk_all() -> None:
        await asyncio.gather(
            *(_walk(room, n, c) for n, c in zip(room.settings.learners, STEPS, strict=True))
        )
        second = room.learner(room.settings.learners[1])
        server = second.start_server()
        second.issue_token()
        error = await run_cell(second, server, EARLY_CHECK)
        assert error and error.startswith("CheckFailedError"), error

    asyncio.run(walk_all())
    return room


async def run_cell(learner: HubLearner, server: str, code: str) -> str | None:
    """Run ``code`` in a new kernel of the learner's; return its error (None if it passed)."""
    async with RemoteKernel(learner, server, "scratch.ipynb") as kernel:
        return await kernel.execute(code)


def wait_for(predicate, timeout: float = 60.0, every: float = 0.5):  # type: ignore[no-untyped-def]
    """Return the first truthy ``predicate()`` within ``timeout`` seconds, else fail."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"not within {timeout:.0f} s; last: {last!r}")

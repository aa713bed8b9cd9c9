"""A Jupyter server extension: the learner's progress at ``<server>/podid/progress``.

It runs inside the learner's own Jupyter server, as the learner, so it reads their settings and
asks their own lab; the instructor's room view reads it through the hub (``access:servers``),
never the learner's files. It never starts a lab: a learner who has not reached 00's
``connect()`` simply has nothing done yet.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

__all__ = ["ROUTE", "SERVER_ARGS", "read_progress"]

ROUTE = "podid/progress"
# A learner's server (jupyterhub-singleuser's command line) loads this extension and the lab's
# sign-in page (device codes are approved there, as under `make tutorial`).
SERVER_ARGS = [
    f"--ServerApp.jpserver_extensions={extension}=True"
    for extension in ("podid_room.progress", "podid_lab.jupyter_signin")
]
INTRODUCTION = "00-introduction"
# The room view polls every few seconds; the answer costs a dozen calls to the learner's lab.
_CACHE_S = 3.0
_cache: dict[str, Any] = {}


def read_progress() -> dict[str, Any]:
    """Return the learner's steps (done or not), exercises passed and last failed check."""
    from podid_helpers import connect, progress
    from podid_helpers.errors import PodidError
    from podid_helpers.exercise_kit import lab_admin
    from podid_helpers.last_failure import last_failure
    from podid_helpers.verify import check_settings_saved
    from podid_lab.home import LabHome
    from podid_lab.server import status

    saved = check_settings_saved().passed
    steps = [{"notebook": INTRODUCTION, "milestone": "settings saved", "done": saved}]
    running = status(LabHome.from_env()).running
    answer: dict[str, Any] = {
        "lab": "running" if running else "stopped",
        "steps": steps,
        "exercises": [],
        "lastFailure": last_failure(),
        "error": None,
    }
    if not running:
        return answer
    try:
        session = connect()
        items = progress(session).items
        # What `podid-lab exercises` lists: the lab's record of the exercises this learner passed.
        passes = lab_admin(session, "GET", "/_lab/exercises")["value"]
    except PodidError as exc:
        answer["error"] = str(exc).splitlines()[0]
        return answer
    steps.extend({"notebook": i.notebook, "milestone": i.milestone, "done": i.done} for i in items)
    answer["exercises"] = [{"exercise": p["exercise"], "title": p["title"]} for p in passes]
    return answer


def _cached_progress() -> dict[str, Any]:
    now = time.monotonic()
    if _cache.get("at", -_CACHE_S) + _CACHE_S <= now:
        _cache.update(at=now, value=read_progress())
    return dict(_cache["value"])


class ProgressHandler(APIHandler):
    """GET: the learner's progress as JSON (their own token, or the hub's access:servers)."""

    @web.authenticated
    async def get(self) -> None:
        """Answer with a fresh (at most a few seconds old) reading of the learner's progress."""
        snapshot = await asyncio.get_running_loop().run_in_executor(None, _cached_progress)
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(snapshot))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "podid_room.progress"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    route = url_path_join(serverapp.web_app.settings["base_url"], ROUTE)
    serverapp.web_app.add_handlers(".*$", [(route, ProgressHandler)])

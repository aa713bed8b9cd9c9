"""The instructor's room view: a JupyterHub service, instructors only (hub OAuth + scopes).

It asks the hub which learners have a server, reads each one's ``podid/progress`` through the
proxy with its own token (``access:servers``), and serves the table as a page that refreshes
itself. It never reads a learner's files. Run by the hub (``python -m podid_room.view``).
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import time
from importlib.resources import files
from typing import Any
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.web import Application, RequestHandler, authenticated

from .progress import ROUTE
from .standing import EXERCISES_COLUMN, Standing

__all__ = ["RoomWatch", "main"]


class RoomWatch:
    """Polls learners' progress through the hub and keeps the room's rows."""

    def __init__(
        self, learners: list[str], instructors: list[str], stuck_after_s: float, poll_s: float
    ) -> None:
        self.fixed = learners
        self.instructors = set(instructors)
        self.learners = list(learners)
        self.poll_s = poll_s
        self.standing = Standing(stuck_after_s)
        self.rows: dict[str, dict[str, Any]] = {}
        self.updated: float | None = None
        self._token = os.environ["JUPYTERHUB_API_TOKEN"]
        self._api = os.environ["JUPYTERHUB_API_URL"]
        self._proxy = os.environ["PODID_ROOM_PROXY_URL"]
        self._http = AsyncHTTPClient()

    async def _get(self, url: str) -> Any:
        request = HTTPRequest(
            url,
            headers={"Authorization": f"token {self._token}"},
            request_timeout=30,
            follow_redirects=False,
        )
        return json.loads((await self._http.fetch(request)).body)

    async def _reading(self, name: str, user: dict[str, Any] | None) -> tuple[str, Any]:
        server = ((user or {}).get("servers") or {}).get("")
        if not server or not server.get("ready"):
            return "stopped", None
        try:
            return "running", await self._get(url_path_join(self._proxy, server["url"], ROUTE))
        except (HTTPClientError, OSError, ValueError):
            return "unreachable", None

    async def poll_once(self) -> None:
        """Read every learner once and refresh the rows."""
        users = await self._get(url_path_join(self._api, "users"))
        by_name = {u["name"]: u for u in users}
        # Without a fixed roster (Kubernetes), every signed-up user but the instructors.
        self.learners = self.fixed or sorted(set(by_name) - self.instructors)
        readings = await asyncio.gather(*(self._reading(n, by_name.get(n)) for n in self.learners))
        now = time.time()
        for name, (server, reading) in zip(self.learners, readings, strict=True):
            self.rows[name] = self.standing.update(name, server, reading, now).as_json()
        self.updated = now

    async def run(self) -> None:
        """Poll forever, every ``poll_s`` seconds."""
        while True:
            try:
                await self.poll_once()
            except (HTTPClientError, OSError, ValueError, KeyError) as exc:
                print(f"room view: poll failed: {exc}", flush=True)
            await asyncio.sleep(self.poll_s)

    def as_json(self) -> dict[str, Any]:
        """The whole room: columns, rows in roster order, and when it was read."""
        return {
            "columns": [*self.standing.columns, EXERCISES_COLUMN],
            "stuckAfterSeconds": self.standing.stuck_after_s,
            "updated": self.updated,
            "learners": [self.rows[n] for n in self.learners if n in self.rows],
        }


class _Instructors(HubOAuthenticated, RequestHandler):
    # Only who holds access:services!service=podid-room (the instructors group) gets in.
    def initialize(self, watch: RoomWatch) -> None:
        self.watch = watch


class PageHandler(_Instructors):
    """The room view page (it fetches ``api/room`` every few seconds)."""

    @authenticated
    def get(self) -> None:
        """Send the page, with the XSRF token its requests must carry (hub's cookie-auth rule)."""
        page = (files("podid_room") / "static" / "room.html").read_text(encoding="utf-8")
        xsrf = html.escape(self.xsrf_token.decode("ascii"))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page.replace("__XSRF_TOKEN__", xsrf))


class RoomApiHandler(_Instructors):
    """The room as JSON."""

    @authenticated
    def get(self) -> None:
        """Send the latest rows."""
        self.set_header("Cache-Control", "no-store")
        self.finish(self.watch.as_json())


async def _serve() -> None:
    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]

    def names(variable: str) -> list[str]:
        return [n for n in os.environ.get(variable, "").split(",") if n]

    watch = RoomWatch(
        names("PODID_ROOM_LEARNERS"),
        names("PODID_ROOM_INSTRUCTORS"),
        stuck_after_s=float(os.environ.get("PODID_ROOM_STUCK_AFTER_S", "600")),
        poll_s=float(os.environ.get("PODID_ROOM_POLL_S", "5")),
    )
    app = Application(
        [
            (prefix, PageHandler, {"watch": watch}),
            (url_path_join(prefix, "api/room"), RoomApiHandler, {"watch": watch}),
            (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
        ],
        cookie_secret=os.urandom(32),
    )
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    app.listen(url.port or 80, url.hostname or "127.0.0.1")
    await watch.run()


def main() -> None:
    """Run the service until the hub stops it."""
    asyncio.run(_serve())


if __name__ == "__main__":
    main()

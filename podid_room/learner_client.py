"""A simulated learner: signs in through the hub with their password, runs notebook cells in
their own kernel over Jupyter's REST and WebSocket APIs, as JupyterLab does.

Used by ``bench/bench_room.py`` and the room's tests. Code cells run exactly as stored;
``prelude`` cells (e.g. headless settings) run first and are not timed.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

__all__ = ["CellRun", "HubLearner", "LearnerError", "RemoteKernel", "code_cells", "run_notebook"]

_SPAWN_S = 120.0
_KERNEL_S = 120.0
_CELL_S = 300.0


class LearnerError(RuntimeError):
    """The hub or the learner's server refused or failed a step (the message says which)."""


@dataclass(frozen=True)
class CellRun:
    """One executed cell: where it is, how long it took, and its error (None if it passed)."""

    notebook: str
    index: int
    seconds: float
    error: str | None


def code_cells(notebook: Path) -> list[str]:
    """Return the source of each code cell of ``notebook``, in order."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in cells
        if c["cell_type"] == "code"
    ]


class HubLearner:
    """One learner's browser-like session with the hub and, once started, their server."""

    def __init__(self, hub_url: str, name: str, password: str) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.name = name
        self.password = password
        self.http = requests.Session()
        self.http.trust_env = False  # plain HTTP on this machine: no proxy, no CA bundle
        self.token: str | None = None

    def _hub_api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        xsrf = self.http.cookies.get("_xsrf", path="/hub/") or ""
        return self.http.request(
            method,
            f"{self.hub_url}/hub/api/{path}",
            headers={"X-XSRFToken": xsrf},
            timeout=60,
            **kwargs,
        )

    def sign_in(self) -> None:
        """Sign in with the password, as the login form does."""
        self.http.get(f"{self.hub_url}/hub/login", timeout=30)
        answer = self.http.post(
            f"{self.hub_url}/hub/login",
            data={
                "username": self.name,
                "password": self.password,
                "_xsrf": self.http.cookies.get("_xsrf", path="/hub/") or "",
            },
            allow_redirects=False,
            timeout=60,
        )
        if answer.status_code != 302:
            raise LearnerError(f"{self.name}: sign-in refused (HTTP {answer.status_code})")

    def start_server(self) -> str:
        """Start this learner's server (if needed), wait until ready; return its URL prefix."""
        answer = self._hub_api("POST", f"users/{self.name}/server")
        if answer.status_code not in (201, 202, 400):  # 400: already running
            raise LearnerError(f"{self.name}: spawn refused (HTTP {answer.status_code})")
        deadline = time.monotonic() + _SPAWN_S
        while time.monotonic() < deadline:
            model = self._hub_api("GET", f"users/{self.name}").json()
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                return str(server["url"])
            time.sleep(0.5)
        raise LearnerError(f"{self.name}: server not ready within {_SPAWN_S:.0f} s")

    def issue_token(self) -> str:
        """Ask the hub for an API token of this learner's own (what JupyterLab's token is)."""
        answer = self._hub_api("POST", f"users/{self.name}/tokens", json={"note": "podid-room"})
        if answer.status_code != 201:
            raise LearnerError(f"{self.name}: no token (HTTP {answer.status_code})")
        self.token = str(answer.json()["token"])
        return self.token

    def server_get(self, server_url: str, path: str) -> requests.Response:
        """GET ``path`` of a server (its URL as the hub gives it) with this learner's token."""
        return self.http.get(
            f"{self.hub_url}{server_url}{path}",
            headers={"Authorization": f"token {self.token}"},
            allow_redirects=False,
            timeout=60,
        )


class RemoteKernel:
    """A kernel in the learner's server for one notebook (a session, as JupyterLab opens)."""

    def __init__(self, learner: HubLearner, server_url: str, notebook_path: str) -> None:
        self.learner = learner
        self.base = f"{learner.hub_url}{server_url}"
        self.path = notebook_path
        self.session_id = ""
        self.kernel_id = ""
        self._socket: WebSocketClientConnection | None = None
        self._client_session = uuid.uuid4().hex

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.learner.token}"}

    async def __aenter__(self) -> RemoteKernel:
        body: dict[str, Any] = {
            "path": self.path,
            "type": "notebook",
            "kernel": {"name": "python3"},
        }
        answer = await asyncio.to_thread(
            self.learner.http.post,
            f"{self.base}api/sessions",
            json=body,
            headers=self._headers(),
            timeout=_KERNEL_S,
        )
        if answer.status_code != 201:
            raise LearnerError(f"{self.learner.name}: no kernel (HTTP {answer.status_code})")
        model = answer.json()
        self.session_id, self.kernel_id = model["id"], model["kernel"]["id"]
        ws_url = self.base.replace("http", "ws", 1)
        self._socket = await websocket_connect(
            HTTPRequest(
                f"{ws_url}api/kernels/{self.kernel_id}/channels?session_id={self._client_session}",
                headers=self._headers(),
                # The server answers once the kernel is up; in a loaded room that can take
                # longer than tornado's 20 s default, which a browser's WebSocket does not impose.
                connect_timeout=_KERNEL_S,
                request_timeout=_KERNEL_S,
            )
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._socket is not None:
            self._socket.close()
        await asyncio.to_thread(
            self.learner.http.delete,
            f"{self.base}api/sessions/{self.session_id}",
            headers=self._headers(),
            timeout=60,
        )

    def _closed(self) -> str:
        assert self._socket is not None
        code, reason = self._socket.close_code, self._socket.close_reason
        return f"kernel connection closed by the server (code {code}, reason {reason!r})"

    async def execute(self, code: str) -> str | None:
        """Run ``code``; return None if it passed, else ``ename: evalue``."""
        assert self._socket is not None
        msg_id = uuid.uuid4().hex
        message = {
            "header": {
                "msg_id": msg_id,
                "msg_type": "execute_request",
                "username": self.learner.name,
                "session": self._client_session,
                "version": "5.3",
                "date": "",
            },
            "parent_header": {},
            "metadata": {},
            "content": {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
            "channel": "shell",
            "buffers": [],
        }
        try:
            await self._socket.write_message(json.dumps(message))
        except WebSocketClosedError:
            return self._closed()
        while True:
            raw = await asyncio.wait_for(self._socket.read_message(), _CELL_S)
            if raw is None:
                return self._closed()
            reply = json.loads(raw)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if reply["header"]["msg_type"] == "execute_reply":
                content = reply["content"]
                if content.get("status") == "ok":
                    return None
                return f"{content.get('ename')}: {content.get('evalue')}"


async def run_notebook(
    learner: HubLearner,
    server_url: str,
    notebook: Path,
    think_s: float,
    prelude: tuple[str, ...] = (),
    limit: int | None = None,
) -> list[CellRun]:
    """Run ``notebook``'s code cells (the first ``limit``) in a new kernel, pausing ``think_s``
    before each."""
    runs: list[CellRun] = []
    async with RemoteKernel(learner, server_url, notebook.name) as kernel:
        for code in prelude:
            error = await kernel.execute(code)
            if error:
                raise LearnerError(f"{learner.name}: prelude failed: {error}")
        for index, code in enumerate(code_cells(notebook)[:limit]):
            await asyncio.sleep(think_s)
            began = time.monotonic()
            error = await kernel.execute(code)
            runs.append(CellRun(notebook.stem, index, time.monotonic() - began, error))
            if error:
                break  # as "Run All" does: the rest would only fail after it
    return runs

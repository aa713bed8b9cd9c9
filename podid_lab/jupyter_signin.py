"""The sign-in page in the learner's own JupyterLab: approve or decline a device code.

A Jupyter server extension, so the page sits behind Jupyter's own login and a browser on
another machine in the room reaches it wherever JupyterLab is served. It answers through the
lab's keyed `/_lab/signin` route with the admin key of the lab home it runs next to, and tells
the lab its address, which the device-code response then names as `verification_uri`.
Enabled by `make tutorial`, or: jupyter lab --ServerApp.jpserver_extensions=
"{'podid_lab.jupyter_signin': True}".
"""

from __future__ import annotations

import asyncio
import html
import json
import os
from typing import Any

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join

from .cli import answer_signin
from .home import LabHome, write_private
from .server import LabError

PAGE_PATH = ("podid", "signin")


def _page(handler: JupyterHandler, outcome: str = "") -> str:
    said = f"<p><strong>{html.escape(outcome)}</strong></p>" if outcome else ""
    return (
        "<!doctype html><meta charset='utf-8'><title>podid lab sign-in</title>"
        "<h1>Approve a sign-in</h1>"
        "<p>Enter the code <code>az login --use-device-code</code> printed. Approve it only if "
        "you started that sign-in yourself: it signs in as the lab user, who owns the lab "
        f"subscription.</p>{said}<form method='post'>{handler.xsrf_form_html()}"
        "<input name='user_code' autocomplete='off' required> "
        "<button name='answer' value='approve'>Approve</button> "
        "<button name='answer' value='decline'>Decline</button></form>"
    )


class SignInPage(JupyterHandler):
    """GET shows the form; POST answers the code."""

    @tornado.web.authenticated
    def get(self) -> None:
        self.finish(_page(self))

    @tornado.web.authenticated
    async def post(self) -> None:
        code = self.get_body_argument("user_code", "")
        answer = self.get_body_argument("answer", "")
        if answer not in ("approve", "decline"):
            raise tornado.web.HTTPError(400, "answer must be approve or decline")
        try:
            outcome = await asyncio.to_thread(answer_signin, LabHome.from_env(), answer, code)
        except LabError as exc:
            self.set_status(404)
            outcome = str(exc)
        self.finish(_page(self, outcome))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "podid_lab.jupyter_signin"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    web_app = serverapp.web_app
    route = url_path_join(web_app.settings["base_url"], *PAGE_PATH)
    web_app.add_handlers(".*$", [(route, SignInPage)])
    home = LabHome.from_env()
    home.ensure()
    url = url_path_join(serverapp.connection_url, *PAGE_PATH)
    # With the server's PID, so the lab stops naming the page once this server is gone.
    write_private(home.signin_url_file, json.dumps({"url": url, "pid": os.getpid()}).encode())

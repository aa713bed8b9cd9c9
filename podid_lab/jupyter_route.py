"""The inside page through the learner's own Jupyter server, at `<jupyter>/podid/ui/`.

A Jupyter server extension: behind Jupyter's login, it forwards GETs of the page's few paths to
the lab, with the lab's admin key (the Jupyter server runs as the lab's owner, who can read
it), and streams the event feed as it comes. So a browser in the room that can reach Jupyter
sees the page, through links that name no port. Nothing else of the lab is reachable this way.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from .admin import ADMIN_HEADER
from .events.http import SECURITY_HEADERS
from .home import LabHome
from .server import status

# The page, its three files and its three data routes; not the sign-in link, not the admin.
FORWARDED = (
    "ui/",
    "ui/app.js",
    "ui/i18n.js",
    "ui/app.css",
    "events",
    "events/stream",
    "events/clusters",
)
STREAM = "events/stream"
STREAM_SECONDS = 12 * 3600.0


class InsidePageHandler(JupyterHandler):  # type: ignore[misc]
    """GET one of the page's paths from the lab, for a user signed in to Jupyter."""

    _browser_left = False

    def set_default_headers(self) -> None:
        super().set_default_headers()
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    @web.authenticated  # type: ignore[misc]
    async def get(self, path: str) -> None:
        if path not in FORWARDED:
            raise web.HTTPError(404)
        home = LabHome.from_env()
        lab = status(home)
        if not lab.running:
            raise web.HTTPError(503, "the lab is not running; start it with: podid-lab start")
        headers = {ADMIN_HEADER: home.admin_key()}
        if last := self.request.headers.get("Last-Event-ID"):
            headers["Last-Event-ID"] = last
        query = f"?{self.request.query}" if self.request.query else ""
        request = HTTPRequest(
            f"https://127.0.0.1:{lab.port}/_lab/{path}{query}",
            headers=headers,
            ca_certs=str(home.ca_cert),
            request_timeout=STREAM_SECONDS if path == STREAM else 30.0,
            streaming_callback=self._relay if path == STREAM else None,
        )
        if path == STREAM:
            self.set_header("Content-Type", "text/event-stream")
        try:
            answer = await AsyncHTTPClient().fetch(request, raise_error=False)
        except (HTTPClientError, OSError):
            if path == STREAM:
                return  # the browser left, or the lab stopped: EventSource reconnects
            raise
        if path != STREAM:
            self.set_status(answer.code)
            self.set_header("Content-Type", answer.headers.get("Content-Type", "text/plain"))
            self.finish(answer.body)

    def on_connection_close(self) -> None:
        self._browser_left = True

    def _relay(self, chunk: bytes) -> None:
        if self._browser_left:
            raise OSError("the browser left")  # ends the request to the lab too
        self.write(chunk)
        self.flush()


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "podid_lab.jupyter_route"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings["base_url"]
    # Beside the sign-in page (podid/signin, see jupyter_signin): the page's and its data's paths.
    route = url_path_join(base, "podid", "((?:ui|events).*)")
    serverapp.web_app.add_handlers(".*$", [(route, InsidePageHandler)])

"""The owner's window on the event log: JSON, a server-sent stream, the clusters, and the page.

Only the lab's owner gets in: with the admin key (the CLI, the notebooks' helpers, a Jupyter
proxy running as the owner), or with the session cookie a one-time sign-in link sets, as
Jupyter's token link does. Every link the page follows is relative, so it works the same behind
a proxy that mounts `/_lab/` elsewhere.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator
from importlib import resources
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from ..admin import ADMIN_HEADER
from .views import cluster_views

if TYPE_CHECKING:
    from ..lab import Lab

COOKIE = "podid_lab_ui"
LINK_SECONDS = 600
STREAM_POLL_SECONDS = 0.3
HEARTBEAT_SECONDS = 15.0
# The page loads only its own files: no inline script or style, nothing from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_STATIC = {"app.js": "text/javascript", "i18n.js": "text/javascript", "app.css": "text/css"}


class UiSessions:
    """One-time sign-in links and the browser sessions they open (memory only)."""

    def __init__(self) -> None:
        self._links: dict[str, float] = {}
        self._sessions: set[str] = set()

    def new_link(self) -> str:
        """A sign-in code that works once, within LINK_SECONDS."""
        now = time.time()
        self._links = {c: until for c, until in self._links.items() if until > now}
        code = secrets.token_urlsafe(24)
        self._links[code] = now + LINK_SECONDS
        return code

    def redeem(self, code: str) -> str | None:
        """A new session for a valid unused `code` (which is then spent), else None."""
        expires = self._links.pop(code, 0.0)
        if expires < time.time():
            return None
        session = secrets.token_urlsafe(32)
        self._sessions.add(session)
        return session

    def valid(self, session: str) -> bool:
        """True for a session a sign-in link opened."""
        return any(hmac.compare_digest(session, known) for known in self._sessions)


def _lab(request: Request) -> Lab:
    return request.app.state.lab  # type: ignore[no-any-return]


def _sessions(request: Request) -> UiSessions:
    return request.app.state.ui_sessions  # type: ignore[no-any-return]


def _is_owner(request: Request) -> bool:
    key = request.headers.get(ADMIN_HEADER, "")
    if key and hmac.compare_digest(key, _lab(request).home.admin_key()):
        return True
    return _sessions(request).valid(request.cookies.get(COOKIE, ""))


def _refused() -> Response:
    return JSONResponse(
        {
            "error": {
                "code": "OwnerOnly",
                "message": f"Only the lab's owner may look inside: send the admin key in "
                f"{ADMIN_HEADER}, or open the page with the link `podid-lab ui --url` prints.",
            }
        },
        status_code=401,
        headers=SECURITY_HEADERS,
    )


def _after(request: Request) -> int:
    raw = request.query_params.get("after") or request.headers.get("last-event-id") or "0"
    return int(raw) if raw.isdigit() else 0


async def events(request: Request) -> Response:
    """GET the events after `?after=N` (all kept ones by default), with the newest number."""
    if not _is_owner(request):
        return _refused()
    log = _lab(request).events
    return JSONResponse({"value": log.after(_after(request)), "last": log.last})


async def stream(request: Request) -> Response:
    """Server-sent events: each new event as it is recorded (resumes after Last-Event-ID)."""
    if not _is_owner(request):
        return _refused()
    log = _lab(request).events

    async def feed() -> AsyncIterator[str]:
        seen, quiet = _after(request), 0.0
        yield "retry: 1000\n\n"
        while not await request.is_disconnected():
            fresh = log.after(seen)
            for event in fresh:
                yield f"id: {event['seq']}\ndata: {json.dumps(event)}\n\n"
                seen = event["seq"]
            quiet = 0.0 if fresh else quiet + STREAM_POLL_SECONDS
            if quiet >= HEARTBEAT_SECONDS:
                yield ": still here\n\n"
                quiet = 0.0
            await asyncio.sleep(STREAM_POLL_SECONDS)

    return StreamingResponse(
        feed(),
        media_type="text/event-stream",
        headers={**SECURITY_HEADERS, "X-Accel-Buffering": "no"},
    )


async def clusters(request: Request) -> Response:
    """GET per cluster: identities, bindings, pods, and which pod may use which identity."""
    if not _is_owner(request):
        return _refused()
    return JSONResponse({"value": cluster_views(_lab(request))}, headers=SECURITY_HEADERS)


async def link(request: Request) -> Response:
    """POST (admin key only): a one-time sign-in path for the page."""
    key = request.headers.get(ADMIN_HEADER, "")
    if not key or not hmac.compare_digest(key, _lab(request).home.admin_key()):
        return _refused()
    code = _sessions(request).new_link()
    return JSONResponse({"path": f"/_lab/ui/signin?code={code}", "expires_in": LINK_SECONDS})


async def signin(request: Request) -> Response:
    """Spend a one-time code: set the session cookie and go to the page."""
    session = _sessions(request).redeem(request.query_params.get("code", ""))
    if session is None:
        return _refused()
    response = RedirectResponse("./", status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(
        COOKIE, session, path="/_lab/", secure=True, httponly=True, samesite="strict"
    )
    return response


def _asset(name: str) -> str:
    return resources.files("podid_lab").joinpath(f"data/ui/{name}").read_text(encoding="utf-8")


async def page(request: Request) -> Response:
    """The page itself (owner only)."""
    if not _is_owner(request):
        return _refused()
    return Response(_asset("index.html"), media_type="text/html", headers=SECURITY_HEADERS)


async def static(request: Request) -> Response:
    """The page's script and style sheet (public: they hold no data)."""
    name = request.path_params["name"]
    if name not in _STATIC:
        return JSONResponse({"error": {"code": "NotFound", "message": name}}, status_code=404)
    return Response(_asset(name), media_type=_STATIC[name], headers=SECURITY_HEADERS)


def install(app: Any) -> None:
    """Give `app` the sign-in state the routes need."""
    app.state.ui_sessions = UiSessions()


routes = [
    Route("/_lab/events", events, methods=["GET"]),
    Route("/_lab/events/stream", stream, methods=["GET"]),
    Route("/_lab/events/clusters", clusters, methods=["GET"]),
    Route("/_lab/ui/link", link, methods=["POST"]),
    Route("/_lab/ui/signin", signin, methods=["GET"]),
    Route("/_lab/ui/", page, methods=["GET"]),
    Route("/_lab/ui/{name}", static, methods=["GET"]),
]

"""The lab's ASGI app: admin, Entra ID and ARM on one HTTPS origin."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import admin
from .arm import metadata as arm_metadata
from .arm.http import arm_endpoint
from .azext import http as azext_http
from .entra import http as entra_http
from .entra import signin as entra_signin
from .graph import http as graph_http
from .kube import http as kube_http
from .lab import Lab
from .nmi import http as nmi_http
from .workload_identity import issuer as oidc_issuer

log = logging.getLogger("podid_lab")

ALL_METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"]
TICK_SECONDS = 0.2


class RequestIds:
    """Adds ARM's request-id headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        client_id = dict(scope["headers"]).get(b"x-ms-client-request-id", b"").decode()

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-ms-request-id", request_id.encode()))
                headers.append((b"x-ms-correlation-request-id", request_id.encode()))
                if client_id:
                    headers.append((b"x-ms-client-request-id", client_id.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_ids)


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"error": {"code": "NotFound", "message": f"No lab endpoint serves '{request.url.path}'."}},
        status_code=404,
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error serving %s", request.url.path)
    return JSONResponse(
        {"error": {"code": "InternalServerError", "message": "The lab hit an internal error."}},
        status_code=500,
    )


def build_app(lab: Lab, *, tickers: list[Callable[[], object]] | None = None) -> ASGIApp:
    """The ASGI app serving `lab`, with a background ticker for due operations."""
    ticks: list[Callable[[], object]] = [
        lab.operations.tick,
        lab.kube.tick,
        lab.runtime.tick,
        lab.vault_listeners.tick,
        *(tickers or []),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def tick_forever() -> None:
            while True:
                for tick in ticks:
                    try:
                        tick()
                    except Exception:
                        log.exception("background tick failed")
                await asyncio.sleep(TICK_SECONDS)

        task = asyncio.create_task(tick_forever())
        try:
            yield
        finally:
            task.cancel()
            await lab.runtime.close()

    routes = [
        *admin.routes,
        *nmi_http.admin_routes,
        *entra_http.routes,
        *entra_signin.routes,
        *graph_http.routes,
        *arm_metadata.routes,
        *azext_http.routes,
        *kube_http.routes,
        *oidc_issuer.routes,
        Route("/{path:path}", arm_endpoint, methods=ALL_METHODS),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 500: _server_error},
    )
    app.state.lab = lab
    app.state.reset_hooks = [lab.nmi.forget]
    return RequestIds(app)

"""The IMDS endpoint pods reach (plain HTTP, as IMDS is): NMI's routes, per pod."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .models import Reply

if TYPE_CHECKING:
    from ..lab import Lab

POD = "/nmi/{cluster}/{namespace}/{pod}"
# NMI answers 400 to anything that looks like the token path but is not exactly it.
_TOKENISH = re.compile(r"/(?i:metadata)/identity(.*?)oauth2(.*?)token")


def _render(reply: Reply) -> Response:
    if reply.is_json:
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)
    headers = dict(reply.headers or {})
    media_type = headers.pop("Content-Type", "text/plain; charset=utf-8")
    return Response(reply.body, status_code=reply.status, headers=headers, media_type=media_type)


def _args(request: Request) -> tuple[str, str, str, dict[str, str], str]:
    p = request.path_params
    return (
        p["cluster"],
        p["namespace"],
        p["pod"],
        dict(request.query_params),
        request.headers.get("metadata", ""),
    )


async def token(request: Request) -> Response:
    lab: Lab = request.app.state.lab
    return _render(lab.nmi.token(*_args(request)))


async def instance(request: Request) -> Response:
    lab: Lab = request.app.state.lab
    return _render(lab.nmi.instance(*_args(request)))


async def other(request: Request) -> Response:
    rest = "/" + request.path_params["rest"]
    if _TOKENISH.search(rest):
        return PlainTextResponse("Invalid request\n", status_code=400)
    return JSONResponse({"error": "Not found"}, status_code=404)


def build_imds_app(lab: Lab) -> Starlette:
    """The plain-HTTP app that serves every pod's IMDS endpoint."""
    app = Starlette(
        routes=[
            Route(POD + "/metadata/identity/oauth2/token", token, methods=["GET"]),
            Route(POD + "/metadata/instance", instance, methods=["GET"]),
            Route(POD + "/{rest:path}", other),
        ]
    )
    app.state.lab = lab
    return app

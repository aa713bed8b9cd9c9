"""HTTP for the extension index: az fetches the index, then the wheel it names (no sign-in)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import INDEX_PATH, WHEEL_PATH, index_doc, wheel_bytes


async def index(request: Request) -> Response:
    """The index, with download URLs on the origin az asked."""
    try:
        return JSONResponse(index_doc(str(request.base_url).rstrip("/")))
    except FileNotFoundError as exc:
        # Not ARM: az prints the status; the lab's log and this body say why.
        return JSONResponse({"error": {"code": "NotFound", "message": str(exc)}}, status_code=404)


async def wheel(request: Request) -> Response:
    """The wheel itself."""
    return Response(wheel_bytes(), media_type="application/octet-stream")


routes = [
    Route(INDEX_PATH, index, methods=["GET"]),
    Route(WHEEL_PATH, wheel, methods=["GET"]),
]

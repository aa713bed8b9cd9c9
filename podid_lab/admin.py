"""The lab's admin routes: health (open), reset, knobs and exercise passes (need the admin key)."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import __version__, knobs
from .bodies import parse_json

if TYPE_CHECKING:
    from .lab import Lab

ADMIN_HEADER = "x-podid-lab-key"


def _lab(request: Request) -> Lab:
    return request.app.state.lab  # type: ignore[no-any-return]


def denied(request: Request) -> Response | None:
    """None when the request carries the admin key, else the 401 to send."""
    given = request.headers.get(ADMIN_HEADER, "")
    if hmac.compare_digest(given, _lab(request).home.admin_key()):
        return None
    return JSONResponse(
        {
            "error": {
                "code": "AdminKeyRequired",
                "message": f"Send the lab's admin key in {ADMIN_HEADER}.",
            }
        },
        status_code=401,
    )


async def health(request: Request) -> Response:
    """Liveness, version, which checks are enforced, and the knobs in force."""
    body = _lab(request).health()
    body["version"] = __version__
    return JSONResponse(body)


async def reset(request: Request) -> Response:
    """Forget all resources (keeps CA, keys, learner secret and port)."""
    if (refused := denied(request)) is not None:
        return refused
    lab = _lab(request)
    lab.reset()
    for hook in request.app.state.reset_hooks:
        hook()
    return JSONResponse({"status": "reset"})


async def settings(request: Request) -> Response:
    """GET the knobs; PUT/PATCH a JSON object of knob -> value to change them."""
    lab = _lab(request)
    if request.method == "GET":
        return JSONResponse(lab.knobs)
    if (refused := denied(request)) is not None:
        return refused
    try:
        changes = parse_json(await request.body() or b"{}")
        if not isinstance(changes, dict):
            raise ValueError("expected a JSON object of knob names to values")
        coerced = {name: knobs.coerce(name, value) for name, value in changes.items()}
    except (ValueError, KeyError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        return JSONResponse(
            {"error": {"code": "InvalidKnob", "message": str(message)}}, status_code=400
        )
    lab.knobs.update(coerced)
    knobs.save(lab.home, lab.knobs)
    return JSONResponse(lab.knobs)


async def exercises(request: Request) -> Response:
    """GET the exercise passes; POST {"exercise", "title"} records one; DELETE forgets all."""
    if (refused := denied(request)) is not None:
        return refused
    passes = _lab(request).exercises
    if request.method == "GET":
        return JSONResponse({"value": passes.all()})
    if request.method == "DELETE":
        return JSONResponse({"cleared": passes.clear()})
    try:
        body = parse_json(await request.body() or b"{}")
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object with 'exercise' and 'title'")
        doc = passes.record(body.get("exercise"), body.get("title"))
    except ValueError as exc:
        return JSONResponse(
            {"error": {"code": "InvalidExercisePass", "message": str(exc)}}, status_code=400
        )
    return JSONResponse(doc)


routes = [
    Route("/_lab/health", health, methods=["GET"]),
    Route("/_lab/reset", reset, methods=["POST"]),
    Route("/_lab/settings", settings, methods=["GET", "PUT", "PATCH"]),
    Route("/_lab/exercises", exercises, methods=["GET", "POST", "DELETE"]),
]

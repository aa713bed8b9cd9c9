"""ARM's front door: authenticate, validate, authorize, dispatch, and always answer in JSON."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..bodies import parse_json
from ..entra.models import ARM_AUDIENCES, Principal, TokenRejected
from . import errors
from .request import ArmRequest, parse_api_version

if TYPE_CHECKING:
    from ..lab import Lab

log = logging.getLogger("podid_lab.arm")


def error_response(exc: errors.ArmError) -> Response:
    """The ARM envelope for an error."""
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


def authenticate(request: Request, lab: Lab) -> Principal:
    """The caller behind the bearer token, or 401 with ARM's code for what is wrong."""
    authority = f"{str(request.base_url).rstrip('/')}/{lab.tenant_id}"
    header = request.headers.get("authorization", "")
    if not header:
        raise errors.authentication_failed(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            authority,
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.authentication_failed(
            "AuthenticationFailedInvalidHeader",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            authority,
        )
    try:
        return lab.directory.verify(token.strip(), ARM_AUDIENCES)
    except TokenRejected as exc:
        raise errors.authentication_failed(exc.code, exc.message, authority) from None


async def read_json_body(request: Request, limit: int) -> Any:
    """The request body parsed as JSON (None when empty); 400 if too large or malformed."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise errors.body_too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise errors.body_too_large(limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    try:
        return parse_json(raw)
    except ValueError as exc:  # malformed, not UTF-8, or nested too deep
        raise errors.invalid_request_content(str(exc)) from None


async def arm_endpoint(request: Request) -> Response:
    """Serve one ARM request through the route table."""
    lab: Lab = request.app.state.lab
    try:
        lab.operations.tick()
        principal = authenticate(request, lab)
        api_version = parse_api_version(request.query_params.get("api-version"))
        path = request.url.path
        if {"", ".", ".."} & set(path.rstrip("/").split("/")[1:]):
            raise errors.malformed_path(path)
        route, params, path_known = lab.arm_router.match(request.method, path)
        if route is None:
            if path_known:
                raise errors.method_not_allowed(request.method, path)
            raise errors.unknown_route(path, api_version)
        body = await read_json_body(request, int(lab.knobs["max_body_bytes"]))
        req = ArmRequest(request, lab, params, principal, api_version, body)
        if "subscriptionId" in params:
            req.require_subscription()
        action = route.action_for(params)
        if action:
            scope = route.scope_for(params)
            if path.lower().startswith(scope.lower()):
                scope = path[: len(scope)]  # ARM quotes the scope as the caller spelled it
            lab.authorizer.require(principal.object_id, action, scope)
        # Handlers do not await once the body is read, so the transaction cannot interleave
        # with another request's; a failure leaves the state as it was.
        with lab.store.transaction():
            return await route.handler(req)
    except errors.ArmError as exc:
        return error_response(exc)
    except Exception:
        log.exception("unhandled error serving %s %s", request.method, request.url.path)
        return error_response(
            errors.ArmError(
                500,
                "InternalServerError",
                "The lab hit an internal error; the request changed nothing. See the lab log.",
            )
        )

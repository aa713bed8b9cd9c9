"""User sign-in for a stock `az`: device code (approved by the lab's owner) and refresh."""

from __future__ import annotations

import base64
import html
import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .. import ids
from ..admin import denied
from ..bodies import parse_json
from .devicecodes import Answer, UnknownUserCode
from .http import check_resource, error_response
from .models import EntraError, check_tenant, unknown_application

if TYPE_CHECKING:
    from ..lab import Lab

Grant = Callable[[Request, dict[str, str]], Awaitable[dict[str, Any]]]

# The public clients the lab tenant lets users sign in to (a first-party app on Azure).
AZURE_CLI_APP_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
PUBLIC_CLIENTS = {AZURE_CLI_APP_ID: "Microsoft Azure CLI"}
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_CODE_SECONDS = 900
REFRESH_TOKEN_SECONDS = 90 * 24 * 3600
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
DEVICE_LOGIN_PATH = "/devicelogin"
# Users sign in through `organizations` and `common` as well as through the tenant itself.
USER_AUTHORITIES = ("organizations", "common")


def _origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _lab(request: Request) -> Lab:
    return request.app.state.lab  # type: ignore[no-any-return]


def _public_client(client_id: str) -> str:
    if client_id not in PUBLIC_CLIENTS:
        raise unknown_application(client_id)
    return client_id


def _resource_scopes(scope: str) -> list[str]:
    """The requested scopes other than OpenID Connect's; exactly one `…/.default` is served."""
    scopes = [s for s in scope.split() if s not in OIDC_SCOPES]
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        raise EntraError(
            400,
            "invalid_scope",
            70011,
            f"The provided request must include a 'scope' input parameter. The provided value "
            f"for the input parameter 'scope' is not valid: '{scope}'. The lab serves one "
            "resource's '/.default' scope per request.",
        )
    return scopes


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _user_tokens(request: Request, client_id: str, scope: str) -> dict[str, Any]:
    """The lab user's tokens for `scope`: access, refresh and id token, and MSAL's client_info."""
    lab = _lab(request)
    scopes = _resource_scopes(scope)
    resource = check_resource(request, scopes[0][: -len("/.default")])
    user = lab.directory.get(ids.LEARNER_USER_OBJECT_ID)
    assert user is not None  # seeded with the lab, and never deleted
    now = int(time.time())
    lifetime = int(lab.knobs["token_lifetime_seconds"])
    upn = user["userPrincipalName"]
    access = lab.directory.issue(
        {"objectId": user["objectId"], "appId": client_id},
        resource,
        {
            "idtyp": "user",
            "appidacr": "0",
            "acr": "1",
            "amr": ["pwd"],
            "name": user["displayName"],
            "scp": "user_impersonation",
            "unique_name": upn,
            "upn": upn,
        },
    )
    id_token = lab.directory.sign(
        {
            "aud": client_id,
            "iss": f"{_origin(request)}/{ids.TENANT_ID}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "name": user["displayName"],
            "oid": user["objectId"],
            "preferred_username": upn,
            "sub": ids.stable_guid("pairwise-sub", user["objectId"], client_id),
            "tid": ids.TENANT_ID,
            "ver": "2.0",
        }
    )
    refresh = lab.directory.sign(
        {
            "kind": "refresh_token",
            "client_id": client_id,
            "oid": user["objectId"],
            "iat": now,
            "exp": now + REFRESH_TOKEN_SECONDS,
            "jti": secrets.token_urlsafe(12),
        }
    )
    client_info = {"uid": user["objectId"], "utid": ids.TENANT_ID}
    return {
        "token_type": "Bearer",
        "scope": " ".join(scopes),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access,
        "refresh_token": refresh,
        "id_token": id_token,
        "client_info": _b64url(json.dumps(client_info).encode()),
    }


def verification_uri(request: Request) -> str:
    """Where the user approves a code: the page of the owner's running Jupyter server, else the
    lab's own page (which says how)."""
    try:
        page = json.loads(_lab(request).home.signin_url_file.read_text())
        os.kill(int(page["pid"]), 0)
        return str(page["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"{_origin(request)}{DEVICE_LOGIN_PATH}"


async def device_code(request: Request) -> Response:
    """Start a device-code sign-in; the code waits for the lab's owner to approve it."""
    fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    try:
        check_tenant(request.path_params["tenant"], USER_AUTHORITIES)
        client_id = _public_client(fields.get("client_id", ""))
        scope = fields.get("scope", "")
        _resource_scopes(scope)
    except EntraError as exc:
        return error_response(request, exc)
    lab = _lab(request)
    issued = lab.device_codes.issue(client_id, DEVICE_CODE_SECONDS)
    user_code = issued["user_code"]
    # The device code carries its own claims, signed; its state lives with the lab's.
    code = lab.directory.sign(
        {
            "kind": "device_code",
            "client_id": client_id,
            "scope": scope,
            "user_code": user_code,
            "device_id": issued["device_id"],
            "expires": issued["expires"],
        }
    )
    uri = verification_uri(request)
    return JSONResponse(
        {
            "user_code": user_code,
            "device_code": code,
            "verification_uri": uri,
            "expires_in": DEVICE_CODE_SECONDS,
            "interval": 5,
            "message": (
                f"To sign in, use a web browser to open the page {uri} and enter the code "
                f"{user_code} to authenticate. (podid lab: or, as the lab's owner, run "
                f"`podid-lab signin approve {user_code}`.)"
            ),
        }
    )


# Entra's token-endpoint answers while a device code is not (or no longer) redeemable. 70016 and
# its text are as Entra sends them; Entra publishes 70018 (BadVerificationCode) and the
# `authorization_declined` error without their exact texts, and no number for a declined
# sign-in: 65004 is its number for a user who declined (UserDeclinedConsent). The texts of
# those three are the lab's own.
def _pending() -> EntraError:
    return EntraError(
        400,
        "authorization_pending",
        70016,
        "The provided request has not yet been authorized by the user. The user must input "
        "their code.",
    )


def _declined() -> EntraError:
    return EntraError(
        400, "authorization_declined", 65004, "The end user denied the authorization request."
    )


def _bad_code() -> EntraError:
    return EntraError(
        400,
        "bad_verification_code",
        70018,
        "The provided value for the input parameter 'device_code' was not recognized. Start "
        "the sign-in again for a new code.",
    )


def _expired() -> EntraError:
    return EntraError(
        400,
        "expired_token",
        70020,
        "The provided value for the input parameter 'device_code' is not valid. This device "
        "code has expired.",
    )


async def device_code_grant(request: Request, fields: dict[str, str]) -> dict[str, Any]:
    """Redeem a device code once the lab's owner has approved it."""
    check_tenant(request.path_params["tenant"], USER_AUTHORITIES)
    lab = _lab(request)
    claims = lab.directory.read_signed(fields.get("device_code", ""))
    if claims is None or claims.get("kind") != "device_code":
        raise _bad_code()
    client_id = _public_client(fields.get("client_id", ""))
    if client_id != claims["client_id"]:
        raise EntraError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed.")
    if claims["expires"] <= time.time():
        raise _expired()
    state = lab.device_codes.status(claims["user_code"], claims["device_id"])
    if state == "pending":
        raise _pending()
    if state == "declined":
        raise _declined()
    if state == "unknown":  # redeemed already, or the lab was reset
        raise _bad_code()
    return _user_tokens(request, client_id, fields.get("scope") or claims["scope"])


async def refresh_token_grant(request: Request, fields: dict[str, str]) -> dict[str, Any]:
    """New tokens, for any resource the lab knows, from a refresh token the lab issued."""
    check_tenant(request.path_params["tenant"], USER_AUTHORITIES)
    claims = _lab(request).directory.read_signed(fields.get("refresh_token", ""))
    if claims is None or claims.get("kind") != "refresh_token":
        raise EntraError(
            400,
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        )
    client_id = _public_client(fields.get("client_id", ""))
    if client_id != claims["client_id"]:
        raise EntraError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed.")
    return _user_tokens(request, client_id, fields.get("scope", ""))


GRANTS: dict[str, Grant] = {
    DEVICE_CODE_GRANT: device_code_grant,
    "refresh_token": refresh_token_grant,
}

# -- the owner's answer ----------------------------------------------------------------------

ANSWERS: dict[str, Answer] = {"approve": "approved", "decline": "declined"}


async def answer_code(request: Request) -> Response:
    """`POST /_lab/signin` {"user_code", "answer": "approve"|"decline"}, with the admin key."""
    if (refused := denied(request)) is not None:
        return refused
    try:
        body = parse_json(await request.body() or b"null")
    except ValueError:
        body = None
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("user_code"), str)
        or body.get("answer") not in ANSWERS
    ):
        return JSONResponse(
            {
                "error": {
                    "code": "InvalidSignInAnswer",
                    "message": 'Send a JSON object {"user_code": "<code>", "answer": "approve"} '
                    'or with "answer": "decline".',
                }
            },
            status_code=400,
        )
    try:
        doc = _lab(request).device_codes.answer(body["user_code"], ANSWERS[body["answer"]])
    except UnknownUserCode:
        return JSONResponse(
            {
                "error": {
                    "code": "UnknownUserCode",
                    "message": f"No sign-in is waiting for the code {body['user_code']!r}: it "
                    "was mistyped, has expired or was answered already.",
                }
            },
            status_code=404,
        )
    return JSONResponse({"user_code": doc["user_code"], "state": doc["state"]})


async def device_login(request: Request) -> Response:
    """The lab's verification page: how the owner approves a code (it approves nothing itself)."""
    command = html.escape("podid-lab signin approve <code>")
    return HTMLResponse(
        "<!doctype html><title>podid lab sign-in</title><h1>Approve a sign-in</h1>"
        "<p>Only the owner of the lab can approve a device code. In a terminal of that user, "
        f"run <code>{command}</code>, or open the sign-in page of your JupyterLab "
        "(<code>/podid/signin</code> under its address).</p>"
    )


routes = [
    Route("/{tenant}/oauth2/v2.0/devicecode", device_code, methods=["POST"]),
    Route("/_lab/signin", answer_code, methods=["POST"]),
    Route(DEVICE_LOGIN_PATH, device_login, methods=["GET"]),
]

"""User sign-in for a stock `az`: device code (approved at once for the lab user) and refresh."""

from __future__ import annotations

import base64
import json
import secrets
import string
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import ids
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
USER_CODE_ALPHABET = string.ascii_uppercase + string.digits
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


async def device_code(request: Request) -> Response:
    """Start a device-code sign-in; the lab approves the code at once for the lab user."""
    fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    try:
        check_tenant(request.path_params["tenant"], USER_AUTHORITIES)
        client_id = _public_client(fields.get("client_id", ""))
        scope = fields.get("scope", "")
        _resource_scopes(scope)
    except EntraError as exc:
        return error_response(request, exc)
    user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(9))
    # The code carries its own claims, signed, so a lab restart does not forget it.
    code = _lab(request).directory.sign(
        {
            "kind": "device_code",
            "client_id": client_id,
            "scope": scope,
            "exp": int(time.time()) + DEVICE_CODE_SECONDS,
            "jti": secrets.token_urlsafe(12),
        }
    )
    return JSONResponse(
        {
            "user_code": user_code,
            "device_code": code,
            "verification_uri": "https://microsoft.com/devicelogin",
            "expires_in": DEVICE_CODE_SECONDS,
            "interval": 5,
            "message": (
                f"podid lab: the code {user_code} is approved automatically for "
                f"{ids.LEARNER_USER_NAME}; there is nothing to open or type. (On Azure you would "
                f"open https://microsoft.com/devicelogin and enter the code {user_code}.)"
            ),
        }
    )


async def device_code_grant(request: Request, fields: dict[str, str]) -> dict[str, Any]:
    """Redeem a device code (approved as soon as it was issued)."""
    check_tenant(request.path_params["tenant"], USER_AUTHORITIES)
    claims = _lab(request).directory.read_signed(fields.get("device_code", ""))
    if claims is None or claims.get("kind") != "device_code":
        raise EntraError(
            400,
            "expired_token",
            70020,
            "The provided value for the input parameter 'device_code' is not valid. This device "
            "code has expired.",
        )
    client_id = _public_client(fields.get("client_id", ""))
    if client_id != claims["client_id"]:
        raise EntraError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed.")
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

routes = [Route("/{tenant}/oauth2/v2.0/devicecode", device_code, methods=["POST"])]

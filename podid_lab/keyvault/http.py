"""The secrets data plane, as Key Vault answers it at a vault's URI.

Authentication is challenge-based, as the SDKs expect: a request without a token gets 401 and
`WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="https://vault.azure.net"`;
the client gets a token for that resource and tenant and sends the request again. With Azure RBAC
(`enableRbacAuthorization`) the caller needs a role with the data action (Key Vault Secrets
Officer to write, Secrets User to read); otherwise an access policy naming it. Errors carry Key
Vault's `{"error": {"code", "message", "innererror"}}` shape.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import ids
from ..bodies import parse_json
from ..entra.models import Principal, TokenRejected
from ..store import Document

if TYPE_CHECKING:
    from ..lab import Lab

RESOURCE = "https://vault.azure.net"
AUDIENCES = (RESOURCE, RESOURCE + "/")
_SECRET_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
DATA_ACTION = "Microsoft.KeyVault/vaults/secrets/{}/action"


class KeyVaultError(Exception):
    """An error as Key Vault answers it."""

    def __init__(
        self, status: int, code: str, message: str, inner: str | None = None, **headers: str
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.inner = status, code, message, inner
        self.headers = headers

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.inner:
            error["innererror"] = {"code": self.inner}
        return JSONResponse({"error": error}, status_code=self.status, headers=self.headers)


def _challenge(lab: Lab, message: str, inner: str | None = None) -> KeyVaultError:
    authority = f"{lab.origin or 'https://127.0.0.1'}/{ids.TENANT_ID}"
    return KeyVaultError(
        401,
        "Unauthorized",
        message,
        inner,
        **{"WWW-Authenticate": f'Bearer authorization="{authority}", resource="{RESOURCE}"'},
    )


def _vault(request: Request) -> Document:
    lab: Lab = request.app.state.lab
    port = request.scope.get("server", ("", 0))[1]
    name = lab.vault_listeners.vault_at(int(port or 0))
    vault = lab.vaults.by_name(name) if name else None
    if vault is None:
        raise KeyVaultError(404, "VaultNotFound", "The vault served at this address is gone.")
    return vault


def _authenticate(request: Request, lab: Lab) -> Principal:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _challenge(lab, "AKV10000: Request is missing a Bearer or PoP token.")
    try:
        return lab.directory.verify(token.strip(), AUDIENCES)
    except TokenRejected as exc:
        if exc.code == "InvalidAuthenticationTokenAudience":
            raise _challenge(
                lab, f"AKV10022: Invalid audience. Expected {RESOURCE}, found: {exc.message}"
            ) from None
        if exc.code == "ExpiredAuthenticationToken":
            raise _challenge(lab, "AKV10032: Token expired.", "TokenExpired") from None
        raise _challenge(lab, f"AKV10002: {exc.message}") from None


def _authorize(lab: Lab, vault: Document, principal: Principal, verb: str, secret: str) -> None:
    """RBAC data action, or an access policy, for the secret; else Key Vault's 403."""
    props = vault["properties"]
    caller = (
        f"appid={principal.app_id};oid={principal.object_id};"
        f"iss=https://sts.windows.net/{principal.tenant_id}/"
    )
    where = f"{vault['name']};location={vault['location']}"
    if props.get("enableRbacAuthorization", True):
        action = DATA_ACTION.format(f"{verb}Secret")
        scope = f"{vault['id']}/secrets/{secret}"
        if lab.authorizer.allowed(principal.object_id, action, scope, data=True):
            return
        raise KeyVaultError(
            403,
            "Forbidden",
            "Caller is not authorized to perform action on resource.\r\n"
            "If role assignments, deny assignments or role definitions were changed recently, "
            "please observe propagation time.\r\n"
            f"Caller: {caller}\r\nAction: '{action}'\r\nResource: '{scope.lower()}'\r\n"
            "Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\n"
            f"Vault: {where}\r\n",
            "ForbiddenByRbac",
        )
    for policy in props.get("accessPolicies") or []:
        if str(policy.get("objectId", "")).lower() == principal.object_id.lower():
            granted = [p.lower() for p in (policy.get("permissions") or {}).get("secrets") or []]
            if verb in granted or "all" in granted:
                return
    raise KeyVaultError(
        403,
        "Forbidden",
        f"The user, group or application '{caller}' does not have secrets {verb} permission on "
        f"key vault '{where}'. For help resolving this issue, please see "
        "https://go.microsoft.com/fwlink/?linkid=2125287",
        "AccessDenied",
    )


def _bundle(vault: Document, doc: Document) -> dict[str, Any]:
    body: dict[str, Any] = {
        "value": doc["value"],
        "id": f"{vault['properties']['vaultUri']}secrets/{doc['name']}/{doc['version']}",
        "attributes": doc["attributes"],
        "tags": doc["tags"],
    }
    if doc.get("contentType"):
        body["contentType"] = doc["contentType"]
    return body


def _check_name(name: str) -> None:
    if not _SECRET_NAME.match(name):
        raise KeyVaultError(
            400, "BadParameter", f"The request URI contains an invalid name: {name}"
        )


async def secret(request: Request) -> Response:
    """PUT sets a new version; GET reads the current (or a named) version."""
    lab: Lab = request.app.state.lab
    try:
        vault = _vault(request)
        name = request.path_params["name"]
        version = request.path_params.get("version", "")
        principal = _authenticate(request, lab)
        _check_name(name)
        if request.method == "PUT":
            _authorize(lab, vault, principal, "set", name)
            try:
                body = parse_json(await request.body())
            except ValueError:
                body = None  # Key Vault's answer to a malformed body is unpublished: this one
            if not isinstance(body, dict) or "value" not in body:
                raise KeyVaultError(400, "BadParameter", "Property value is required.")
            with lab.store.transaction():
                doc = lab.secrets.set(vault["name"], name, body)
            return JSONResponse(_bundle(vault, doc))
        _authorize(lab, vault, principal, "get", name)
        found = lab.secrets.get(vault["name"], name, version)
        if found is None:
            raise KeyVaultError(
                404,
                "SecretNotFound",
                f"A secret with (name/id) {name}{'/' + version if version else ''} was not found "
                "in this key vault. If you recently deleted this secret you may be able to "
                "recover it using the correct recovery command. For help resolving this issue, "
                "please see https://go.microsoft.com/fwlink/?linkid=2125182",
            )
        return JSONResponse(_bundle(vault, found))
    except KeyVaultError as exc:
        return exc.response()


def build_vault_app(lab: Lab) -> Starlette:
    """The data-plane app every vault listener serves (the port says which vault)."""
    app = Starlette(
        routes=[
            Route("/secrets/{name}", secret, methods=["GET", "PUT"]),
            Route("/secrets/{name}/", secret, methods=["GET"]),
            Route("/secrets/{name}/{version}", secret, methods=["GET"]),
        ]
    )
    app.state.lab = lab
    return app

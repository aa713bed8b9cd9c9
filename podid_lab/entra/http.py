"""Entra ID's HTTP surface: OpenID discovery, JWKS, instance discovery and the token endpoint."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import ids
from ..graph import graph_resource
from .models import KNOWN_RESOURCES, EntraError

if TYPE_CHECKING:
    from ..lab import Lab


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _issuer_tenant(tenant: str) -> str:
    return "{tenantid}" if tenant.lower() in ("common", "organizations") else ids.TENANT_ID


async def openid_configuration(request: Request) -> Response:
    """The v2.0 OpenID configuration MSAL reads before asking for a token."""
    tenant = request.path_params["tenant"]
    base = f"{_base(request)}/{tenant}"
    issuer_tenant = _issuer_tenant(tenant)
    return JSONResponse(
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{_base(request)}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{_base(request)}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "nonce",
                "tid",
                "ver",
            ],
            "tenant_region_scope": "AS",
            "cloud_instance_name": "podid.lab",
            "msgraph_host": "graph.microsoft.com",
        }
    )


async def jwks(request: Request) -> Response:
    """The public keys that verify the lab's tokens."""
    lab: Lab = request.app.state.lab
    return JSONResponse(lab.directory.jwks())


async def instance_discovery(request: Request) -> Response:
    """Instance discovery, for clients that do not turn it off."""
    host = request.url.netloc
    authorization = request.query_params.get("authorization_endpoint", "")
    return JSONResponse(
        {
            "tenant_discovery_endpoint": authorization.replace(
                "oauth2/v2.0/authorize", "v2.0/.well-known/openid-configuration"
            ),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }
    )


def error_response(request: Request, exc: EntraError) -> Response:
    """Entra's error body for `exc`."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    trace = str(uuid.uuid4())
    return JSONResponse(
        {
            "error": exc.error,
            "error_description": f"AADSTS{exc.code}: {exc.description} Trace ID: {trace} "
            f"Correlation ID: {trace} Timestamp: {stamp}",
            "error_codes": [exc.code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": trace,
            "error_uri": f"{_base(request)}/error?code={exc.code}",
        },
        status_code=exc.status,
    )


def _resource_from_scope(scope: str) -> str:
    scopes = scope.split()
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        raise EntraError(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI).",
        )
    return scopes[0][: -len("/.default")]


def check_resource(request: Request, resource: str) -> str:
    """`resource` if the tenant knows it (an Azure resource or the lab's Graph), else 500011."""
    if resource not in KNOWN_RESOURCES and resource.rstrip("/") + "/" != graph_resource(
        _base(request)
    ):
        raise EntraError(
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {resource} was not found in the tenant named "
            f"{ids.TENANT_DOMAIN}. This can happen if the application has not been installed by "
            "the administrator of the tenant or consented to by any user in the tenant. You might "
            "have sent your authentication request to the wrong tenant.",
        )
    return resource


def _by_assertion(lab: Lab, tenant: str, fields: dict[str, str], resource: str) -> dict[str, Any]:
    """Client credentials proven by an assertion (workload identity federation: jwt-bearer)."""
    kind = fields.get("client_assertion_type", "")
    exchange = lab.entra_client_assertions.get(kind)
    if exchange is None:
        raise EntraError(400, "invalid_request", 50027, f"Invalid client_assertion_type '{kind}'.")
    if resource not in KNOWN_RESOURCES:
        raise EntraError(
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {resource} was not found in the tenant named "
            f"{ids.TENANT_DOMAIN}. This can happen if the application has not been installed by "
            "the administrator of the tenant or consented to by any user in the tenant. You might "
            "have sent your authentication request to the wrong tenant.",
        )
    body: dict[str, Any] = exchange(
        tenant, fields.get("client_id", ""), fields["client_assertion"], resource
    )
    return body


async def _grant(request: Request, lab: Lab, fields: dict[str, str]) -> dict[str, Any]:
    """The token response for the grant in `fields`, or raise EntraError."""
    grant = fields.get("grant_type", "")
    if grant != "client_credentials":
        handler = lab.entra_grants.get(grant)
        if handler is None:
            raise EntraError(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant}'.",
            )
        body: dict[str, Any] = await handler(request, fields)
        return body
    if "scope" in fields:
        resource = _resource_from_scope(fields["scope"])
    else:
        resource = fields.get("resource", "")
    tenant = request.path_params["tenant"]
    if "client_assertion" in fields:
        return _by_assertion(lab, tenant, fields, resource)
    return lab.directory.client_credentials(
        tenant,
        fields.get("client_id", ""),
        fields.get("client_secret"),
        check_resource(request, resource),
    )


def _grant_name(fields: dict[str, str]) -> str:
    """The grant as a learner would name it (a federated assertion is worth saying)."""
    grant = fields.get("grant_type", "")
    return f"{grant} (client assertion)" if "client_assertion" in fields else grant


async def token(request: Request) -> Response:
    """The OAuth 2.0 token endpoint (v2.0 takes `scope`, v1 takes `resource`)."""
    lab: Lab = request.app.state.lab
    # OAuth bodies are always urlencoded; parsing them needs no multipart library.
    fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    client_id = fields.get("client_id", "")
    try:
        body = await _grant(request, lab, fields)
    except EntraError as exc:
        lab.events.entra(_grant_name(fields), client_id, exc.status, code=exc.code)
        return error_response(request, exc)
    lab.events.entra(_grant_name(fields), client_id, 200, token=body.get("access_token", ""))
    return JSONResponse(body, headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})


routes = [
    Route("/common/discovery/instance", instance_discovery, methods=["GET"]),
    Route("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/{tenant}/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/{tenant}/discovery/v2.0/keys", jwks, methods=["GET"]),
    Route("/{tenant}/discovery/keys", jwks, methods=["GET"]),
    Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
    Route("/{tenant}/oauth2/token", token, methods=["POST"]),
]

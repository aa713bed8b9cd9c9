"""Entra's side of workload identity federation: a client assertion exchanged for a token.

A client-credentials request with `client_assertion_type=...:jwt-bearer` names a managed
identity's client ID and presents a token from another issuer (here: a cluster's service-account
token). Entra finds a federated identity credential on that identity whose issuer, subject and
audience all equal the assertion's (case-sensitive), checks the signature against the issuer's
published keys and the assertion's lifetime, and answers with an access token for the identity.
Each failure has Entra's own AADSTS code and wording.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import jwt

from .. import ids
from ..entra.models import EntraError, check_tenant
from ..store import Document

if TYPE_CHECKING:
    from ..lab import Lab

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
WIF_DOCS = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
CERT_DOCS = "https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials"
# Entra tolerates this much clock skew on an assertion's lifetime.
CLOCK_SKEW_SECONDS = 300


def _iso(epoch: float) -> str:
    stamp = datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return f"{stamp}0Z"  # Entra prints seven fractional digits


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    return [a for a in aud or [] if isinstance(a, str)]


class Federation:
    """The jwt-bearer client assertion path of Entra's token endpoint."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        lab.entra_client_assertions[JWT_BEARER] = self.exchange

    def exchange(
        self, tenant: str, client_id: str, assertion: str, resource: str
    ) -> dict[str, Any]:
        """The token response for a managed identity's federated assertion, or EntraError."""
        lab = self._lab
        check_tenant(tenant, ())
        principal = lab.directory.find_by_app_id(client_id) if client_id else None
        if principal is None:
            raise EntraError(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{ids.TENANT_DOMAIN}'. This can happen if the application has not been "
                "installed by the administrator of the tenant or consented to by any user in the "
                "tenant. You may have sent your authentication request to the wrong tenant.",
            )
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise EntraError(
                400, "invalid_request", 50027, "JWT token is invalid or malformed."
            ) from None
        try:
            credential = self._match(principal, claims)
            self._check_signature(assertion, header, claims)
            self._check_lifetime(claims)
        except EntraError as exc:
            lab.events.workload_identity(client_id, claims, exc.status, code=exc.code)
            raise
        lab.events.workload_identity(client_id, claims, 200, credential=credential["id"])
        return lab.directory.token_response(principal, resource)

    def _credentials(self, principal: Document) -> list[Document]:
        if principal.get("servicePrincipalType") != "ManagedIdentity":
            return []  # the lab's applications have no federated credentials
        identity = self._lab.identities.get(principal["alternativeNames"][0])
        return [] if identity is None else self._lab.federated_credentials.of(identity["id"])

    def _match(self, principal: Document, claims: dict[str, Any]) -> Document:
        issuer, subject = str(claims.get("iss", "")), str(claims.get("sub", ""))
        audiences = _audiences(claims)
        credentials = self._credentials(principal)
        if not credentials:
            raise EntraError(
                400,
                "invalid_request",
                70021,
                "No matching federated identity record found for presented assertion. Assertion "
                f"Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: "
                f"'{','.join(audiences)}'. {WIF_DOCS}",
            )
        same_issuer = [c for c in credentials if c["properties"]["issuer"] == issuer]
        if not same_issuer:
            raise EntraError(
                401,
                "invalid_client",
                700211,
                "No matching federated identity record found for presented assertion issuer "
                f"'{issuer}'. Please check your federated identity credential Subject, Audience "
                f"and Issuer against the presented assertion. {WIF_DOCS}",
            )
        same_subject = [c for c in same_issuer if c["properties"]["subject"] == subject]
        if not same_subject:
            if any(c["properties"]["subject"].lower() == subject.lower() for c in same_issuer):
                raise EntraError(
                    401,
                    "invalid_client",
                    7002138,
                    "No matching federated identity record found for presented assertion subject "
                    f"'{subject}'. The subject matches with case-insensitive comparison, but not "
                    "with case-sensitive comparison. Check your federated identity credential "
                    "Subject, Audience and Issuer against the presented assertion. See "
                    f"documentation at: {WIF_DOCS}.",
                )
            raise EntraError(
                401,
                "invalid_client",
                700213,
                "No matching federated identity record found for presented assertion subject "
                f"'{subject}'. Check your federated identity credential Subject, Audience and "
                f"Issuer against the presented assertion. {WIF_DOCS}",
            )
        for credential in same_subject:
            if set(credential["properties"]["audiences"]) & set(audiences):
                return credential
        raise EntraError(
            401,
            "invalid_client",
            700212,
            "No matching federated identity record found for presented assertion audience "
            f"'{','.join(audiences)}'. Please check your federated identity credential Subject, "
            f"Audience and Issuer against the presented assertion. {WIF_DOCS}",
        )

    def _check_signature(
        self, assertion: str, header: dict[str, Any], claims: dict[str, Any]
    ) -> None:
        """Verify against the issuer's published keys (the lab serves every issuer it trusts)."""
        issuer = str(claims.get("iss", ""))
        cluster_key = self._lab.issuers.by_issuer(issuer)
        if cluster_key is None:
            # Entra fetches `<issuer>/.well-known/openid-configuration`; nothing answers there.
            raise EntraError(
                401,
                "invalid_client",
                50166,
                f"Request to External OIDC endpoint failed. Issuer: '{issuer}'.",
            )
        kid = header.get("kid", "")
        if kid != self._lab.issuers.key_id(cluster_key):
            raise EntraError(
                401,
                "invalid_client",
                7000272,
                f"The certificate with identifier {kid} used to sign the federated credential "
                f"could not be found in the metadata of identity provider {issuer}. Please "
                "validate that your Identity Provider's metadata exposes the key used to sign "
                "the incoming token.",
            )
        try:
            jwt.decode(
                assertion,
                self._lab.issuers.public_key(cluster_key),
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False},
            )
        except jwt.PyJWTError:
            raise EntraError(
                401,
                "invalid_client",
                700027,
                "Client assertion failed signature validation.",
            ) from None

    @staticmethod
    def _check_lifetime(claims: dict[str, Any]) -> None:
        now = time.time()
        start = float(claims.get("nbf") or claims.get("iat") or 0)
        end = float(claims.get("exp") or 0)
        if not start - CLOCK_SKEW_SECONDS <= now <= end + CLOCK_SKEW_SECONDS:
            raise EntraError(
                401,
                "invalid_client",
                700024,
                f"Client assertion is not within its valid time range. Current time: {_iso(now)}, "
                f"assertion valid from {_iso(start)}, expiry time of assertion {_iso(end)}. "
                f"Review the documentation at {CERT_DOCS} .",
            )

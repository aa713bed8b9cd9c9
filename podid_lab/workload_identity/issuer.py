"""Each cluster's service-account token issuer: its signing key, its tokens and its OIDC documents.

AKS serves a cluster's OIDC discovery document and JWKS at the issuer URL once
`oidcIssuerProfile.enabled` is set; the lab serves them at `<lab origin>/oidc/<cluster key>/`.
Each cluster signs with a key of its own, kept (0600) beside the lab's other keys.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..home import write_private
from ..kube.models import cluster_key
from ..pki import load_private_key, new_rsa_key, private_key_pem

if TYPE_CHECKING:
    from ..lab import Lab

ISSUERS = "oidcIssuers"
AUDIENCE = "api://AzureADTokenExchange"
# The issuer of a cluster's tokens while its OIDC issuer is off (nobody can fetch its keys).
IN_CLUSTER_ISSUER = "https://kubernetes.default.svc.cluster.local"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class ServiceAccountIssuers:
    """Signing keys per cluster, the issuers that are on, and the tokens they sign."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        lab.cluster_hooks.append(self._cluster_changed)

    def _cluster_changed(self, event: str, cluster: dict[str, Any]) -> None:
        """AKS publishes a cluster's issuer once its OIDC issuer is on, until it is deleted."""
        key = cluster_key(cluster["id"])
        profile = cluster["properties"].get("oidcIssuerProfile") or {}
        if event == "deleted":
            self.disable(key)
        elif profile.get("enabled"):
            self.enable(key, profile["issuerURL"])

    def _key_path(self, cluster_key: str) -> Any:
        return self._lab.home.root / "keys" / "service-accounts" / f"{cluster_key}.pem"

    def key(self, cluster_key: str) -> rsa.RSAPrivateKey:
        """The cluster's service-account signing key, made on first use and kept."""
        if cluster_key not in self._keys:
            path = self._key_path(cluster_key)
            if path.exists():
                self._keys[cluster_key] = load_private_key(path.read_bytes())
            else:
                key = new_rsa_key()
                path.parent.mkdir(parents=True, exist_ok=True)
                path.parent.chmod(0o700)
                write_private(path, private_key_pem(key))
                self._keys[cluster_key] = key
        return self._keys[cluster_key]

    def key_id(self, cluster_key: str) -> str:
        """The key's ID as kube-apiserver derives it (SHA-256 of the public key, base64url)."""
        from cryptography.hazmat.primitives import serialization

        der = (
            self.key(cluster_key)
            .public_key()
            .public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")

    # -- which issuers are on -----------------------------------------------------------------

    def issuer_url(self, cluster_key: str) -> str:
        """The issuer URL of a cluster: https, under the lab's origin, with a trailing slash."""
        origin = self._lab.origin or "https://127.0.0.1"
        return f"{origin}/oidc/{cluster_key}/"

    def enable(self, cluster_key: str, issuer: str) -> None:
        """Serve the cluster's discovery document and keys (AKS: OIDC issuer enabled)."""
        self.key(cluster_key)
        self._lab.store.put(ISSUERS, cluster_key, {"issuer": issuer})

    def disable(self, cluster_key: str) -> None:
        """Stop serving the cluster's issuer (the cluster is gone); its key file goes too."""
        self._lab.store.delete(ISSUERS, cluster_key)
        self._keys.pop(cluster_key, None)
        self._key_path(cluster_key).unlink(missing_ok=True)

    def issuer(self, cluster_key: str) -> str | None:
        """The issuer URL if the cluster's issuer is on, else None."""
        doc = self._lab.store.get(ISSUERS, cluster_key)
        return None if doc is None else str(doc["issuer"])

    def by_issuer(self, issuer: str) -> str | None:
        """The cluster key whose issuer is exactly `issuer`, if it is served."""
        for key, doc in self._lab.store.scan(ISSUERS):
            if doc["issuer"] == issuer:
                return key
        return None

    # -- documents and tokens -----------------------------------------------------------------

    def discovery(self, cluster_key: str, issuer: str) -> dict[str, Any]:
        """The OpenID configuration AKS publishes for a cluster's issuer."""
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}openid/v1/jwks",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self, cluster_key: str) -> dict[str, Any]:
        """The cluster's public signing key as a JWKS document."""
        numbers = self.key(cluster_key).public_key().public_numbers()
        return {
            "keys": [
                {
                    "use": "sig",
                    "kty": "RSA",
                    "kid": self.key_id(cluster_key),
                    "alg": "RS256",
                    "n": _b64(numbers.n),
                    "e": _b64(numbers.e),
                }
            ]
        }

    def public_key(self, cluster_key: str) -> rsa.RSAPublicKey:
        """The key that verifies the cluster's tokens."""
        return self.key(cluster_key).public_key()

    def sign(
        self,
        cluster_key: str,
        *,
        namespace: str,
        service_account: str,
        service_account_uid: str,
        audiences: list[str],
        lifetime: int,
        pod: dict[str, str] | None = None,
        node: dict[str, str] | None = None,
        now: float | None = None,
    ) -> str:
        """A bound service-account token, shaped as kube-apiserver's (issuer = the issuer URL)."""
        issued = int(time.time() if now is None else now)
        private: dict[str, Any] = {
            "namespace": namespace,
            "serviceaccount": {"name": service_account, "uid": service_account_uid},
        }
        if pod:
            private["pod"] = pod
        if node:
            private["node"] = node
        claims = {
            "aud": audiences,
            "exp": issued + lifetime,
            "iat": issued,
            "iss": self.issuer(cluster_key) or IN_CLUSTER_ISSUER,
            "jti": str(uuid.uuid4()),
            "kubernetes.io": private,
            "nbf": issued,
            "sub": f"system:serviceaccount:{namespace}:{service_account}",
        }
        return jwt.encode(
            claims,
            self.key(cluster_key),
            algorithm="RS256",
            headers={"kid": self.key_id(cluster_key)},
        )


def _not_found(path: str) -> Response:
    # The issuer's storage answers unknown paths with a bare 404, as a static site does.
    return Response(f"404 page not found: {path}\n", status_code=404, media_type="text/plain")


async def discovery_document(request: Request) -> Response:
    """`<issuer>.well-known/openid-configuration`."""
    lab: Lab = request.app.state.lab
    key = request.path_params["key"]
    issuer = lab.issuers.issuer(key)
    if issuer is None:
        return _not_found(request.url.path)
    return JSONResponse(lab.issuers.discovery(key, issuer))


async def jwks_document(request: Request) -> Response:
    """`<issuer>openid/v1/jwks`."""
    lab: Lab = request.app.state.lab
    key = request.path_params["key"]
    if lab.issuers.issuer(key) is None:
        return _not_found(request.url.path)
    return JSONResponse(lab.issuers.jwks(key))


routes = [
    Route("/oidc/{key}/.well-known/openid-configuration", discovery_document, methods=["GET"]),
    Route("/oidc/{key}/openid/v1/jwks", jwks_document, methods=["GET"]),
]

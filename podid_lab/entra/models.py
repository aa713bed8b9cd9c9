"""The directory (service principals and their secrets) and the tokens it signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from .. import ids
from ..home import LabHome, write_private
from ..pki import load_private_key, new_rsa_key, private_key_pem
from ..store import Document, Store

PRINCIPALS = "principals"
# The issuer of every access token the lab tenant signs (Entra v1 tokens, as ARM gets them).
ISSUER = f"https://sts.windows.net/{ids.TENANT_ID}/"

ARM_AUDIENCES = (
    "https://management.azure.com/",
    "https://management.azure.com",
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
)
KNOWN_RESOURCES = (
    *ARM_AUDIENCES,
    "https://graph.microsoft.com",
    "https://graph.microsoft.com/",
    "https://vault.azure.net",
    "https://vault.azure.net/",
    "api://AzureADTokenExchange",
)


class EntraError(Exception):
    """An OAuth error as Entra ID returns it (`error`, AADSTS code and description)."""

    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(f"AADSTS{code}: {description}")
        self.status = status
        self.error = error
        self.code = code
        self.description = description


class TokenRejected(Exception):
    """A bearer token ARM does not accept; `code` is ARM's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _wrong_tenant(claims: dict[str, Any]) -> TokenRejected:
    return TokenRejected(
        "InvalidAuthenticationTokenTenant",
        f"The access token is from the wrong issuer '{claims.get('iss', '')}'. It must match the "
        f"tenant '{ISSUER}' associated with this subscription. Please use the authority (URL) "
        f"'https://login.windows.net/{ids.TENANT_ID}' to get the token.",
    )


@dataclass(frozen=True)
class Principal:
    """Who a validated token speaks for."""

    object_id: str
    app_id: str
    tenant_id: str
    claims: dict[str, Any]


def _secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Directory:
    """Service principals of the lab tenant, and the key that signs their tokens."""

    def __init__(self, store: Store, home: LabHome, knobs: dict[str, Any]) -> None:
        self._store = store
        self._knobs = knobs
        self._key = _load_or_create_signing_key(home)
        public_numbers = self._key.public_key().public_numbers()
        self.key_id = _thumbprint(public_numbers.n)
        self._jwk = _jwk(public_numbers, self.key_id)
        self._learner_secret_digest = _secret_digest(home.learner_secret())

    def seed(self) -> None:
        """Create the learner's service principal and the lab user (idempotent)."""
        if self.get(ids.LEARNER_USER_OBJECT_ID) is None:
            self._store.put(
                PRINCIPALS,
                ids.LEARNER_USER_OBJECT_ID,
                {
                    "objectId": ids.LEARNER_USER_OBJECT_ID,
                    "userPrincipalName": ids.LEARNER_USER_NAME,
                    "displayName": ids.LEARNER_USER_DISPLAY_NAME,
                    "objectType": "User",
                    "createdAt": time.time(),
                },
            )
        if self.get(ids.LEARNER_OBJECT_ID) is None:
            self._store.put(
                PRINCIPALS,
                ids.LEARNER_OBJECT_ID,
                {
                    "objectId": ids.LEARNER_OBJECT_ID,
                    "appId": ids.LEARNER_APP_ID,
                    "displayName": ids.LEARNER_DISPLAY_NAME,
                    "servicePrincipalType": "Application",
                    "createdAt": time.time(),
                },
            )

    # -- principals -------------------------------------------------------------------------

    def get(self, object_id: str) -> Document | None:
        """The service principal with this object ID, or None."""
        return self._store.get(PRINCIPALS, object_id.lower())

    def principals(self) -> list[Document]:
        """Every user and service principal in the directory."""
        return [doc for _, doc in self._store.scan(PRINCIPALS)]

    def find_by_app_id(self, app_id: str) -> Document | None:
        """The service principal whose application (client) ID is `app_id`."""
        app_id = app_id.lower()
        for _, doc in self._store.scan(PRINCIPALS):
            if doc.get("appId", "").lower() == app_id:
                return doc
        return None

    def add_managed_identity(
        self, object_id: str, app_id: str, name: str, resource_id: str
    ) -> None:
        """Register the service principal behind a managed identity."""
        self._store.put(
            PRINCIPALS,
            object_id.lower(),
            {
                "objectId": object_id,
                "appId": app_id,
                "displayName": name,
                "servicePrincipalType": "ManagedIdentity",
                "alternativeNames": [resource_id],
                "createdAt": time.time(),
            },
        )

    def remove(self, object_id: str) -> None:
        """Delete a service principal (its role assignments stay, orphaned, as in Azure)."""
        self._store.delete(PRINCIPALS, object_id.lower())

    def is_replicated(self, object_id: str) -> bool:
        """False while a new principal is still 'replicating' (the replication-delay knob)."""
        doc = self.get(object_id)
        if doc is None:
            return False
        delay = float(self._knobs["replication_delay_seconds"])
        return time.time() >= doc.get("createdAt", 0) + delay

    # -- tokens -----------------------------------------------------------------------------

    def client_credentials(
        self, tenant: str, client_id: str, client_secret: str | None, resource: str
    ) -> dict[str, Any]:
        """The token response for a client-credentials grant, or raise EntraError."""
        check_tenant(tenant, ("organizations",))
        principal = self.find_by_app_id(client_id) if client_id else None
        if principal is None or principal.get("servicePrincipalType") != "Application":
            raise unknown_application(client_id)
        if not client_secret:
            raise EntraError(
                401,
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the "
                "'client_credentials' grant type.",
            )
        if not hmac.compare_digest(_secret_digest(client_secret), self._learner_secret_digest):
            raise EntraError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                f"'{client_id}'.",
            )
        return self.token_response(principal, resource)

    def token_response(
        self, principal: Document, resource: str, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """An OAuth token response carrying a signed access token for `principal`."""
        lifetime = int(self._knobs["token_lifetime_seconds"])
        token = self.issue(principal, resource, extra)
        return {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }

    def issue(self, principal: Document, resource: str, extra: dict[str, Any] | None = None) -> str:
        """Sign an access token (RS256) for `principal` with audience `resource`."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": resource,
            "iss": ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + int(self._knobs["token_lifetime_seconds"]),
            "aio": "podid-lab",
            "appid": principal["appId"],
            "appidacr": "1" if principal.get("servicePrincipalType") == "Application" else "2",
            "idp": f"https://sts.windows.net/{ids.TENANT_ID}/",
            "idtyp": "app",
            "oid": principal["objectId"],
            "rh": "0.podid-lab.",
            "sub": principal["objectId"],
            "tid": ids.TENANT_ID,
            "uti": base64.urlsafe_b64encode(
                hashlib.sha256(f"{principal['objectId']}{now}{resource}".encode()).digest()[:16]
            )
            .decode()
            .rstrip("="),
            "ver": "1.0",
        }
        if principal.get("servicePrincipalType") == "ManagedIdentity":
            claims["xms_mirid"] = principal["alternativeNames"][0]
        if extra:
            claims.update(extra)
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id})

    def verify(self, token: str, audiences: tuple[str, ...]) -> Principal:
        """Check a bearer token's signature, audience and lifetime, as ARM does."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TokenRejected(
                "InvalidAuthenticationToken", "The access token is invalid."
            ) from None
        if header.get("kid") != self.key_id:
            raise _wrong_tenant(unverified)
        try:
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False},
            )
        except jwt.PyJWTError:
            raise TokenRejected(
                "InvalidAuthenticationTokenSignature",
                "The access token has an invalid signature.",
            ) from None
        # Signed by the lab's key is not enough: the token must say it is the lab tenant's, and
        # whom it speaks for.
        if claims.get("iss") != ISSUER or claims.get("tid") != ids.TENANT_ID:
            raise _wrong_tenant(claims)
        if not all(isinstance(claims.get(c), str) and claims[c] for c in ("oid", "appid")):
            raise TokenRejected("InvalidAuthenticationToken", "The access token is invalid.")
        if claims.get("aud") not in audiences:
            allowed = ",".join(f"'{a}'" for a in audiences)
            raise TokenRejected(
                "InvalidAuthenticationTokenAudience",
                "The access token has been obtained for wrong audience or resource "
                f"'{claims.get('aud')}'. It should exactly match with one of the allowed "
                f"audiences {allowed}.",
            )
        now = time.time()
        if float(claims.get("exp", 0)) <= now:
            raise TokenRejected(
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time "
                f"'{_utc(float(claims.get('exp', 0)))}' is earlier than current UTC time "
                f"'{_utc(now)}'.",
            )
        return Principal(
            object_id=claims["oid"], app_id=claims["appid"], tenant_id=claims["tid"], claims=claims
        )

    def sign(self, claims: dict[str, Any]) -> str:
        """A JWT of `claims` signed with the lab's key (id tokens, device codes, refresh tokens)."""
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.key_id})

    def read_signed(self, token: str) -> dict[str, Any] | None:
        """The claims of a JWT this lab signed and that has not expired, else None."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key.public_key(), algorithms=["RS256"], options={"verify_aud": False}
            )
        except jwt.PyJWTError:
            return None
        return claims

    def jwks(self) -> dict[str, Any]:
        """The public signing keys, as a JWKS document."""
        return {"keys": [self._jwk]}


def check_tenant(tenant: str, aliases: tuple[str, ...]) -> None:
    """Raise AADSTS90002 unless `tenant` names the lab tenant (or one of `aliases`)."""
    if tenant.lower() not in (ids.TENANT_ID, ids.TENANT_DOMAIN, *aliases):
        raise EntraError(
            400,
            "invalid_request",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
            "and are signing into the correct cloud.",
        )


def unknown_application(client_id: str) -> EntraError:
    """AADSTS700016: no application with this client ID in the lab tenant."""
    return EntraError(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory "
        f"'{ids.TENANT_DOMAIN}'. This can happen if the application has not been "
        "installed by the administrator of the tenant or consented to by any user in "
        "the tenant. You may have sent your authentication request to the wrong tenant.",
    )


def _utc(epoch: float) -> str:
    return time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(epoch))


def _load_or_create_signing_key(home: LabHome) -> rsa.RSAPrivateKey:
    if home.signing_key.exists():
        return load_private_key(home.signing_key.read_bytes())
    key = new_rsa_key()
    write_private(home.signing_key, private_key_pem(key))
    return key


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _thumbprint(modulus: int) -> str:
    return _b64(int.from_bytes(hashlib.sha1(modulus.to_bytes(256, "big")).digest(), "big"))


def _jwk(numbers: rsa.RSAPublicNumbers, kid: str) -> dict[str, Any]:
    return {
        "kty": "RSA",
        "use": "sig",
        "kid": kid,
        "x5t": kid,
        "n": _b64(numbers.n),
        "e": _b64(numbers.e),
        "alg": "RS256",
    }

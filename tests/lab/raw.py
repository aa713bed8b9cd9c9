"""Raw HTTPS calls to the lab, for what the SDKs hide (status codes, headers, bodies)."""

from __future__ import annotations

import functools
import time
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from podid_lab.home import LabHome

ARM_SCOPE = "https://management.azure.com/.default"


class Raw:
    """A requests session that trusts the lab's CA and can mint tokens with the lab's key."""

    def __init__(self, home: LabHome, info: dict[str, Any]) -> None:
        self.home = home
        self.info = info
        self.origin = info["arm_endpoint"]
        self.session = requests.Session()
        # Per-request verify: requests lets REQUESTS_CA_BUNDLE in the environment override a
        # session-level setting, and many machines set it.
        self.session.request = functools.partial(  # type: ignore[method-assign]
            self.session.request, verify=info["ca_bundle"]
        )

    def request(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """Send a request; `token=None` sends no Authorization header."""
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.origin + path, headers=headers, **kwargs)

    def token_response(
        self, secret: str | None = None, scope: str = ARM_SCOPE
    ) -> requests.Response:
        """POST a client-credentials grant to the lab's token endpoint."""
        data = {
            "grant_type": "client_credentials",
            "client_id": self.info["client_id"],
            "scope": scope,
        }
        if secret is not None:
            data["client_secret"] = secret
        return self.session.post(
            f"{self.origin}/{self.info['tenant_id']}/oauth2/v2.0/token", data=data
        )

    def learner_token(self, scope: str = ARM_SCOPE) -> str:
        """A real token for the learner, from the lab's token endpoint."""
        resp = self.token_response(self.info["client_secret"], scope)
        resp.raise_for_status()
        return str(resp.json()["access_token"])

    def forge(self, *, key: rsa.RSAPrivateKey | None = None, **overrides: Any) -> str:
        """A token signed with the lab's key (or another), claims overridden as given."""
        signing = key or serialization.load_pem_private_key(
            self.home.signing_key.read_bytes(), password=None
        )
        good = jwt.decode(self.learner_token(), options={"verify_signature": False})
        header = jwt.get_unverified_header(self.learner_token())
        claims = {**good, **overrides}
        return jwt.encode(claims, signing, algorithm="RS256", headers={"kid": header["kid"]})

    def sub_path(self, rest: str = "") -> str:
        return f"/subscriptions/{self.info['subscription_id']}{rest}"


def now() -> int:
    return int(time.time())

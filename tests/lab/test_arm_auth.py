"""ARM refuses what Azure refuses: 401 for a bad token, 403 for a missing role."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

API = {"api-version": "2025-04-01"}


def _error(resp: Any) -> tuple[int, str, str]:
    body = resp.json()
    return resp.status_code, body["error"]["code"], body["error"]["message"]


def test_no_token_is_401_with_a_bearer_challenge(raw: Any) -> None:
    resp = raw.request("GET", raw.sub_path("/resourcegroups"), params=API)
    status, code, message = _error(resp)
    assert (status, code) == (401, "AuthenticationFailed")
    assert "'Authorization' header is missing" in message
    assert resp.headers["WWW-Authenticate"].startswith('Bearer authorization_uri="https://')


def test_expired_token(raw: Any) -> None:
    token = raw.forge(exp=1_600_000_000)
    status, code, message = _error(raw.request("GET", raw.sub_path(), token=token, params=API))
    assert (status, code) == (401, "ExpiredAuthenticationToken")
    assert "is earlier than current UTC time" in message


def test_wrong_audience(raw: Any) -> None:
    token = raw.learner_token("https://graph.microsoft.com/.default")
    status, code, message = _error(raw.request("GET", raw.sub_path(), token=token, params=API))
    assert (status, code) == (401, "InvalidAuthenticationTokenAudience")
    assert "'https://graph.microsoft.com'" in message


def test_token_signed_by_another_key(raw: Any) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = raw.forge(key=other)
    status, code, _ = _error(raw.request("GET", raw.sub_path(), token=token, params=API))
    assert (status, code) == (401, "InvalidAuthenticationTokenSignature")


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer not.a.jwt"])
def test_malformed_authorization_header(raw: Any, header: str) -> None:
    resp = raw.request("GET", raw.sub_path(), params=API, headers={"Authorization": header})
    assert resp.status_code == 401
    assert resp.json()["error"]["code"].startswith(
        ("AuthenticationFailed", "InvalidAuthentication")
    )


def test_principal_without_a_role_gets_authorization_failed_naming_action_and_scope(
    raw: Any,
) -> None:
    stranger = str(uuid.uuid4())
    token = raw.forge(oid=stranger, sub=stranger)
    path = raw.sub_path("/resourcegroups/rbac-probe")
    status, code, message = _error(
        raw.request("PUT", path, token=token, params=API, json={"location": "japaneast"})
    )
    assert (status, code) == (403, "AuthorizationFailed")
    assert message == (
        f"The client '{stranger}' with object id '{stranger}' does not have authorization to "
        "perform action 'Microsoft.Resources/subscriptions/resourceGroups/write' over scope "
        f"'{path}' or the scope is invalid. If access was recently granted, please refresh "
        "your credentials."
    )
    # nothing was created
    learner = raw.learner_token()
    assert raw.request("HEAD", path, token=learner, params=API).status_code == 404


def test_subscription_checks(raw: Any) -> None:
    token = raw.learner_token()
    resp = raw.request("GET", "/subscriptions/not-a-guid/resourcegroups", token=token, params=API)
    assert _error(resp)[:2] == (400, "InvalidSubscriptionId")
    other = "/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups"
    assert _error(raw.request("GET", other, token=token, params=API))[:2] == (
        404,
        "SubscriptionNotFound",
    )

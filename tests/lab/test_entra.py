"""Entra ID: discovery, keys, client credentials and its AADSTS errors, with real clients."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

ARM = "https://management.azure.com/.default"


@pytest.mark.parametrize("tenant", ["TENANT", "organizations", "common"])
def test_openid_configuration_names_https_endpoints_under_the_tenant(
    raw: Any, lab_info: dict[str, Any], tenant: str
) -> None:
    tenant = lab_info["tenant_id"] if tenant == "TENANT" else tenant
    doc = raw.session.get(f"{raw.origin}/{tenant}/v2.0/.well-known/openid-configuration").json()
    assert doc["token_endpoint"] == f"{raw.origin}/{tenant}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"].startswith(f"{raw.origin}/{tenant}/")
    assert doc["jwks_uri"].startswith("https://")
    expected_issuer = lab_info["tenant_id"] if tenant == lab_info["tenant_id"] else "{tenantid}"
    assert doc["issuer"] == f"{raw.origin}/{expected_issuer}/v2.0"


def test_client_secret_credential_gets_an_rs256_token_with_realistic_claims(
    credential: ClientSecretCredential, raw: Any, lab_info: dict[str, Any]
) -> None:
    token = credential.get_token(ARM).token
    keys = raw.session.get(f"{raw.origin}/{lab_info['tenant_id']}/discovery/v2.0/keys").json()
    header = jwt.get_unverified_header(token)
    jwk = next(k for k in keys["keys"] if k["kid"] == header["kid"])
    public = jwt.PyJWK(jwk).key
    claims = jwt.decode(
        token, public, algorithms=["RS256"], audience="https://management.azure.com"
    )
    assert header["alg"] == "RS256"
    assert claims["tid"] == lab_info["tenant_id"]
    assert claims["appid"] == lab_info["client_id"]
    assert claims["iss"] == f"https://sts.windows.net/{lab_info['tenant_id']}/"
    assert claims["idtyp"] == "app"
    assert claims["oid"] and claims["oid"] != claims["appid"]
    assert 3000 < claims["exp"] - time.time() <= 3600


def test_wrong_secret_is_aadsts7000215(lab_info: dict[str, Any]) -> None:
    bad = ClientSecretCredential(
        lab_info["tenant_id"],
        lab_info["client_id"],
        "not-the-secret",
        authority=lab_info["authority_host"],
        disable_instance_discovery=True,
        connection_verify=lab_info["ca_bundle"],
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215: Invalid client secret"):
        bad.get_token(ARM)


def test_wrong_secret_body_is_entra_shaped(raw: Any) -> None:
    resp = raw.token_response("wrong")
    assert resp.status_code == 401
    body = resp.json()
    assert body["error"] == "invalid_client"
    assert body["error_codes"] == [7000215]
    assert body["error_description"].startswith("AADSTS7000215: ")


def test_missing_secret_unknown_client_bad_scope_and_unknown_tenant(
    raw: Any, lab_info: dict[str, Any]
) -> None:
    assert raw.token_response(None).json()["error_codes"] == [7000216]
    assert raw.token_response(
        lab_info["client_secret"], scope="https://management.azure.com/user_impersonation"
    ).json()["error_codes"] == [1002012]
    assert raw.token_response(
        lab_info["client_secret"], scope="https://nowhere.example/.default"
    ).json()["error_codes"] == [500011]
    resp = raw.session.post(
        f"{raw.origin}/{lab_info['tenant_id']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "00000000-0000-0000-0000-000000000000",
            "client_secret": "x",
            "scope": ARM,
        },
    )
    assert (resp.status_code, resp.json()["error_codes"]) == (400, [700016])
    resp = raw.session.post(
        f"{raw.origin}/11111111-1111-1111-1111-111111111111/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": lab_info["client_id"],
            "client_secret": lab_info["client_secret"],
            "scope": ARM,
        },
    )
    assert resp.json()["error_codes"] == [90002]


def test_both_arm_audiences_are_accepted(credential: ClientSecretCredential, raw: Any) -> None:
    for scope in (
        "https://management.azure.com/.default",
        "https://management.core.windows.net//.default",
    ):
        token = credential.get_token(scope).token
        resp = raw.request("GET", raw.sub_path(), token=token, params={"api-version": "2022-12-01"})
        assert resp.status_code == 200, resp.text

"""What the lab serves for a stock az beyond the SDKs: cloud metadata, user sign-in, Graph."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import jwt
import pytest
import requests
from azure.identity import DeviceCodeCredential
from cryptography.hazmat.primitives import serialization

from podid_lab import ids
from podid_lab.entra.signin import AZURE_CLI_APP_ID, DEVICE_CODE_GRANT
from podid_lab.home import LabHome

ARM = "https://management.core.windows.net//.default"


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture(scope="module")
def device_prompts() -> list[str]:
    return []


def signin(home: LabHome, answer: str, code: str) -> subprocess.CompletedProcess[str]:
    """`podid-lab signin <answer> <code>`, as the lab's owner runs it."""
    return subprocess.run(
        [sys.executable, "-m", "podid_lab", "signin", answer, code],
        env={**os.environ, "PODID_LAB_HOME": str(home.root)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def user_credential(
    lab_home: LabHome, lab_info: dict[str, Any], device_prompts: list[str]
) -> DeviceCodeCredential:
    """The lab user, signed in the way `az login --use-device-code` does (azure-identity/MSAL);
    the owner approves the code with `podid-lab signin approve` when it is shown."""

    def approve(uri: str, code: str, expires: Any) -> None:
        device_prompts.append(code)
        done = signin(lab_home, "approve", code)
        assert done.returncode == 0, done.stderr

    return DeviceCodeCredential(
        client_id=AZURE_CLI_APP_ID,
        tenant_id="organizations",
        authority=lab_info["authority_host"],
        disable_instance_discovery=True,
        connection_verify=lab_info["ca_bundle"],
        prompt_callback=approve,
    )


@pytest.mark.parametrize(
    ("path", "version", "listed"),
    [
        ("/metadata/endpoints", "2022-09-01", False),
        ("//metadata/endpoints", "2022-09-01", False),  # az cloud register adds the slash
        ("/metadata/endpoints", "2019-05-01", True),  # what ARM_CLOUD_METADATA_URL reads
    ],
)
def test_cloud_metadata_names_the_lab_for_arm_entra_and_graph(
    raw: Any, path: str, version: str, listed: bool
) -> None:
    resp = raw.session.get(f"{raw.origin}{path}", params={"api-version": version})
    assert resp.status_code == 200
    body = resp.json()
    assert isinstance(body, list) is listed
    cloud = body[0] if listed else body
    assert cloud["name"] != "AzureCloud"
    assert cloud["resourceManager"] == f"{raw.origin}/"
    assert cloud["authentication"]["loginEndpoint"] == raw.origin
    assert cloud["authentication"]["audiences"][0] == "https://management.core.windows.net/"
    assert cloud["microsoftGraphResourceId"] == f"{raw.origin}/graph/"


def test_a_device_code_approved_by_the_owner_signs_in_the_lab_user(
    user_credential: DeviceCodeCredential, device_prompts: list[str], raw: Any
) -> None:
    token = user_credential.get_token(ARM).token
    assert len(device_prompts) == 1 and len(device_prompts[0]) == 9
    claims = _claims(token)
    assert claims["oid"] == ids.LEARNER_USER_OBJECT_ID
    assert (claims["upn"], claims["idtyp"], claims["appid"]) == (
        ids.LEARNER_USER_NAME,
        "user",
        AZURE_CLI_APP_ID,
    )
    # The user owns the subscription, as the learner's service principal does.
    subs = raw.request("GET", "/subscriptions", token=token, params={"api-version": "2022-12-01"})
    assert [s["subscriptionId"] for s in subs.json()["value"]] == [ids.SUBSCRIPTION_ID]


def test_refresh_token_gives_a_graph_token_without_a_new_prompt(
    user_credential: DeviceCodeCredential, device_prompts: list[str], raw: Any
) -> None:
    user_credential.get_token(ARM)
    prompts = len(device_prompts)
    graph = user_credential.get_token(f"{raw.origin}/graph//.default").token
    assert len(device_prompts) == prompts
    assert _claims(graph)["aud"] == f"{raw.origin}/graph/"


# -- attacks on the device-code flow: nothing signs in without the owner ------------------------


def start_device_code(raw: Any) -> dict[str, Any]:
    resp = raw.session.post(
        f"{raw.origin}/organizations/oauth2/v2.0/devicecode",
        data={"client_id": AZURE_CLI_APP_ID, "scope": ARM},
    )
    assert resp.status_code == 200
    return dict(resp.json())


def redeem(raw: Any, device_code: str) -> requests.Response:
    return raw.session.post(
        f"{raw.origin}/organizations/oauth2/v2.0/token",
        data={
            "grant_type": DEVICE_CODE_GRANT,
            "client_id": AZURE_CLI_APP_ID,
            "device_code": device_code,
        },
    )


def assert_refused(resp: requests.Response, error: str, code: int) -> None:
    body = resp.json()
    assert (resp.status_code, body["error"], body["error_codes"]) == (400, error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert "access_token" not in body


def test_a_code_stays_pending_until_the_owner_answers(raw: Any, lab_home: LabHome) -> None:
    flow = start_device_code(raw)
    assert flow["verification_uri"] == f"{raw.origin}/devicelogin"
    assert flow["user_code"] in flow["message"] and flow["verification_uri"] in flow["message"]
    for _ in range(5):  # polling as fast as it likes gets no token
        assert_refused(redeem(raw, flow["device_code"]), "authorization_pending", 70016)
    done = signin(lab_home, "approve", flow["user_code"].lower())  # typed in any case
    assert (done.returncode, done.stdout) == (
        0,
        f"sign-in with the code {flow['user_code']} approved\n",
    )
    token = redeem(raw, flow["device_code"])
    assert token.status_code == 200
    assert _claims(token.json()["access_token"])["oid"] == ids.LEARNER_USER_OBJECT_ID
    # Redeemed once: the same device code gets nothing more, and the code cannot be reused.
    assert_refused(redeem(raw, flow["device_code"]), "bad_verification_code", 70018)
    again = signin(lab_home, "approve", flow["user_code"])
    assert again.returncode == 1 and "No sign-in is waiting" in again.stderr


def test_a_declined_code_never_signs_in(raw: Any, lab_home: LabHome) -> None:
    flow = start_device_code(raw)
    assert signin(lab_home, "decline", flow["user_code"]).returncode == 0
    for _ in range(2):
        assert_refused(redeem(raw, flow["device_code"]), "authorization_declined", 65004)
    late = signin(lab_home, "approve", flow["user_code"])
    assert late.returncode == 1  # a declined code cannot be approved after all
    assert_refused(redeem(raw, flow["device_code"]), "authorization_declined", 65004)


def test_forged_and_expired_device_codes_get_entras_errors(raw: Any) -> None:
    flow = start_device_code(raw)
    claims = jwt.decode(flow["device_code"], options={"verify_signature": False})
    own_key = serialization.load_pem_private_key(raw.home.signing_key.read_bytes(), password=None)
    other = jwt.encode(
        {**claims, "user_code": "AAAAAAAAA"},
        "a-key-that-is-not-the-labs-own-key",
        algorithm="HS256",
    )
    for forged in ("", "garbage", flow["device_code"][:-4] + "AAAA", other, flow["user_code"]):
        assert_refused(redeem(raw, forged), "bad_verification_code", 70018)
    # Signed by the lab (only its owner could) but past its lifetime: expired_token.
    expired = jwt.encode({**claims, "expires": int(time.time()) - 1}, own_key, algorithm="RS256")
    assert_refused(redeem(raw, expired), "expired_token", 70020)
    other_client = raw.session.post(
        f"{raw.origin}/organizations/oauth2/v2.0/token",
        data={
            "grant_type": DEVICE_CODE_GRANT,
            "client_id": ids.LEARNER_APP_ID,
            "device_code": flow["device_code"],
        },
    )
    assert other_client.status_code in (400, 401) and "access_token" not in other_client.text


def test_only_the_admin_key_answers_a_code(raw: Any, lab_home: LabHome) -> None:
    flow = start_device_code(raw)
    url = f"{raw.origin}/_lab/signin"
    body = {"user_code": flow["user_code"], "answer": "approve"}
    for headers in ({}, {"x-podid-lab-key": ""}, {"x-podid-lab-key": "guess"}):
        refused = raw.session.post(url, json=body, headers=headers)
        assert refused.status_code == 401
    key = {"x-podid-lab-key": lab_home.admin_key()}
    for bad in (None, [], {"user_code": 7, "answer": "approve"}, {**body, "answer": "yes"}):
        assert raw.session.post(url, json=bad, headers=key).status_code == 400
    assert raw.session.post(url, data=b"{not json", headers=key).status_code == 400
    unknown = raw.session.post(url, json={**body, "user_code": "ZZZZZZZZZ"}, headers=key)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "UnknownUserCode")
    assert_refused(redeem(raw, flow["device_code"]), "authorization_pending", 70016)
    page = raw.session.get(f"{raw.origin}/devicelogin")
    assert page.status_code == 200 and "podid-lab signin approve" in page.text


def test_device_code_refuses_unknown_clients_and_tenants(raw: Any) -> None:
    url = f"{raw.origin}/organizations/oauth2/v2.0/devicecode"
    unknown = raw.session.post(url, data={"client_id": ids.LEARNER_APP_ID, "scope": ARM})
    assert (unknown.status_code, unknown.json()["error_codes"]) == (400, [700016])
    url = f"{raw.origin}/11111111-1111-1111-1111-111111111111/oauth2/v2.0/devicecode"
    tenant = raw.session.post(url, data={"client_id": AZURE_CLI_APP_ID, "scope": ARM})
    assert tenant.json()["error_codes"] == [90002]


def test_a_refresh_token_the_lab_did_not_issue_is_invalid_grant(raw: Any) -> None:
    resp = raw.session.post(
        f"{raw.origin}/organizations/oauth2/v2.0/token",
        data={
            "grant_type": "refresh_token",
            "client_id": AZURE_CLI_APP_ID,
            "refresh_token": "not-a-refresh-token",
            "scope": ARM,
        },
    )
    assert (resp.status_code, resp.json()["error"]) == (400, "invalid_grant")


def _graph_token(raw: Any) -> str:
    return str(raw.learner_token(f"{raw.origin}/graph//.default"))


def test_graph_resolves_a_client_id_and_object_ids(raw: Any) -> None:
    token = _graph_token(raw)
    spn = f"servicePrincipalNames/any(c:c eq '{ids.LEARNER_APP_ID}')"
    found = raw.request(
        "GET", "/graph/v1.0/servicePrincipals", token=token, params={"$filter": spn}
    ).json()["value"]
    assert [(p["id"], p["@odata.type"]) for p in found] == [
        (ids.LEARNER_OBJECT_ID, "#microsoft.graph.servicePrincipal")
    ]
    body = {
        "ids": [ids.LEARNER_USER_OBJECT_ID, ids.LEARNER_OBJECT_ID, ids.stable_guid("nobody")],
        "types": ["user", "group", "servicePrincipal", "directoryObjectPartnerReference"],
    }
    stubs = raw.request(
        "POST", "/graph/v1.0/directoryObjects/getByIds", token=token, json=body
    ).json()["value"]
    assert [s["@odata.type"] for s in stubs] == [
        "#microsoft.graph.user",
        "#microsoft.graph.servicePrincipal",
    ]
    users = raw.request(
        "GET",
        "/graph/v1.0/users",
        token=token,
        params={"$filter": f"userPrincipalName eq '{ids.LEARNER_USER_NAME}'"},
    ).json()["value"]
    assert [u["id"] for u in users] == [ids.LEARNER_USER_OBJECT_ID]


def test_graph_wants_a_graph_token_and_a_filter_it_knows(raw: Any) -> None:
    path = "/graph/v1.0/servicePrincipals"
    assert raw.request("GET", path).status_code == 401
    arm = raw.request("GET", path, token=raw.learner_token())
    assert (arm.status_code, arm.json()["error"]["code"]) == (401, "InvalidAuthenticationToken")
    odd = raw.request("GET", path, token=_graph_token(raw), params={"$filter": "startswith(x)"})
    assert (odd.status_code, odd.json()["error"]["code"]) == (400, "Request_UnsupportedQuery")


def test_graph_tokens_are_refused_by_arm(raw: Any) -> None:
    version = {"api-version": "2022-12-01"}
    resp = raw.request("GET", raw.sub_path(), token=_graph_token(raw), params=version)
    assert (resp.status_code, resp.json()["error"]["code"]) == (
        401,
        "InvalidAuthenticationTokenAudience",
    )

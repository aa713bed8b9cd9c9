"""What the lab serves for a stock az beyond the SDKs: cloud metadata, user sign-in, Graph."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from azure.identity import DeviceCodeCredential

from podid_lab import ids
from podid_lab.entra.signin import AZURE_CLI_APP_ID

ARM = "https://management.core.windows.net//.default"


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.fixture(scope="module")
def device_prompts() -> list[str]:
    return []


@pytest.fixture(scope="module")
def user_credential(lab_info: dict[str, Any], device_prompts: list[str]) -> DeviceCodeCredential:
    """The lab user, signed in the way `az login --use-device-code` does (azure-identity/MSAL)."""
    return DeviceCodeCredential(
        client_id=AZURE_CLI_APP_ID,
        tenant_id="organizations",
        authority=lab_info["authority_host"],
        disable_instance_discovery=True,
        connection_verify=lab_info["ca_bundle"],
        prompt_callback=lambda uri, code, expires: device_prompts.append(code),
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


def test_device_code_is_approved_at_once_for_the_lab_user(
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

"""Attacks with tokens and bodies a local user can craft: each gets the 400/401/403 Azure or
Kubernetes answers, never a 500, and changes nothing."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from podid_lab.bodies import MAX_DEPTH, TooDeep, check_depth, parse_json, parse_yaml
from podid_lab.home import LabHome

from .kube_cluster import KubeCluster, make_cluster

API = {"api-version": "2022-09-01"}
AUTH_API = {"api-version": "2022-04-01"}
OTHER_TENANT = "11111111-2222-3333-4444-555555555555"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
DEEP = [b"[" * 100_000, b'{"a":' * 100_000, b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)]


@pytest.fixture(scope="module")
def kube(
    lab_home: LabHome, lab_info: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> KubeCluster:
    return make_cluster(
        lab_home,
        lab_info["arm_endpoint"],
        lab_info["ca_bundle"],
        tmp_path_factory.mktemp("hostile"),
        name="aks-hostile",
    )


def signed(raw: Any, drop: tuple[str, ...] = (), **overrides: Any) -> str:
    """The learner's token with claims dropped or changed, signed with the lab's own key."""
    claims = jwt.decode(raw.learner_token(), options={"verify_signature": False})
    claims = {k: v for k, v in {**claims, **overrides}.items() if k not in drop}
    key = serialization.load_pem_private_key(raw.home.signing_key.read_bytes(), password=None)
    kid = jwt.get_unverified_header(raw.learner_token())["kid"]
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})  # type: ignore[arg-type]


def arm_error(resp: Any) -> tuple[int, str]:
    return resp.status_code, resp.json()["error"]["code"]


# -- tokens: the tenant that signed, and whom they speak for -----------------------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"iss": f"https://sts.windows.net/{OTHER_TENANT}/"}, "InvalidAuthenticationTokenTenant"),
        ({"tid": OTHER_TENANT}, "InvalidAuthenticationTokenTenant"),
        (
            {"iss": f"https://sts.windows.net/{OTHER_TENANT}/", "tid": OTHER_TENANT},
            "InvalidAuthenticationTokenTenant",
        ),
        ({"iss": "https://evil.example/"}, "InvalidAuthenticationTokenTenant"),
        ({"oid": ""}, "InvalidAuthenticationToken"),
        ({"oid": 42}, "InvalidAuthenticationToken"),
        ({"appid": None}, "InvalidAuthenticationToken"),
    ],
)
def test_a_token_must_name_the_lab_tenant_and_a_principal(
    raw: Any, change: dict[str, Any], code: str
) -> None:
    resp = raw.request(
        "GET", raw.sub_path("/resourcegroups"), token=signed(raw, **change), params=API
    )
    assert arm_error(resp) == (401, code)


@pytest.mark.parametrize("claim", ["oid", "appid", "iss", "tid"])
def test_a_token_without_a_claim_is_401_not_500(raw: Any, claim: str) -> None:
    token = signed(raw, drop=(claim,))
    resp = raw.request("GET", raw.sub_path("/resourcegroups"), token=token, params=API)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"].startswith("InvalidAuthenticationToken")


def test_arm_tokens_get_the_kubernetes_401_status(raw: Any, kube: KubeCluster) -> None:
    for token in (raw.learner_token(), signed(raw, tid=OTHER_TENANT)):
        resp = kube.raw("GET", "/api/v1/namespaces", token=token)
        assert resp.status_code == 401
        assert (resp.json()["kind"], resp.json()["reason"]) == ("Status", "Unauthorized")


# -- bodies nested too deep ----------------------------------------------------------------------


def test_depth_limit_counts_brackets_outside_strings() -> None:
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json(at_limit) is not None
    check_depth('["' + "[" * 10_000 + '"]')  # brackets in a string do not nest
    check_depth("a: '" + "{" * 10_000 + "'")
    for body in (b"[" * (MAX_DEPTH + 1), "x: " + "[" * 5000):
        with pytest.raises(TooDeep):
            parse_yaml(body)
    block = "".join(f"{' ' * i}k{i}:\n" for i in range(400)) + " " * 400 + "v: 1\n"
    with pytest.raises(TooDeep):  # block nesting: measured once parsed
        parse_yaml(block)
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefghij":
        laughs += f"{level}: &{level} [{', '.join(['*' + chr(ord(level) - 1)] * 10)}]\n"
    with pytest.raises(TooDeep, match="expands to more than"):
        parse_yaml(laughs)
    with pytest.raises(TooDeep, match="refers to the node that contains it"):
        parse_yaml("a: &a [1, *a]")


@pytest.mark.parametrize("body", DEEP, ids=["brackets", "objects", "limit+1"])
def test_arm_refuses_a_body_nested_too_deep(raw: Any, body: bytes) -> None:
    path = raw.sub_path("/resourcegroups/too-deep")
    token = raw.learner_token()
    resp = raw.request(
        "PUT",
        path,
        token=token,
        params=API,
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert arm_error(resp) == (400, "InvalidRequestContent")
    assert raw.request("HEAD", path, token=token, params=API).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("POST", "/api/v1/namespaces/default/pods", "application/json"),
        ("POST", "/api/v1/namespaces/default/pods", "application/yaml"),
        ("POST", "/api/v1/namespaces", "application/json"),
        ("PATCH", "/api/v1/namespaces/default", "application/merge-patch+json"),
        ("PATCH", "/api/v1/namespaces/default", "application/apply-patch+yaml"),
        ("DELETE", "/api/v1/namespaces/default/pods/none", "application/json"),
    ],
)
def test_the_kubernetes_api_refuses_a_body_nested_too_deep(
    kube: KubeCluster, method: str, path: str, content_type: str
) -> None:
    for body in DEEP:
        resp = kube.raw(
            method,
            path,
            data=body,
            headers={"Content-Type": content_type},
            params={"fieldManager": "probe"},
        )
        assert resp.status_code == 400, resp.text
        assert (resp.json()["kind"], resp.json()["reason"]) == ("Status", "BadRequest")
    assert [
        n.metadata.name for n in kube.core.list_namespace().items if n.metadata.name == "a"
    ] == []


def test_graph_refuses_a_body_nested_too_deep(raw: Any) -> None:
    token = raw.learner_token(f"{raw.origin}/graph//.default")
    resp = raw.request(
        "POST", "/graph/v1.0/directoryObjects/getByIds", token=token, data=b"[" * 100_000
    )
    assert resp.status_code == 400


# -- keyed admin routes validate their bodies ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/_lab/settings", b"[]"),
        ("PATCH", "/_lab/settings", b"not json"),
        ("PATCH", "/_lab/settings", b'{"token_lifetime_seconds": [1]}'),
        ("PATCH", "/_lab/settings", b'{"no_such_knob": 1}'),
        ("POST", "/_lab/exercises", b"[]"),
        ("POST", "/_lab/exercises", b'{"exercise": {"a": 1}, "title": "x"}'),
        ("POST", "/_lab/exercises", b'{"exercise": "../x", "title": "x"}'),
        ("POST", "/_lab/kube/clusters", b"[]"),
        ("POST", "/_lab/kube/clusters", b'{"name": "../../x"}'),
        ("POST", "/_lab/kube/clusters", b'{"resourceGroup": "a/b"}'),
        ("POST", "/_lab/kube/clusters", b'{"nodeCount": "2"}'),
        ("POST", "/_lab/kube/clusters", b'{"nodeCount": 100000}'),
        ("POST", "/_lab/kube/clusters", b'{"unknown": true}'),
        ("POST", "/_lab/kube/clusters", b"{broken"),
        ("DELETE", "/_lab/kube/clusters", b"{}"),
        ("DELETE", "/_lab/kube/clusters", b'{"clusterId": 7}'),
        ("POST", "/_lab/signin", b'{"user_code": ["A"], "answer": "approve"}'),
    ],
)
def test_admin_routes_refuse_malformed_bodies(
    raw: Any, lab_home: LabHome, method: str, path: str, body: bytes
) -> None:
    key = {"x-podid-lab-key": lab_home.admin_key(), "Content-Type": "application/json"}
    knobs = raw.session.get(f"{raw.origin}/_lab/settings").json()
    for sent in (body, DEEP[0]):
        resp = raw.session.request(method, f"{raw.origin}{path}", data=sent, headers=key)
        assert resp.status_code == 400, (sent[:40], resp.text)
        assert resp.json()["error"]["code"]
    assert raw.session.get(f"{raw.origin}/_lab/settings").json() == knobs


# -- operations, role definitions and scopes ---------------------------------------------------


def test_an_operation_status_needs_read_rights_over_its_resource(raw: Any) -> None:
    token = raw.learner_token()
    path = raw.sub_path("/resourcegroups/op-probe")
    raw.request("PUT", path, token=token, params=API, json={"location": "japaneast"})
    started = raw.request("DELETE", path, token=token, params=API)
    assert started.status_code == 202
    urls = [started.headers["Location"]]
    urls += (
        [started.headers["Azure-AsyncOperation"]]
        if "Azure-AsyncOperation" in started.headers
        else []
    )
    stranger = str(uuid.uuid4())
    nobody = raw.forge(oid=stranger, sub=stranger)
    for url in urls:
        denied = raw.session.get(url, headers={"Authorization": f"Bearer {nobody}"})
        assert arm_error(denied) == (403, "AuthorizationFailed")
        assert "Microsoft.Resources/subscriptions/resourceGroups/read" in denied.text
        allowed = raw.session.get(url, headers={"Authorization": f"Bearer {token}"})
        assert allowed.status_code in (200, 202)


@pytest.mark.parametrize(
    "role_id",
    [
        f"/garbage/path/{OWNER}",
        OWNER,
        f"/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
        f"/providers/Microsoft.Authorization/roleDefinitions/{OWNER}/extra",
        f"/providers/Microsoft.Authorization/roleAssignments/{OWNER}",
        "/providers/Microsoft.Authorization/roleDefinitions/not-a-guid",
    ],
)
def test_a_role_definition_id_must_be_one(raw: Any, role_id: str) -> None:
    token = raw.learner_token()
    scope = raw.sub_path()
    resp = raw.request(
        "PUT",
        f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}",
        token=token,
        params=AUTH_API,
        json={"properties": {"roleDefinitionId": role_id, "principalId": raw.info["client_id"]}},
    )
    assert arm_error(resp) == (400, "InvalidRoleDefinitionId")


def test_both_forms_of_a_role_definition_id_are_accepted(raw: Any) -> None:
    token = raw.learner_token()
    scope = raw.sub_path()
    principal = jwt.decode(token, options={"verify_signature": False})["oid"]
    for role_id in (
        f"/providers/Microsoft.Authorization/roleDefinitions/{READER}",
        f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{READER}",
    ):
        resp = raw.request(
            "PUT",
            f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}",
            token=token,
            params=AUTH_API,
            json={
                "properties": {
                    "roleDefinitionId": role_id,
                    "principalId": principal,
                    "principalType": "ServicePrincipal",
                }
            },
        )
        assert resp.status_code in (201, 409), resp.text
        assert resp.status_code == 201 or resp.json()["error"]["code"] == "RoleAssignmentExists"


@pytest.mark.parametrize(
    "scope",
    [
        "/resourceGroups/%2E%2E",
        "/resourceGroups/a/%2E%2E/%2E%2E",
        "/resourceGroups/%2E/x",
        "/resourceGroups//x",
    ],
)
def test_a_scope_with_dot_or_empty_segments_is_refused(raw: Any, scope: str) -> None:
    token = raw.learner_token()
    name = str(uuid.uuid4())
    path = raw.sub_path(f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}")
    body = {
        "properties": {
            "roleDefinitionId": f"/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
            "principalId": raw.info["client_id"],
            "principalType": "ServicePrincipal",
        }
    }
    resp = raw.request("PUT", path, token=token, params=AUTH_API, json=body)
    assert arm_error(resp) == (400, "InvalidScope")
    listed = raw.request(
        "GET",
        raw.sub_path("/providers/Microsoft.Authorization/roleAssignments"),
        token=token,
        params=AUTH_API,
    ).json()["value"]
    assert name not in {a["name"] for a in listed}


def test_the_checks_are_fast(raw: Any, tmp_path: Path) -> None:
    """A 3 MB body of brackets is refused in well under a second (no quadratic scan)."""
    started = time.monotonic()
    with pytest.raises(TooDeep):
        check_depth(b"[" * 3_000_000)
    check_depth(b"[]" * 1_500_000)
    assert time.monotonic() - started < 2.0

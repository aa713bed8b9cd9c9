"""ARM's shared behaviour: envelopes, api-versions, bodies, paging, operations, providers,
features and resource groups, through the real SDK clients where they reach."""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.resource.features import FeatureClient
from azure.mgmt.resource.resources import ResourceManagementClient

API = {"api-version": "2025-04-01"}


@pytest.fixture
def token(raw: Any) -> str:
    return str(raw.learner_token())


def test_missing_and_malformed_api_version(raw: Any, token: str) -> None:
    resp = raw.request("GET", raw.sub_path("/resourcegroups"), token=token)
    assert (resp.status_code, resp.json()["error"]["code"]) == (400, "MissingApiVersionParameter")
    resp = raw.request(
        "GET", raw.sub_path("/resourcegroups"), token=token, params={"api-version": "latest"}
    )
    assert (resp.status_code, resp.json()["error"]["code"]) == (400, "InvalidApiVersionParameter")


@pytest.mark.parametrize("version", ["2019-05-10", "2025-04-01", "2031-01-01-preview"])
def test_any_dated_api_version_is_served(raw: Any, token: str, version: str) -> None:
    resp = raw.request(
        "GET", raw.sub_path("/resourcegroups"), token=token, params={"api-version": version}
    )
    assert resp.status_code == 200


def test_malformed_json_is_400_and_the_lab_keeps_serving(raw: Any, token: str) -> None:
    path = raw.sub_path("/resourcegroups/bad-json")
    resp = raw.request(
        "PUT",
        path,
        token=token,
        params=API,
        data=b'{"location": ',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "InvalidRequestContent"
    assert raw.request("HEAD", path, token=token, params=API).status_code == 404
    assert raw.request("GET", raw.sub_path(), token=token, params=API).status_code == 200


def test_oversized_body_is_400(raw: Any, token: str) -> None:
    path = raw.sub_path("/resourcegroups/too-big")
    blob = b'{"location": "japaneast", "tags": {"x": "' + b"a" * (5 * 1024 * 1024) + b'"}}'
    resp = raw.request("PUT", path, token=token, params=API, data=blob)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "InvalidRequestContent"
    assert raw.request("HEAD", path, token=token, params=API).status_code == 404


def test_unknown_paths_and_methods_answer_in_the_arm_envelope(raw: Any, token: str) -> None:
    resp = raw.request(
        "GET", raw.sub_path("/providers/Microsoft.Nope/things"), token=token, params=API
    )
    assert resp.status_code == 404
    assert set(resp.json()["error"]) >= {"code", "message"}
    resp = raw.request("POST", raw.sub_path("/resourcegroups/x"), token=token, params=API)
    assert (resp.status_code, resp.json()["error"]["code"]) == (405, "MethodNotAllowed")
    assert "x-ms-request-id" in resp.headers


def test_subscription_and_tenant(
    resource_client: ResourceManagementClient, raw: Any, lab_info: dict[str, Any], token: str
) -> None:
    subs = raw.request("GET", "/subscriptions", token=token, params={"api-version": "2022-12-01"})
    (sub,) = subs.json()["value"]
    assert sub["subscriptionId"] == lab_info["subscription_id"]
    assert sub["tenantId"] == lab_info["tenant_id"]
    assert sub["state"] == "Enabled"
    tenants = raw.request("GET", "/tenants", token=token, params={"api-version": "2022-12-01"})
    assert tenants.json()["value"][0]["tenantId"] == lab_info["tenant_id"]


def test_providers_are_registered_at_start(resource_client: ResourceManagementClient) -> None:
    names = {p.namespace: p.registration_state for p in resource_client.providers.list()}
    for ns in (
        "Microsoft.ContainerService",
        "Microsoft.ManagedIdentity",
        "Microsoft.Authorization",
        "Microsoft.Compute",
    ):
        assert names[ns] == "Registered"
    provider = resource_client.providers.get("Microsoft.ContainerService")
    assert any(t.resource_type == "managedClusters" for t in provider.resource_types)


def test_provider_reregistration_goes_registering_then_registered(
    resource_client: ResourceManagementClient,
) -> None:
    assert resource_client.providers.register("Microsoft.ManagedIdentity").registration_state in (
        "Registering",
        "Registered",
    )
    deadline = time.time() + 5
    while (
        resource_client.providers.get("Microsoft.ManagedIdentity").registration_state
        != "Registered"
    ):
        assert time.time() < deadline
        time.sleep(0.2)


def test_feature_registration(feature_client: FeatureClient) -> None:
    ns, name = "Microsoft.ContainerService", "EnablePodIdentityPreview"
    first = feature_client.features.register(ns, name)
    assert first.properties.state in ("Registering", "Registered")
    assert first.name == f"{ns}/{name}"
    assert first.type == "Microsoft.Features/providers/features"
    again = feature_client.features.register(ns, name)  # idempotent
    assert again.properties.state in ("Registering", "Registered")
    deadline = time.time() + 10
    while feature_client.features.get(ns, name).properties.state != "Registered":
        assert time.time() < deadline
        time.sleep(0.2)
    listed = {f.name: f.properties.state for f in feature_client.features.list(ns)}
    assert listed[f"{ns}/{name}"] == "Registered"
    assert f"{ns}/{name}" in {f.name for f in feature_client.features.list_all()}


def test_unknown_feature_is_404(feature_client: FeatureClient) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        feature_client.features.get("Microsoft.ContainerService", "NoSuchFeature")
    assert info.value.error.code == "FeatureNotFound"


def test_resource_group_lifecycle(
    resource_client: ResourceManagementClient, lab_info: dict[str, Any]
) -> None:
    groups = resource_client.resource_groups
    created = groups.create_or_update("core-life", {"location": "japaneast", "tags": {"a": "1"}})
    assert created.id == f"/subscriptions/{lab_info['subscription_id']}/resourceGroups/core-life"
    assert created.properties.provisioning_state == "Succeeded"
    assert groups.check_existence("core-life") is True
    assert groups.get("CORE-LIFE").name == "core-life"  # names are case-insensitive
    updated = groups.update("core-life", {"tags": {"b": "2"}})
    assert updated.tags == {"b": "2"}
    assert "core-life" in {g.name for g in groups.list()}
    with pytest.raises(HttpResponseError) as info:
        groups.create_or_update("core-life", {"location": "westeurope"})
    assert info.value.error.code == "InvalidResourceGroupLocation"
    poller = groups.begin_delete("core-life", polling_interval=0.2)
    poller.result()
    assert groups.check_existence("core-life") is False
    with pytest.raises(ResourceNotFoundError) as missing:
        groups.get("core-life")
    assert missing.value.error.code == "ResourceGroupNotFound"


def test_resource_group_delete_is_a_long_running_operation(raw: Any, token: str) -> None:
    path = raw.sub_path("/resourcegroups/core-lro")
    assert (
        raw.request(
            "PUT", path, token=token, params=API, json={"location": "japaneast"}
        ).status_code
        == 201
    )
    resp = raw.request("DELETE", path, token=token, params=API)
    assert resp.status_code == 202
    assert resp.headers["Retry-After"] == "1"
    location = resp.headers["Location"]
    assert location.startswith(raw.origin + raw.sub_path("/operationresults/"))
    assert (
        raw.request("GET", path, token=token, params=API).json()["properties"]["provisioningState"]
        == "Deleting"
    )
    deadline = time.time() + 5
    while (
        status := raw.session.get(
            location, headers={"Authorization": f"Bearer {token}"}
        ).status_code
    ) == 202:
        assert time.time() < deadline
        time.sleep(0.1)
    assert status == 200
    assert raw.request("HEAD", path, token=token, params=API).status_code == 404
    missing = raw.request("DELETE", path, token=token, params=API)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "ResourceGroupNotFound")


@pytest.mark.parametrize("name", ["ends-with-dot.", "has space", "a" * 91, "semi;colon"])
def test_invalid_resource_group_names_are_rejected(raw: Any, token: str, name: str) -> None:
    resp = raw.request(
        "PUT",
        raw.sub_path(f"/resourcegroups/{name}"),
        token=token,
        params=API,
        json={"location": "japaneast"},
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "InvalidResourceGroup"
    assert name in resp.json()["error"]["message"]


def test_unknown_location_is_rejected(raw: Any, token: str) -> None:
    resp = raw.request(
        "PUT",
        raw.sub_path("/resourcegroups/core-loc"),
        token=token,
        params=API,
        json={"location": "moonbase1"},
    )
    assert (resp.status_code, resp.json()["error"]["code"]) == (
        400,
        "LocationNotAvailableForResourceGroup",
    )


def test_paging_follows_next_link(
    resource_client: ResourceManagementClient, admin: Any, raw: Any, token: str
) -> None:
    names = [f"core-page-{i}" for i in range(5)]
    for name in names:
        resource_client.resource_groups.create_or_update(name, {"location": "japaneast"})
    assert admin("PATCH", "/_lab/settings", {"page_size": 2}).status_code == 200
    try:
        first = raw.request("GET", raw.sub_path("/resourcegroups"), token=token, params=API).json()
        assert len(first["value"]) == 2
        assert first["nextLink"].startswith(raw.origin)
        listed = {g.name for g in resource_client.resource_groups.list()}
        assert set(names) <= listed
    finally:
        admin("PATCH", "/_lab/settings", {"page_size": 100})
        deletions = [resource_client.resource_groups.begin_delete(name) for name in names]
        for deletion in deletions:
            deletion.result()


def test_health_reports_the_checks_in_force(raw: Any) -> None:
    health = raw.session.get(f"{raw.origin}/_lab/health").json()
    assert health["status"] == "ok"
    assert all(health["checks"].values())
    assert health["knobs"]["retry_after_seconds"] == 1


def test_admin_routes_need_the_admin_key(raw: Any) -> None:
    assert raw.session.post(f"{raw.origin}/_lab/reset").status_code == 401
    assert (
        raw.session.patch(f"{raw.origin}/_lab/settings", json={"page_size": 1}).status_code == 401
    )


def test_bad_knob_is_rejected_and_changes_nothing(admin: Any) -> None:
    resp = admin("PATCH", "/_lab/settings", {"page_size": "many"})
    assert resp.status_code == 400
    assert admin("GET", "/_lab/settings").json()["page_size"] == 100

"""Every response body the AKS, identity, role and compute providers send validates against the
official schemas in ../shared/specs (resolved with prance, checked with jsonschema); official
examples serve as request bodies where they fit the lab."""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

import pytest

from .conftest import Azure
from .specs import check, example, require_specs, response_schema

AKS = "2026-08-01"
MSI = "2024-11-30"
AUTH = "2022-04-01"
COMPUTE = "2026-04-01"
SUB = "/subscriptions/{subscriptionId}"
RG = SUB + "/resourceGroups/{resourceGroupName}"
CLUSTERS = "/providers/Microsoft.ContainerService/managedClusters"
IDENTITIES = "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"


class Arm:
    """Raw ARM calls with the learner's token that check each body against a spec."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.token = raw.learner_token()

    def call(
        self,
        method: str,
        path: str,
        api: str,
        *,
        body: Any = None,
        params: dict[str, str] | None = None,
        status: int,
        spec: tuple[str, str] | None = None,
    ) -> Any:
        """Send a request, assert its status, validate its body against `spec`'s
        (name, path template) response schema for that status, and return the body."""
        resp = self.raw.request(
            method,
            path,
            token=self.token,
            params={"api-version": api, **(params or {})},
            json=body,
        )
        assert resp.status_code == status, resp.text
        if spec is None:
            return None
        data = resp.json()
        check(data, response_schema(spec[0], spec[1], method, status))
        return data


@pytest.fixture(scope="module")
def arm(raw: Any) -> Arm:
    require_specs()
    return Arm(raw)


@pytest.fixture(scope="module")
def group(azure: Azure) -> str:
    name = f"conformance-{uuid.uuid4().hex[:6]}"
    azure.resources.resource_groups.create_or_update(name, {"location": "japaneast"})
    return f"{azure.sub}/resourceGroups/{name}"


def _wait_succeeded(arm: Arm, path: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        body = arm.call(
            "GET", path, AKS, status=200, spec=("aks", RG + CLUSTERS + "/{resourceName}")
        )
        if body["properties"]["provisioningState"] == "Succeeded":
            return body  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError("cluster did not finish")


def test_user_assigned_identities(arm: Arm, group: str) -> None:
    one = (
        "msi",
        RG + IDENTITIES + "/{resourceName}",
    )
    request = example("msi", "IdentityCreate.json")
    body = request["parameters"]["parameters"]
    path = f"{group}{IDENTITIES}/conformance-id"
    created = arm.call("PUT", path, MSI, body=body, status=201, spec=one)
    assert created["tags"] == body["tags"]
    arm.call("PUT", path, MSI, body=body, status=200, spec=one)
    arm.call("PATCH", path, MSI, body={"tags": {"k": "v"}}, status=200, spec=one)
    arm.call("GET", path, MSI, status=200, spec=one)
    arm.call("GET", f"{group}{IDENTITIES}", MSI, status=200, spec=("msi", RG + IDENTITIES))
    sub = "/".join(group.split("/")[:3])
    arm.call("GET", f"{sub}{IDENTITIES}", MSI, status=200, spec=("msi", SUB + IDENTITIES))
    arm.call("DELETE", path, MSI, status=200)
    arm.call("DELETE", path, MSI, status=204)
    missing = arm.raw.request("GET", path, token=arm.token, params={"api-version": MSI})
    assert missing.status_code == 404
    check(missing.json(), response_schema(*one, "get", "default"))


def test_role_definitions_and_assignments(arm: Arm, azure: Azure, group: str) -> None:
    defs = "/{scope}/providers/Microsoft.Authorization/roleDefinitions"
    listed = arm.call(
        "GET",
        f"{group}/providers/Microsoft.Authorization/roleDefinitions",
        AUTH,
        params={"$filter": "roleName eq 'Virtual Machine Contributor'"},
        status=200,
        spec=("definitions", defs),
    )
    (vmc,) = listed["value"]
    arm.call("GET", vmc["id"], AUTH, status=200, spec=("definitions", defs + "/{roleDefinitionId}"))

    identity = azure.msi.user_assigned_identities.create_or_update(
        group.rsplit("/", 1)[-1], "conformance-ra", {"location": "japaneast"}
    )
    fixture = copy.deepcopy(
        example("assignments", "RoleAssignments_CreateForResourceGroup.json")["parameters"][
            "parameters"
        ]
    )
    fixture["properties"].update(roleDefinitionId=vmc["id"], principalId=identity.principal_id)
    one = (
        "assignments",
        "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
    )
    path = f"{group}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    arm.call("PUT", path, AUTH, body=fixture, status=201, spec=one)
    arm.call("GET", path, AUTH, status=200, spec=one)
    arm.call(
        "GET",
        f"{group}/providers/Microsoft.Authorization/roleAssignments",
        AUTH,
        params={"$filter": f"atScope() and assignedTo('{identity.principal_id}')"},
        status=200,
        spec=("assignments", "/{scope}/providers/Microsoft.Authorization/roleAssignments"),
    )
    exists = arm.raw.request(
        "PUT", path, token=arm.token, params={"api-version": AUTH}, json=fixture
    )
    assert exists.status_code == 409
    assert exists.json()["error"]["code"] == "RoleAssignmentExists"
    check(exists.json(), response_schema(*one, "put", "default"))
    arm.call("DELETE", path, AUTH, status=200, spec=one)
    arm.call("DELETE", path, AUTH, status=204)


def test_managed_clusters(arm: Arm, azure: Azure, group: str) -> None:
    one = ("aks", RG + CLUSTERS + "/{resourceName}")
    body = example("aks", "ManagedClustersCreate_SecurityProfile.json")["parameters"]["parameters"]
    body["location"] = "japaneast"
    path = f"{group}{CLUSTERS}/secprofile"
    created = arm.call("PUT", path, AKS, body=body, status=201, spec=one)
    assert created["properties"]["provisioningState"] == "Creating"
    assert created["properties"]["securityProfile"]["workloadIdentity"] == {"enabled": True}
    cluster = _wait_succeeded(arm, path)
    assert cluster["sku"]["name"] == "Base"  # the example's old name "Basic"

    # The general create/update example, with its user-assigned control-plane identity
    # replaced by one that exists in the lab.
    identity = azure.msi.user_assigned_identities.create_or_update(
        group.rsplit("/", 1)[-1], "control-plane", {"location": "japaneast"}
    )
    update = example("aks", "ManagedClustersCreate_Update.json")["parameters"]["parameters"]
    update["location"] = "japaneast"
    update["identity"]["userAssignedIdentities"] = {identity.id: {}}
    general = f"{group}{CLUSTERS}/general"
    made = arm.call("PUT", general, AKS, body=update, status=201, spec=one)
    assert "secret" not in made["properties"]["servicePrincipalProfile"]
    assert "adminPassword" not in made["properties"]["windowsProfile"]
    _wait_succeeded(arm, general)
    arm.call("PUT", general, AKS, body=update, status=200, spec=one)
    _wait_succeeded(arm, general)

    sub = "/".join(group.split("/")[:3])
    arm.call("GET", f"{group}{CLUSTERS}", AKS, status=200, spec=("aks", RG + CLUSTERS))
    arm.call("GET", f"{sub}{CLUSTERS}", AKS, status=200, spec=("aks", SUB + CLUSTERS))
    for action in ("listClusterUserCredential", "listClusterAdminCredential"):
        arm.call("POST", f"{path}/{action}", AKS, status=200, spec=("aks", f"{one[1]}/{action}"))
    arm.call("DELETE", general, AKS, status=202)
    missing = arm.raw.request(
        "GET", f"{group}{CLUSTERS}/nothing", token=arm.token, params={"api-version": AKS}
    )
    assert missing.status_code == 404
    check(missing.json(), response_schema(*one, "get", "default"))


def test_virtual_machines_in_a_node_group(arm: Arm, azure: Azure, group: str) -> None:
    """The compute spec is an excerpt whose refs to uncopied sub-objects dangle on purpose;
    scale sets have no spec here at all, so their shape is checked by the SDK reading it."""
    path = f"{group}{CLUSTERS}/vms"
    body = {
        "location": "japaneast",
        "properties": {"agentPoolProfiles": [{"name": "nodepool1", "count": 1}]},
    }
    arm.call(
        "PUT", path, AKS, body=body, status=201, spec=("aks", RG + CLUSTERS + "/{resourceName}")
    )
    cluster = _wait_succeeded(arm, path)
    sub = "/".join(group.split("/")[:3])
    node_group = f"{sub}/resourceGroups/{cluster['properties']['nodeResourceGroup']}"
    listed = arm.call(
        "GET",
        f"{node_group}/providers/Microsoft.Compute/virtualMachines",
        COMPUTE,
        status=200,
        spec=("compute", RG + "/providers/Microsoft.Compute/virtualMachines"),
    )
    assert listed["value"] == []


def test_the_schemas_are_not_vacuous() -> None:
    """A body the spec forbids fails the check (so the passes above mean something)."""
    require_specs()
    import jsonschema

    schema = response_schema("aks", RG + CLUSTERS + "/{resourceName}", "get", 200)
    wrong = {"location": "japaneast", "properties": {"networkProfile": {"networkPlugin": 5}}}
    with pytest.raises(jsonschema.ValidationError):
        check(wrong, schema)
    assignment = response_schema(
        "assignments",
        "/{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
        "get",
        200,
    )
    with pytest.raises(jsonschema.ValidationError):
        check({"properties": {"principalType": "Robot"}}, assignment)

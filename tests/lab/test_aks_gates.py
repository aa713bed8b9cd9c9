"""Every gate and error of the AKS, identity and role providers, and deletion cascades, on a lab
of this module's own (the pod-identity preview is registered subscription-wide)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from .aks_steps import (
    FEATURE,
    NAMESPACE,
    POLL,
    assign,
    cluster_body,
    create_cluster,
    register_pod_identity_preview,
    role_id,
    wait_for,
)
from .conftest import Azure
from .specs import example


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _refused(call: Any) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as info:
        call()
    return info.value


def _group(az: Azure) -> str:
    name = _name("rg")
    az.resources.resource_groups.create_or_update(name, {"location": "japaneast"})
    return name


def _pod_identity(**profile: Any) -> dict[str, Any]:
    return {"podIdentityProfile": {"enabled": True, **profile}}


FEATURE_MESSAGE = (
    "PodIdentity addon is not allowed since feature "
    "'Microsoft.ContainerService/EnablePodIdentityPreview' is not enabled."
)


@pytest.fixture(scope="module")
def az(own_azure: Azure) -> Azure:
    return own_azure


def test_pod_identity_needs_the_feature_and_then_the_provider_registered(az: Azure) -> None:
    group = _group(az)
    body = cluster_body(**_pod_identity())
    put = az.aks.managed_clusters.begin_create_or_update
    error = _refused(lambda: put(group, _name("aks"), body))
    assert (error.status_code, error.error.code) == (400, "PodIdentityAddonFeatureFlagNotEnabled")
    assert error.error.message == FEATURE_MESSAGE
    az.features.features.register(NAMESPACE, FEATURE)
    wait_for(lambda: az.features.features.get(NAMESPACE, FEATURE).properties.state == "Registered")
    # Registered, but AKS only sees it once the provider is registered again.
    assert _refused(lambda: put(group, _name("aks"), body)).error.code == (
        "PodIdentityAddonFeatureFlagNotEnabled"
    )
    register_pod_identity_preview(az)
    cluster = put(group, _name("aks"), body, **POLL).result()
    assert cluster.pod_identity_profile.enabled is True


def test_service_principal_cluster_is_refused(az: Azure) -> None:
    """The official pod-identity example uses a service-principal cluster: AKS refuses it."""
    register_pod_identity_preview(az)
    body = example("aks", "ManagedClustersCreate_PodIdentity.json")["parameters"]["parameters"]
    body["location"] = "japaneast"
    error = _refused(
        lambda: az.aks.managed_clusters.begin_create_or_update(_group(az), "clustername1", body)
    )
    assert error.status_code == 400
    assert error.error.message == "PodIdentity addon requires managed identity."


def test_kubenet_needs_consent(az: Azure) -> None:
    register_pod_identity_preview(az)
    group = _group(az)
    put = az.aks.managed_clusters.begin_create_or_update
    body = cluster_body(plugin="kubenet", **_pod_identity())
    error = _refused(lambda: put(group, _name("aks"), body))
    assert error.error.message == (
        "Network plugin kubenet is not supported to use with PodIdentity addon."
    )
    allowed = cluster_body(plugin="kubenet", **_pod_identity(allowNetworkPluginKubenet=True))
    cluster = put(group, _name("aks"), allowed, **POLL).result()
    assert cluster.network_profile.network_plugin == "kubenet"
    assert cluster.pod_identity_profile.allow_network_plugin_kubenet is True


def test_no_pod_identities_at_creation(az: Azure) -> None:
    register_pod_identity_preview(az)
    identities = [
        {
            "name": "x",
            "namespace": "x",
            "identity": {"resourceId": "/subscriptions/x", "clientId": "a", "objectId": "b"},
        }
    ]
    body = cluster_body(**_pod_identity(userAssignedIdentities=identities))
    error = _refused(
        lambda: az.aks.managed_clusters.begin_create_or_update(_group(az), _name("aks"), body)
    )
    assert error.error.code == "PodIdentityAddonUserAssignedIdentitiesNotAllowedInCreation"
    assert error.error.message == (
        "PodIdentity addon does not support assigning pod identities on creation."
    )


def test_node_resource_group_name_limit(az: Azure) -> None:
    group = "g" * 40
    az.resources.resource_groups.create_or_update(group, {"location": "japaneast"})
    error = _refused(
        lambda: az.aks.managed_clusters.begin_create_or_update(group, "c" * 30, cluster_body())
    )
    assert error.error.code == "InvalidParameter"
    assert "The maximum length is 80 and the length of the value provided is 84." in str(error)


def test_cluster_changes_aks_refuses(az: Azure) -> None:
    group, name = _group(az), _name("aks")
    put = az.aks.managed_clusters.begin_create_or_update
    poller = put(group, name, cluster_body())
    busy = _refused(lambda: put(group, name, cluster_body()))
    assert (busy.status_code, busy.error.code) == (409, "OperationNotAllowed")
    poller.result()
    moved = _refused(lambda: put(group, name, cluster_body(location="eastus")))
    assert moved.error.code == "PropertyChangeNotAllowed"
    replug = _refused(lambda: put(group, name, cluster_body(plugin="kubenet")))
    assert "networkProfile.networkPlugin" in replug.error.message
    old = _refused(lambda: put(group, _name("aks"), cluster_body(kubernetesVersion="1.9.6")))
    assert old.error.code == "K8sVersionNotSupported"


def test_role_assignment_errors(az: Azure) -> None:
    group = az.resources.resource_groups.get(_group(az))
    identity = az.msi.user_assigned_identities.create_or_update(
        group.name, "worker", {"location": "japaneast"}
    )
    first = assign(az, group.id, "Reader", identity.principal_id)
    again = _refused(lambda: assign(az, group.id, "Reader", identity.principal_id))
    assert (again.status_code, again.error.code) == (409, "RoleAssignmentExists")
    assert again.error.message == "The role assignment already exists."
    same_name = _refused(lambda: assign(az, group.id, "Reader", identity.principal_id, first.name))
    assert same_name.error.code == "RoleAssignmentExists"

    ghost = str(uuid.uuid4())
    missing = _refused(lambda: assign(az, group.id, "Reader", ghost))
    assert (missing.status_code, missing.error.code) == (400, "PrincipalNotFound")
    assert missing.error.message.startswith(
        f"Principal {ghost.replace('-', '')} does not exist in the directory "
        f"{az.info['tenant_id']}."
    )
    bad_name = _refused(
        lambda: assign(az, group.id, "Contributor", identity.principal_id, "not-a-guid")
    )
    assert bad_name.error.code == "InvalidRoleAssignmentId"
    no_role = _refused(
        lambda: az.auth.role_assignments.create(
            group.id,
            str(uuid.uuid4()),
            {
                "properties": {
                    "roleDefinitionId": role_id(az, group.id, "Reader")[:-4] + "ffff",
                    "principalId": identity.principal_id,
                }
            },
        )
    )
    assert no_role.error.code == "RoleDefinitionDoesNotExist"

    assert az.auth.role_assignments.delete(group.id, first.name).name == first.name
    assert az.auth.role_assignments.delete(group.id, first.name) is None  # 204
    with pytest.raises(ResourceNotFoundError) as gone:
        az.auth.role_assignments.get(group.id, first.name)
    assert gone.value.error.code == "RoleAssignmentNotFound"


def test_replication_delay_knob(az: Azure) -> None:
    with az.knobs(replication_delay_seconds=60):
        group = az.resources.resource_groups.get(_group(az))
        fresh = az.msi.user_assigned_identities.create_or_update(
            group.name, "fresh", {"location": "japaneast"}
        )
        early = _refused(lambda: assign(az, group.id, "Reader", fresh.principal_id))
        assert early.error.code == "PrincipalNotFound"
        # Azure's documented way round the delay: name the principal type.
        made = assign(az, group.id, "Reader", fresh.principal_id, principalType="ServicePrincipal")
        assert made.principal_id == fresh.principal_id


def test_role_assignment_filters(az: Azure) -> None:
    group = az.resources.resource_groups.get(_group(az))
    identity = az.msi.user_assigned_identities.create_or_update(
        group.name, "filtered", {"location": "japaneast"}
    )
    pid = identity.principal_id
    at_group = assign(az, group.id, "Reader", pid)
    below = assign(az, identity.id, "Managed Identity Operator", pid)
    listed = az.auth.role_assignments.list_for_scope
    assert {a.name for a in listed(group.id, filter=f"principalId eq '{pid}'")} == {
        at_group.name,
        below.name,
    }
    at_scope = {a.name for a in listed(group.id, filter=f"atScope() and assignedTo('{pid}')")}
    assert at_scope == {at_group.name}
    inherited = {a.name for a in listed(identity.id, filter=f"atScope() and assignedTo('{pid}')")}
    assert inherited == {at_group.name, below.name}
    # Unfiltered: at, above (the learner's Owner on the subscription) and below.
    everything = {a.name for a in listed(group.id)}
    assert {at_group.name, below.name} <= everything and len(everything) >= 3
    bad = _refused(lambda: list(listed(group.id, filter="roleName eq 'Reader'")))
    assert bad.status_code == 400


def test_deleting_an_identity_orphans_its_assignments(az: Azure) -> None:
    group = az.resources.resource_groups.get(_group(az))
    identity = az.msi.user_assigned_identities.create_or_update(
        group.name, "orphan", {"location": "japaneast"}
    )
    made = assign(az, group.id, "Reader", identity.principal_id)
    az.msi.user_assigned_identities.delete(group.name, "orphan")
    assert az.auth.role_assignments.get(group.id, made.name).principal_id == identity.principal_id
    again = _refused(lambda: assign(az, group.id, "Contributor", identity.principal_id))
    assert again.error.code == "PrincipalNotFound"


def test_role_definitions(az: Azure) -> None:
    scope = f"/subscriptions/{az.info['subscription_id']}"
    (vmc,) = az.auth.role_definitions.list(
        scope, filter="roleName eq 'Virtual Machine Contributor'"
    )
    assert vmc.id == (
        f"{scope}/providers/Microsoft.Authorization/roleDefinitions/"
        "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
    )
    assert az.auth.role_definitions.get(scope, vmc.name).role_name == "Virtual Machine Contributor"
    assert len(list(az.auth.role_definitions.list(scope))) == 16
    with pytest.raises(ResourceNotFoundError):
        az.auth.role_definitions.get(scope, str(uuid.uuid4()))


def test_cluster_delete_cascades(az: Azure) -> None:
    group, name = _group(az), _name("aks")
    cluster = create_cluster(az, group, name)
    node_group = az.resources.resource_groups.get(cluster.node_resource_group)
    # An assignment on the node group goes with it; one the cluster identity holds elsewhere
    # stays, orphaned, as in Azure.
    elsewhere = assign(
        az,
        f"/subscriptions/{az.info['subscription_id']}/resourceGroups/{group}",
        "Reader",
        cluster.identity.principal_id,
    )
    az.aks.managed_clusters.list_cluster_user_credentials(group, name)
    az.aks.managed_clusters.begin_delete(group, name, **POLL).result()
    with pytest.raises(ResourceNotFoundError):
        az.aks.managed_clusters.get(group, name)
    assert not az.resources.resource_groups.check_existence(node_group.name)
    assert list(az.auth.role_assignments.list_for_scope(node_group.id)) != []  # inherited only
    assert all(
        a.scope.lower() != node_group.id.lower()
        for a in az.auth.role_assignments.list_for_scope(node_group.id)
    )
    assert az.auth.role_assignments.get(elsewhere.scope, elsewhere.name)
    assert not (az.home.kubeconfig_dir / f"{name}.yaml").exists()
    # Deleting what is gone is not an error (204).
    az.aks.managed_clusters.begin_delete(group, name, **POLL).result()


def test_resource_group_delete_cascades(az: Azure) -> None:
    group, name = _group(az), _name("aks")
    cluster = create_cluster(az, group, name)
    identity = az.msi.user_assigned_identities.create_or_update(
        group, "doomed", {"location": "japaneast"}
    )
    rg_id = az.resources.resource_groups.get(group).id
    made = assign(az, rg_id, "Reader", identity.principal_id)
    az.resources.resource_groups.begin_delete(group, polling_interval=0.2).result()
    assert not az.resources.resource_groups.check_existence(cluster.node_resource_group)
    for scope, role_name in ((rg_id, made.name),):
        with pytest.raises(HttpResponseError):
            az.auth.role_assignments.get(scope, role_name)
    assert not any(
        i.name == "doomed" for i in az.msi.user_assigned_identities.list_by_subscription()
    )
    assert not any(c.name == name for c in az.aks.managed_clusters.list())
    # The identity's principal left the directory with it.
    again = _refused(
        lambda: assign(
            az, f"/subscriptions/{az.info['subscription_id']}", "Reader", identity.principal_id
        )
    )
    assert again.error.code == "PrincipalNotFound"


def test_compute_reads(az: Azure) -> None:
    group, name = _group(az), _name("aks")
    cluster = create_cluster(az, group, name)
    node_group = cluster.node_resource_group
    (vmss,) = az.compute.virtual_machine_scale_sets.list(node_group)
    got = az.compute.virtual_machine_scale_sets.get(node_group, vmss.name)
    assert got.identity.type == "UserAssigned"
    assert any(v.name == vmss.name for v in az.compute.virtual_machine_scale_sets.list_all())
    assert list(az.compute.virtual_machines.list(node_group)) == []
    with pytest.raises(ResourceNotFoundError):
        az.compute.virtual_machines.get(node_group, f"{vmss.name}000000")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("Microsoft.ContainerService/managedClusters", "-starts-with-dash"),
        ("Microsoft.ContainerService/managedClusters", "a" * 64),
        ("Microsoft.ContainerService/managedClusters", "has.dot"),
        ("Microsoft.ManagedIdentity/userAssignedIdentities", "ab"),
        ("Microsoft.ManagedIdentity/userAssignedIdentities", "_underscore-first"),
        ("Microsoft.ManagedIdentity/userAssignedIdentities", "x" * 129),
    ],
)
def test_names_that_break_the_naming_rules_are_refused(az: Azure, path: str, name: str) -> None:
    import requests

    group = _group(az)
    token = az.credential.get_token("https://management.azure.com/.default").token
    url = f"{az.info['arm_endpoint']}{az.sub}/resourceGroups/{group}/providers/{path}/{name}"
    resp = requests.put(
        url,
        params={"api-version": "2026-08-01"},
        json={"location": "japaneast", "properties": {}},
        headers={"Authorization": f"Bearer {token}"},
        verify=az.info["ca_bundle"],
        timeout=30,
    )
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "InvalidResourceName"
    assert f"'{name}'" in error["message"]
    assert (
        requests.get(
            url,
            params={"api-version": "2026-08-01"},
            headers={"Authorization": f"Bearer {token}"},
            verify=az.info["ca_bundle"],
            timeout=30,
        ).status_code
        == 404
    )

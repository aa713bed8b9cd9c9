"""The article's Azure steps end to end with the real SDKs, on a lab of this module's own:
feature and provider registration, an Azure CNI cluster, credentials, an identity, its roles,
and pod identity enabled on the cluster; then determinism across a reset."""

from __future__ import annotations

import base64
import stat
import time
import uuid
from typing import Any

import pytest
import yaml
from azure.core.exceptions import HttpResponseError

from .aks_steps import POLL, assign, create_cluster, register_pod_identity_preview
from .conftest import Azure

GROUP, CLUSTER, IDENTITY = "podid-rg", "podid-aks", "podid-identity"


def test_article_flow(own_azure: Azure) -> None:
    az = own_azure
    # §4: until the preview is registered (and the provider re-registered), AKS refuses.
    az.resources.resource_groups.create_or_update(GROUP, {"location": "japaneast"})
    with pytest.raises(HttpResponseError) as refused:
        az.aks.managed_clusters.begin_create_or_update(
            GROUP,
            CLUSTER,
            {
                "location": "japaneast",
                "properties": {
                    "agentPoolProfiles": [{"name": "nodepool1", "count": 1}],
                    "networkProfile": {"networkPlugin": "azure"},
                    "podIdentityProfile": {"enabled": True},
                },
            },
        )
    assert refused.value.error.code == "PodIdentityAddonFeatureFlagNotEnabled"
    register_pod_identity_preview(az)

    # §5: an Azure CNI cluster with a managed identity and a VMSS pool.
    started = time.monotonic()
    cluster = create_cluster(az, GROUP, CLUSTER)
    create_seconds = time.monotonic() - started
    assert cluster.provisioning_state == "Succeeded"
    assert cluster.network_profile.network_plugin == "azure"
    assert cluster.identity.type == "SystemAssigned" and cluster.identity.principal_id
    assert cluster.agent_pool_profiles[0].type == "VirtualMachineScaleSets"
    node_group = cluster.node_resource_group
    assert node_group == f"MC_{GROUP}_{CLUSTER}_japaneast"
    group = az.resources.resource_groups.get(node_group)
    assert group.managed_by.lower() == cluster.id.lower()
    kubelet = cluster.identity_profile["kubeletidentity"]
    kubelet_identity = az.msi.user_assigned_identities.get(node_group, f"{CLUSTER}-agentpool")
    assert (kubelet.client_id, kubelet.object_id) == (
        kubelet_identity.client_id,
        kubelet_identity.principal_id,
    )
    (vmss,) = az.compute.virtual_machine_scale_sets.list(node_group)
    assert vmss.name.startswith("aks-nodepool1-") and vmss.name.endswith("-vmss")
    assert vmss.sku.capacity == 2
    assert {k.lower() for k in vmss.identity.user_assigned_identities} == {
        kubelet.resource_id.lower()
    }
    assert list(az.compute.virtual_machines.list(node_group)) == []

    # §6: credentials — a kubeconfig for the cluster's API in the lab, and a 0600 copy.
    creds = az.aks.managed_clusters.list_cluster_user_credentials(GROUP, CLUSTER)
    assert creds.kubeconfigs[0].name == "clusterUser"
    config = yaml.safe_load(creds.kubeconfigs[0].value)
    server = config["clusters"][0]["cluster"]["server"]
    assert server.startswith(az.info["arm_endpoint"] + "/k8s/")
    ca = base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"])
    assert ca == az.home.ca_cert.read_bytes()
    assert config["current-context"] == CLUSTER
    assert config["users"][0]["name"] == f"clusterUser_{GROUP}_{CLUSTER}"
    copy = az.home.kubeconfig_dir / f"{CLUSTER}.yaml"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert yaml.safe_load(copy.read_text()) == config
    admin = az.aks.managed_clusters.list_cluster_admin_credentials(GROUP, CLUSTER)
    admin_config = yaml.safe_load(admin.kubeconfigs[0].value)
    assert admin.kubeconfigs[0].name == "clusterAdmin"
    assert admin_config["users"][0]["name"] == f"clusterAdmin_{GROUP}_{CLUSTER}"
    assert admin_config["users"][0]["user"]["token"] != config["users"][0]["user"]["token"]

    # §8: an identity, and Virtual Machine Contributor on the node resource group.
    identity = az.msi.user_assigned_identities.create_or_update(
        GROUP, IDENTITY, {"location": "japaneast"}
    )
    assert identity.client_id and identity.principal_id
    assert identity.tenant_id == az.info["tenant_id"]
    vmc = assign(az, group.id, "Virtual Machine Contributor", identity.principal_id)
    assert vmc.scope == group.id and vmc.principal_type == "ServicePrincipal"

    # §9 (what `az aks pod-identity add` does first): Managed Identity Operator for the
    # cluster's control-plane identity over the identity, found with atScope()/assignedTo().
    oid = cluster.identity.principal_id
    query = f"atScope() and assignedTo('{oid}')"
    assert list(az.auth.role_assignments.list_for_scope(identity.id, filter=query)) == []
    assign(az, identity.id, "Managed Identity Operator", oid)
    (mio,) = az.auth.role_assignments.list_for_scope(identity.id, filter=query)
    assert mio.role_definition_id.endswith("f1a07417-d97a-45cb-824c-7a7467783830")

    # §7 and §9: enable pod identity, then add the pod identity (whole-cluster PUTs).
    current = az.aks.managed_clusters.get(GROUP, CLUSTER)
    current.pod_identity_profile = {"enabled": True}
    updated = az.aks.managed_clusters.begin_create_or_update(
        GROUP, CLUSTER, current, **POLL
    ).result()
    assert updated.pod_identity_profile.enabled is True
    updated.pod_identity_profile.user_assigned_identities = [
        {
            "name": "podid",
            "namespace": "podid",
            "identity": {
                "resourceId": identity.id,
                "clientId": identity.client_id,
                "objectId": identity.principal_id,
            },
        }
    ]
    final = az.aks.managed_clusters.begin_create_or_update(GROUP, CLUSTER, updated, **POLL).result()
    (pod_identity,) = final.pod_identity_profile.user_assigned_identities
    assert pod_identity.identity.client_id == identity.client_id
    assert final.identity.principal_id == oid  # an update keeps the control-plane identity

    # Beyond the article: deleting the cluster takes the node resource group with it.
    started = time.monotonic()
    az.aks.managed_clusters.begin_delete(GROUP, CLUSTER, **POLL).result()
    delete_seconds = time.monotonic() - started
    assert not az.resources.resource_groups.check_existence(node_group)
    assert not copy.exists()
    # Issue 3's target with the default knobs (create 1 s, delete 1 s, Retry-After 1).
    assert create_seconds <= 3.0 and delete_seconds <= 3.0, (create_seconds, delete_seconds)


def _build(az: Azure) -> dict[str, Any]:
    """Make the article's resources and collect every ID the lab chose."""
    register_pod_identity_preview(az)
    cluster = create_cluster(az, GROUP, CLUSTER)
    identity = az.msi.user_assigned_identities.create_or_update(
        GROUP, IDENTITY, {"location": "japaneast"}
    )
    (vmss,) = az.compute.virtual_machine_scale_sets.list(cluster.node_resource_group)
    kubelet = cluster.identity_profile["kubeletidentity"]
    return {
        "cluster": cluster.identity.principal_id,
        "fqdn": cluster.fqdn,
        "kubelet": (kubelet.client_id, kubelet.object_id),
        "identity": (identity.client_id, identity.principal_id),
        "vmss": (vmss.name, vmss.unique_id),
    }


def test_same_names_give_the_same_ids_after_a_reset(own_azure: Azure) -> None:
    az = own_azure
    assert az.admin("POST", "/_lab/reset").status_code == 200
    first = _build(az)
    assert az.admin("POST", "/_lab/reset").status_code == 200
    assert _build(az) == first


def test_a_recreated_identity_gets_new_ids_as_in_azure(own_azure: Azure) -> None:
    az = own_azure
    az.resources.resource_groups.create_or_update(GROUP, {"location": "japaneast"})
    name = f"again-{uuid.uuid4().hex[:6]}"
    first = az.msi.user_assigned_identities.create_or_update(GROUP, name, {"location": "japaneast"})
    az.msi.user_assigned_identities.delete(GROUP, name)
    second = az.msi.user_assigned_identities.create_or_update(
        GROUP, name, {"location": "japaneast"}
    )
    assert (first.client_id, first.principal_id) != (second.client_id, second.principal_id)

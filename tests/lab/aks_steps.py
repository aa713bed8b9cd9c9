"""The article's Azure steps as small functions over the SDK clients (shared by lab tests)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from .conftest import Azure

NAMESPACE = "Microsoft.ContainerService"
FEATURE = "EnablePodIdentityPreview"
POLL = {"polling_interval": 0.2}


def wait_for(check: Any, timeout: float = 10.0) -> Any:
    """Poll `check()` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def register_pod_identity_preview(az: Azure) -> None:
    """`az feature register` until Registered, then `az provider register` (article §4)."""
    az.features.features.register(NAMESPACE, FEATURE)
    wait_for(lambda: az.features.features.get(NAMESPACE, FEATURE).properties.state == "Registered")
    az.resources.providers.register(NAMESPACE)
    wait_for(lambda: az.resources.providers.get(NAMESPACE).registration_state == "Registered")


def cluster_body(location: str = "japaneast", plugin: str = "azure", **props: Any) -> dict:
    """A managed-identity cluster like the article's (`az aks create --network-plugin azure`)."""
    return {
        "location": location,
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "dnsPrefix": "podid",
            "agentPoolProfiles": [
                {"name": "nodepool1", "count": 2, "vmSize": "Standard_DS2_v2", "mode": "System"}
            ],
            "networkProfile": {"networkPlugin": plugin},
            **props,
        },
    }


def create_cluster(az: Azure, group: str, name: str, **kwargs: Any) -> Any:
    """Create a resource group and a cluster in it; returns the finished cluster."""
    az.resources.resource_groups.create_or_update(group, {"location": "japaneast"})
    poller = az.aks.managed_clusters.begin_create_or_update(
        group, name, cluster_body(**kwargs), **POLL
    )
    return poller.result()


def role_id(az: Azure, scope: str, role_name: str) -> str:
    """A built-in role's definition ID, looked up by name as `az role assignment` does."""
    found = list(az.auth.role_definitions.list(scope, filter=f"roleName eq '{role_name}'"))
    assert len(found) == 1, found
    return str(found[0].id)


def assign(
    az: Azure, scope: str, role_name: str, principal_id: str, name: str | None = None, **extra: Any
) -> Any:
    """Create a role assignment (a new GUID name unless given)."""
    return az.auth.role_assignments.create(
        scope,
        name or str(uuid.uuid4()),
        {
            "properties": {
                "roleDefinitionId": role_id(az, scope, role_name),
                "principalId": principal_id,
                **extra,
            }
        },
    )

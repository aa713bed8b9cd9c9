"""State of subscriptions, providers, preview features and resource groups."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from ... import ids
from ...store import Document, Store
from ..errors import ArmError
from ..table import ResourceTable, public, schedule, settle

PROVIDERS = "providers"
FEATURES = "features"

# Every namespace the lab serves, with its resource types; all are registered at start, so the
# SDKs' auto-registration (10 s sleeps) never runs.
PROVIDER_TYPES: dict[str, tuple[str, ...]] = {
    "Microsoft.ContainerService": (
        "managedClusters",
        "locations",
        "locations/operations",
        "locations/operationresults",
    ),
    "Microsoft.ManagedIdentity": (
        "userAssignedIdentities",
        "userAssignedIdentities/federatedIdentityCredentials",
        "operations",
    ),
    "Microsoft.Authorization": ("roleAssignments", "roleDefinitions", "permissions"),
    "Microsoft.Compute": ("virtualMachines", "virtualMachineScaleSets", "locations/operations"),
    "Microsoft.Network": ("virtualNetworks", "loadBalancers", "networkSecurityGroups"),
    "Microsoft.Resources": ("resourceGroups", "subscriptions", "tenants", "providers"),
    "Microsoft.Features": ("features", "providers"),
    "Microsoft.KeyVault": ("vaults", "vaults/secrets"),
    "Microsoft.OperationalInsights": ("workspaces",),
    "Microsoft.Storage": ("storageAccounts",),
}

# Preview features a learner may register (the tutorial's, and Workload ID's predecessors).
KNOWN_FEATURES: tuple[tuple[str, str], ...] = (
    ("Microsoft.ContainerService", "EnablePodIdentityPreview"),
    ("Microsoft.ContainerService", "EnableWorkloadIdentityPreview"),
    ("Microsoft.ContainerService", "EnableOIDCIssuerPreview"),
    ("Microsoft.ContainerService", "AKS-AzureKeyVaultSecretsProvider"),
)

LOCATIONS: tuple[tuple[str, str], ...] = (
    ("eastus", "East US"),
    ("eastus2", "East US 2"),
    ("westus2", "West US 2"),
    ("westus3", "West US 3"),
    ("centralus", "Central US"),
    ("northeurope", "North Europe"),
    ("westeurope", "West Europe"),
    ("uksouth", "UK South"),
    ("francecentral", "France Central"),
    ("germanywestcentral", "Germany West Central"),
    ("swedencentral", "Sweden Central"),
    ("japaneast", "Japan East"),
    ("japanwest", "Japan West"),
    ("koreacentral", "Korea Central"),
    ("southeastasia", "Southeast Asia"),
    ("eastasia", "East Asia"),
    ("australiaeast", "Australia East"),
    ("centralindia", "Central India"),
    ("canadacentral", "Canada Central"),
    ("brazilsouth", "Brazil South"),
)
LOCATION_NAMES = {name for name, _ in LOCATIONS}

_RG_CHARS = re.compile(r"^[-\w._()]+$")


def normalize_location(value: str) -> str:
    """'Japan East' or 'japaneast' -> 'japaneast' (ARM accepts display names too)."""
    return value.replace(" ", "").lower()


def check_location(value: Any) -> str:
    """A known location in ARM's short form, or 400 LocationNotAvailableForResourceGroup."""
    if not isinstance(value, str) or not value:
        raise ArmError(
            400,
            "LocationRequired",
            "The location property is required for this definition.",
        )
    location = normalize_location(value)
    if location not in LOCATION_NAMES:
        raise ArmError(
            400,
            "LocationNotAvailableForResourceGroup",
            f"The provided location '{value}' is not available for resource group. List of "
            f"available regions is '{','.join(sorted(LOCATION_NAMES))}'.",
        )
    return location


def check_resource_location(value: Any, full_type: str) -> str:
    """A known location for a resource of `full_type`, or ARM's 400 for that type."""
    if not isinstance(value, str) or not value:
        raise ArmError(
            400, "LocationRequired", "The location property is required for this definition."
        )
    location = normalize_location(value)
    if location not in LOCATION_NAMES:
        raise ArmError(
            400,
            "LocationNotAvailableForResourceType",
            f"The provided location '{value}' is not available for resource type "
            f"'{full_type}'. List of available regions for the resource type is "
            f"'{','.join(sorted(LOCATION_NAMES))}'.",
        )
    return location


def check_resource_group_name(name: str) -> None:
    """ARM's resource group naming rule, or 400 InvalidResourceGroup."""
    if not 1 <= len(name) <= 90:
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{name}' is invalid: it must be 1 to 90 "
            "characters long.",
        )
    bad = sorted({c for c in name if not _RG_CHARS.match(c)})
    if bad or name.endswith("."):
        chars = "".join(bad) or "."
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{name}' has these invalid characters: "
            f"'{chars}'. The name can only be a letter, digit, '-', '.', '(', ')' or '_', and "
            "it cannot end with a period.",
        )


def subscription_doc() -> Document:
    """The lab subscription as ARM lists it."""
    return {
        "id": f"/subscriptions/{ids.SUBSCRIPTION_ID}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": ids.SUBSCRIPTION_ID,
        "tenantId": ids.TENANT_ID,
        "displayName": ids.SUBSCRIPTION_NAME,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    }


def tenant_doc() -> Document:
    """The lab tenant as ARM lists it."""
    return {
        "id": f"/tenants/{ids.TENANT_ID}",
        "tenantId": ids.TENANT_ID,
        "tenantCategory": "Home",
        "country": "JP",
        "countryCode": "JP",
        "displayName": "podid lab",
        "domains": [ids.TENANT_DOMAIN],
        "defaultDomain": ids.TENANT_DOMAIN,
        "tenantType": "AAD",
    }


def location_docs() -> list[Document]:
    """The regions the lab offers."""
    return [
        {
            "id": f"/subscriptions/{ids.SUBSCRIPTION_ID}/locations/{name}",
            "name": name,
            "displayName": display,
            "regionalDisplayName": display,
            "type": "Region",
            "metadata": {"regionType": "Physical", "regionCategory": "Recommended"},
        }
        for name, display in LOCATIONS
    ]


class Providers:
    """Resource provider registration state for the lab subscription."""

    def __init__(self, store: Store, knobs: dict[str, Any]) -> None:
        self._store = store
        self._knobs = knobs

    def seed(self) -> None:
        """Register every provider the lab serves (idempotent)."""
        for namespace in PROVIDER_TYPES:
            if self._store.get(PROVIDERS, namespace.lower()) is None:
                self._store.put(
                    PROVIDERS,
                    namespace.lower(),
                    {"namespace": namespace, "state": "Registered", "registeredAt": 0.0},
                )

    def find(self, namespace: str) -> Document | None:
        """A provider's record (settled), or None if the lab does not serve it."""
        doc = self._store.get(PROVIDERS, namespace.lower())
        if doc is not None and settle(doc, "state"):
            doc["registeredAt"] = doc.get("_registeredAt", time.time())
            doc.pop("_registeredAt", None)
            self._store.put(PROVIDERS, namespace.lower(), doc)
        return doc

    def require(self, namespace: str) -> Document:
        """A provider's record, or 404 InvalidResourceNamespace."""
        doc = self.find(namespace)
        if doc is None:
            raise ArmError(
                404,
                "InvalidResourceNamespace",
                f"The resource namespace '{namespace}' is invalid.",
            )
        return doc

    def register(self, namespace: str) -> Document:
        """Start (re-)registration; it completes after the provider-registration knob."""
        doc = self.require(namespace)
        delay = float(self._knobs["provider_registration_seconds"])
        doc["state"] = "Registering" if delay > 0 else "Registered"
        doc.pop("_pending", None)
        if delay > 0:
            schedule(doc, "state", "Registered", delay)
            doc["_registeredAt"] = time.time() + delay
        else:
            doc["registeredAt"] = time.time()
        self._store.put(PROVIDERS, namespace.lower(), doc)
        return doc

    def unregister(self, namespace: str) -> Document:
        """Unregister a provider (immediately)."""
        doc = self.require(namespace)
        doc.pop("_pending", None)
        doc["state"] = "Unregistered"
        self._store.put(PROVIDERS, namespace.lower(), doc)
        return doc

    def all(self) -> list[Document]:
        """Every provider, settled."""
        return [self.require(doc["namespace"]) for _, doc in self._store.scan(PROVIDERS)]

    def arm_doc(self, doc: Document) -> Document:
        """A provider as ARM returns it."""
        namespace = doc["namespace"]
        return {
            "id": f"/subscriptions/{ids.SUBSCRIPTION_ID}/providers/{namespace}",
            "namespace": namespace,
            "registrationState": doc["state"],
            "registrationPolicy": "RegistrationRequired",
            "resourceTypes": [
                {
                    "resourceType": rtype,
                    "locations": [display for _, display in LOCATIONS],
                    "apiVersions": ["2026-08-01", "2025-04-01", "2024-11-30", "2022-04-01"],
                    "capabilities": "None",
                }
                for rtype in PROVIDER_TYPES[namespace]
            ],
        }


class Features:
    """Preview feature registrations (`Microsoft.Features`)."""

    def __init__(self, store: Store, knobs: dict[str, Any]) -> None:
        self._store = store
        self._knobs = knobs

    @staticmethod
    def _key(namespace: str, name: str) -> str:
        return f"{namespace}/{name}".lower()

    def seed(self) -> None:
        """Make the known preview features visible as NotRegistered (idempotent)."""
        for namespace, name in KNOWN_FEATURES:
            if self._store.get(FEATURES, self._key(namespace, name)) is None:
                self._store.put(
                    FEATURES,
                    self._key(namespace, name),
                    {"namespace": namespace, "name": name, "state": "NotRegistered"},
                )

    def get(self, namespace: str, name: str) -> Document:
        """A feature's record (settled), or 404 FeatureNotFound."""
        key = self._key(namespace, name)
        doc = self._store.get(FEATURES, key)
        if doc is None:
            raise ArmError(
                404,
                "FeatureNotFound",
                f"The feature '{name}' could not be found.",
            )
        # When the transition fell due, not when it was first read: the pod-identity gate
        # compares this with the provider's re-registration time.
        due = doc.get("_pending", {}).get("state", {}).get("at")
        if settle(doc, "state"):
            doc["registeredAt"] = due
            self._store.put(FEATURES, key, doc)
        return doc

    def _set(self, namespace: str, name: str, now: str, later: str | None) -> Document:
        doc = self.get(namespace, name)
        delay = float(self._knobs["feature_registration_seconds"])
        doc.pop("_pending", None)
        if later is None or delay <= 0:
            doc["state"] = later or now
            if doc["state"] == "Registered":
                doc["registeredAt"] = time.time()
        else:
            doc["state"] = now
            schedule(doc, "state", later, delay)
        self._store.put(FEATURES, self._key(namespace, name), doc)
        return doc

    def register(self, namespace: str, name: str) -> Document:
        """Registering now, Registered after the feature-registration knob (idempotent)."""
        doc = self.get(namespace, name)
        if doc["state"] in ("Registering", "Registered"):
            return doc
        return self._set(namespace, name, "Registering", "Registered")

    def unregister(self, namespace: str, name: str) -> Document:
        """Unregistering now, Unregistered after the same delay."""
        return self._set(namespace, name, "Unregistering", "Unregistered")

    def all(self, namespace: str | None = None) -> list[Document]:
        """Every feature (optionally in one namespace), settled."""
        docs = [self.get(d["namespace"], d["name"]) for _, d in self._store.scan(FEATURES)]
        if namespace is not None:
            docs = [d for d in docs if d["namespace"].lower() == namespace.lower()]
        return docs

    def registered_at(self, namespace: str, name: str) -> float | None:
        """When the feature became Registered, or None while it is not."""
        doc = self.get(namespace, name)
        return doc.get("registeredAt") if doc["state"] == "Registered" else None

    @staticmethod
    def arm_doc(doc: Document) -> Document:
        """A feature as ARM returns it."""
        namespace, name = doc["namespace"], doc["name"]
        return {
            "properties": {"state": doc["state"]},
            "id": f"/subscriptions/{ids.SUBSCRIPTION_ID}/providers/Microsoft.Features/providers/"
            f"{namespace}/features/{name}",
            "type": "Microsoft.Features/providers/features",
            "name": f"{namespace}/{name}",
        }


ScopeDeleter = Callable[[str], None]


class ResourceGroups:
    """Resource groups; deleting one deletes everything inside it."""

    def __init__(self, table: ResourceTable) -> None:
        self._table = table

    @staticmethod
    def resource_id(subscription_id: str, name: str) -> str:
        return f"/subscriptions/{subscription_id}/resourceGroups/{name}"

    def get(self, subscription_id: str, name: str) -> Document | None:
        """The group's record, or None."""
        return self._table.get(self.resource_id(subscription_id, name))

    def list(self, subscription_id: str) -> list[Document]:
        """Every group in the subscription."""
        return self._table.list(
            f"/subscriptions/{subscription_id}", "Microsoft.Resources/resourceGroups"
        )

    def create_or_update(
        self,
        subscription_id: str,
        name: str,
        location: str,
        tags: dict[str, str] | None,
        managed_by: str | None = None,
    ) -> tuple[Document, bool]:
        """Create or update a group; returns (group, created)."""
        existing = self.get(subscription_id, name)
        if existing is not None:
            if existing["location"] != location:
                raise ArmError(
                    409,
                    "InvalidResourceGroupLocation",
                    f"Invalid resource group location '{location}'. The Resource group already "
                    f"exists in location '{existing['location']}'.",
                )
            if existing["properties"]["provisioningState"] == "Deleting":
                raise ArmError(
                    409,
                    "ResourceGroupBeingDeleted",
                    f"The resource group '{existing['name']}' is in deprovisioning state and "
                    "cannot perform this operation.",
                )
            if tags is not None:
                existing["tags"] = tags
            self._table.put(existing)
            return existing, False
        doc: Document = {
            "id": self.resource_id(subscription_id, name),
            "name": name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": location,
            "properties": {"provisioningState": "Succeeded"},
        }
        if tags:
            doc["tags"] = tags
        if managed_by:
            doc["managedBy"] = managed_by
        self._table.put(doc)
        return doc, True

    def mark_deleting(self, doc: Document) -> None:
        """Show the group as Deleting until its operation finishes."""
        doc["properties"]["provisioningState"] = "Deleting"
        self._table.put(doc)

    @staticmethod
    def arm_doc(doc: Document) -> Document:
        """A group as ARM returns it."""
        return public(doc)

"""User-assigned managed identities: the resource, and its service principal in the directory."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ... import ids
from ...store import Document
from ..errors import invalid_resource_name
from ..table import public

if TYPE_CHECKING:
    from ...lab import Lab

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"


_IDENTITY_NAME = re.compile(r"^[A-Za-z0-9][-_A-Za-z0-9]{2,127}$")


def check_identity_name(name: str) -> None:
    """The user-assigned identity naming rule, or 400."""
    if not _IDENTITY_NAME.match(name):
        raise invalid_resource_name(
            name,
            IDENTITY_TYPE,
            "A user-assigned identity name is 3 to 128 characters of letters, digits, '-' and "
            "'_', and starts with a letter or digit.",
        )


def identity_id(subscription_id: str, resource_group: str, name: str) -> str:
    """An identity's resource ID, spelled as the MSI provider returns it (`resourcegroups`)."""
    return (
        f"/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/"
        f"{IDENTITY_TYPE}/{name}"
    )


def new_principal_ids(lab: Lab, resource_id: str) -> tuple[str, str]:
    """(principal ID, client ID) for an identity created at `resource_id`.

    Deterministic, yet new for each incarnation: Azure gives a re-created identity new IDs,
    so the same sequence of creates and deletes gives the same IDs on every run.
    """
    generation = str(lab.store.next_value(f"identity-generation:{ids.resource_key(resource_id)}"))
    return (
        ids.stable_guid("managed-identity-principal", resource_id, generation),
        ids.stable_guid("managed-identity-client", resource_id, generation),
    )


class UserAssignedIdentities:
    """Create, read and delete user-assigned identities; their principals follow them."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        lab.scope_hooks.append(self._scope_deleted)

    def get(self, resource_id: str) -> Document | None:
        """The identity, or None."""
        doc = self._lab.resources.get(resource_id)
        return doc if doc is not None and doc["type"] == IDENTITY_TYPE else None

    def in_scope(self, scope: str) -> list[Document]:
        """Identities below `scope` (a subscription or resource group)."""
        return self._lab.resources.list(scope, IDENTITY_TYPE)

    def create_or_update(
        self,
        resource_group: str,
        name: str,
        location: str,
        tags: dict[str, str] | None,
    ) -> tuple[Document, bool]:
        """Create the identity and register its principal, or update its tags."""
        resource_id = identity_id(ids.SUBSCRIPTION_ID, resource_group, name)
        existing = self.get(resource_id)
        if existing is not None:
            if tags is not None:
                existing["tags"] = tags
            self._lab.resources.put(existing)
            return existing, False
        principal_id, client_id = new_principal_ids(self._lab, resource_id)
        doc: Document = {
            "id": resource_id,
            "name": name,
            "type": IDENTITY_TYPE,
            "location": location,
            "tags": tags or {},
            "properties": {
                "tenantId": ids.TENANT_ID,
                "principalId": principal_id,
                "clientId": client_id,
                "isolationScope": "None",
            },
        }
        self._lab.resources.put(doc)
        self._lab.directory.add_managed_identity(principal_id, client_id, name, resource_id)
        return doc, True

    def delete(self, resource_id: str) -> bool:
        """Delete the identity and its principal; role assignments naming it stay, orphaned."""
        doc = self.get(resource_id)
        if doc is None:
            return False
        self._lab.directory.remove(doc["properties"]["principalId"])
        # Its federated identity credentials live below it and go with it.
        self._lab.resources.delete_tree(resource_id)
        return True

    def _scope_deleted(self, scope: str) -> None:
        for doc in self.in_scope(scope):
            self._lab.directory.remove(doc["properties"]["principalId"])

    @staticmethod
    def arm_doc(doc: Document) -> Document:
        """An identity as ARM returns it."""
        return public(doc)

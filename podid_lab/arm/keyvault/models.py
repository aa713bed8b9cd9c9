"""Key vaults: names unique across Azure, soft delete and purge, and each vault's own endpoint.

A vault's data plane answers at its `vaultUri`. Azure gives every vault a host of its own
(`<name>.vault.azure.net`); the SDKs parse secret IDs as `<vault URI>secrets/<name>/<version>`
and accept no path in a vault URI, so the lab gives every vault a port of its own on 127.0.0.1
(`https://127.0.0.1:<port>/`), kept across restarts (see `keyvault.listeners`).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from ... import ids
from ...store import Document
from ..errors import ArmError
from ..lro import iso
from ..table import public

if TYPE_CHECKING:
    from ...lab import Lab

VAULT_TYPE = "Microsoft.KeyVault/vaults"
DELETED = "deletedVaults"
SOFT_DELETE_DAYS = 90
_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
SECRET_PERMISSIONS = ("get", "list", "set", "delete", "backup", "restore", "recover", "purge")


def vault_id(resource_group: str, name: str) -> str:
    """A vault's resource ID."""
    return (
        f"/subscriptions/{ids.SUBSCRIPTION_ID}/resourceGroups/{resource_group}/providers/"
        f"{VAULT_TYPE}/{name}"
    )


class Vaults:
    """Vaults, their soft-deleted remains, and the endpoint each one is served at."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        lab.scope_hooks.append(self._scope_deleted)

    def get(self, resource_id: str) -> Document | None:
        """The vault, or None."""
        doc = self._lab.resources.get(resource_id)
        return doc if doc is not None and doc["type"] == VAULT_TYPE else None

    def in_scope(self, scope: str) -> list[Document]:
        """Vaults below `scope`."""
        return self._lab.resources.list(scope, VAULT_TYPE)

    def by_name(self, name: str) -> Document | None:
        """The live vault with this (globally unique) name."""
        scope = f"/subscriptions/{ids.SUBSCRIPTION_ID}"
        return next((v for v in self.in_scope(scope) if v["name"].lower() == name.lower()), None)

    def deleted(self, name: str) -> Document | None:
        """The soft-deleted vault with this name, or None."""
        return self._lab.store.get(DELETED, name.lower())

    def all_deleted(self) -> list[Document]:
        """Every soft-deleted vault."""
        return [doc for _, doc in self._lab.store.scan(DELETED)]

    def create_or_update(
        self, group: Document, name: str, body: dict[str, Any], location: str
    ) -> tuple[Document, bool]:
        """Create the vault (with an endpoint of its own) or update it; (vault, created)."""
        if not _NAME.match(name):
            raise ArmError(
                400,
                "VaultNameNotValid",
                f"The vault name '{name}' is invalid. A vault's name must be between 3-24 "
                "alphanumeric characters. The name must begin with a letter, end with a letter or "
                "digit, and not contain consecutive hyphens. Follow this link for more "
                "information: https://go.microsoft.com/fwlink/?linkid=2147742",
            )
        resource_id = vault_id(group["name"], name)
        existing = self.get(resource_id)
        props_in = dict(body.get("properties") or {})
        if existing is None:
            other = self.by_name(name)
            if other is not None or (
                self.deleted(name) is not None and props_in.get("createMode") != "recover"
            ):
                if other is None:
                    raise ArmError(
                        409,
                        "ConflictError",
                        "A vault with the same name already exists in deleted state. You need to "
                        "either recover or purge existing key vault. Follow this link "
                        "https://go.microsoft.com/fwlink/?linkid=2149745 for more information on "
                        "soft delete.",
                    )
                raise ArmError(
                    409,
                    "VaultAlreadyExists",
                    f"The vault name '{name}' is already in use. Vault names are globally unique "
                    "so it is possible that the name is already taken. If you are sure that the "
                    "vault name was not taken then it is possible that a vault with the same name "
                    "was recently deleted but not purged after being placed in a recoverable "
                    "state. If the vault is in a recoverable state then the vault will need to be "
                    "purged before reusing the name. For more information on VaultAlreadyExists, "
                    "soft delete and purging a vault, please go to https://aka.ms/SoftDeleteVault",
                )
            if props_in.get("createMode") == "recover":
                self._lab.store.delete(DELETED, name.lower())
        old = (existing or {}).get("properties", {})
        sku = props_in.get("sku") or old.get("sku") or {"family": "A", "name": "standard"}
        props: Document = {
            "sku": {"family": sku.get("family", "A"), "name": sku.get("name", "standard")},
            "tenantId": props_in.get("tenantId") or old.get("tenantId") or ids.TENANT_ID,
            "accessPolicies": props_in.get("accessPolicies", old.get("accessPolicies", [])),
            "enabledForDeployment": bool(props_in.get("enabledForDeployment", False)),
            "enabledForDiskEncryption": bool(props_in.get("enabledForDiskEncryption", False)),
            "enabledForTemplateDeployment": bool(
                props_in.get("enabledForTemplateDeployment", False)
            ),
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": int(
                props_in.get("softDeleteRetentionInDays", old.get("softDeleteRetentionInDays", 90))
            ),
            # Since api-version 2026-02-01 a new vault uses Azure RBAC unless told otherwise.
            "enableRbacAuthorization": bool(
                props_in.get("enableRbacAuthorization", old.get("enableRbacAuthorization", True))
            ),
            "vaultUri": self._lab.vault_listeners.url_for(name),
            "provisioningState": "Succeeded",
            "publicNetworkAccess": props_in.get("publicNetworkAccess", "Enabled"),
        }
        now = iso(time.time())
        doc: Document = {
            "id": resource_id,
            "name": name,
            "type": VAULT_TYPE,
            "location": location,
            "tags": body.get("tags")
            if body.get("tags") is not None
            else (existing or {}).get("tags", {}),
            "properties": props,
            "systemData": (existing or {}).get("systemData")
            or {"createdAt": now, "createdByType": "Application", "lastModifiedAt": now},
        }
        self._lab.resources.put(doc)
        return doc, existing is None

    def delete(self, doc: Document) -> None:
        """Soft-delete: the vault goes, its name and secrets stay until purged."""
        now = time.time()
        self._lab.store.put(
            DELETED,
            doc["name"].lower(),
            {
                "id": f"/subscriptions/{ids.SUBSCRIPTION_ID}/providers/Microsoft.KeyVault/"
                f"locations/{doc['location']}/deletedVaults/{doc['name']}",
                "name": doc["name"],
                "type": "Microsoft.KeyVault/deletedVaults",
                "properties": {
                    "vaultId": doc["id"],
                    "location": doc["location"],
                    "deletionDate": iso(now),
                    "scheduledPurgeDate": iso(
                        now + 86400 * doc["properties"]["softDeleteRetentionInDays"]
                    ),
                    "tags": doc.get("tags") or {},
                    "purgeProtectionEnabled": False,
                },
            },
        )
        self._lab.resources.delete(doc["id"])
        self._lab.vault_listeners.close(doc["name"])

    def purge(self, name: str) -> bool:
        """Forget a soft-deleted vault, its secrets and its endpoint; False if there is none."""
        if self.deleted(name) is None:
            return False
        self._lab.store.delete(DELETED, name.lower())
        self._lab.secrets.forget_vault(name)
        self._lab.vault_listeners.forget(name)
        return True

    def _scope_deleted(self, scope: str) -> None:
        for doc in self.in_scope(scope):
            self.delete(doc)

    @staticmethod
    def arm_doc(doc: Document) -> Document:
        """A vault as ARM returns it."""
        return public(doc)

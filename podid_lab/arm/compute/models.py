"""Virtual machine scale sets, as AKS creates them in a node resource group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ... import ids
from ...store import Document
from ..table import public

if TYPE_CHECKING:
    from ...lab import Lab

SCALE_SET_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
VM_TYPE = "Microsoft.Compute/virtualMachines"


def scale_set_name(pool: str, cluster_id: str) -> str:
    """`aks-<pool>-<8 digits>-vmss`; the digits derive from the cluster, as AKS hashes them."""
    digits = int(ids.stable_guid("vmss", cluster_id).replace("-", "")[:12], 16) % 10**8
    return f"aks-{pool}-{digits:08d}-vmss"


def node_names(scale_set: str, count: int) -> list[str]:
    """The node (instance computer) names of a scale set: `<vmss>000000`, `<vmss>000001`, …"""
    return [f"{scale_set}{i:06d}" for i in range(count)]


class ScaleSets:
    """Scale sets and their user-assigned identities."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab

    def get(self, resource_id: str) -> Document | None:
        """The scale set, or None."""
        doc = self._lab.resources.get(resource_id)
        return doc if doc is not None and doc["type"] == SCALE_SET_TYPE else None

    def in_scope(self, scope: str) -> list[Document]:
        """Scale sets below `scope`."""
        return self._lab.resources.list(scope, SCALE_SET_TYPE)

    def put(
        self,
        *,
        group_id: str,
        name: str,
        location: str,
        vm_size: str,
        count: int,
        identities: dict[str, Document],
        tags: dict[str, str],
    ) -> Document:
        """Create or replace a scale set; `identities` maps identity ID -> its client/principal."""
        doc: Document = {
            "id": f"{group_id}/providers/{SCALE_SET_TYPE}/{name}",
            "name": name,
            "type": SCALE_SET_TYPE,
            "location": location,
            "tags": tags,
            "sku": {"name": vm_size, "tier": "Standard", "capacity": count},
            "properties": {
                "provisioningState": "Succeeded",
                "orchestrationMode": "Uniform",
                "overprovision": False,
                "singlePlacementGroup": False,
                "uniqueId": ids.stable_guid("vmss-unique", group_id, name),
                "upgradePolicy": {"mode": "Manual"},
                "virtualMachineProfile": {
                    "osProfile": {
                        "computerNamePrefix": f"{name}",
                        "adminUsername": "azureuser",
                        "linuxConfiguration": {"disablePasswordAuthentication": True},
                    },
                    "storageProfile": {
                        "osDisk": {
                            "createOption": "FromImage",
                            "caching": "ReadOnly",
                            "diskSizeGB": 128,
                            "osType": "Linux",
                            "managedDisk": {"storageAccountType": "Premium_LRS"},
                        }
                    },
                },
            },
        }
        if identities:
            doc["identity"] = {"type": "UserAssigned", "userAssignedIdentities": identities}
        # Bookkeeping other parts keep on the scale set (e.g. the pod identity add-on's) stays.
        old = self._lab.resources.get(doc["id"]) or {}
        doc.update({k: v for k, v in old.items() if k.startswith("_")})
        return self._lab.resources.put(doc)

    @staticmethod
    def arm_doc(doc: Document) -> Document:
        """A scale set as ARM returns it."""
        return public(doc)

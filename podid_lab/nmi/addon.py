"""The pod identity add-on's controller: what AKS does when `podIdentityProfile` changes.

Managed mode, as AKS runs it: the CRDs, DaemonSet `nmi` in kube-system (no MIC), the
`aks-addon-exception`, and for each pod identity its namespace, `AzureIdentity <name>`,
`AzureIdentityBinding <name>-binding` and the identity on every node scale set (AKS checked,
when the entry was added, that the cluster's control-plane identity may assign it). Each
identity's `provisioningState` says how that went. Removing an entry or disabling the add-on
removes what it made.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .. import ids
from ..kube.kinds import DAEMON_SETS, NAMESPACES, Kind
from ..kube.models import Cluster
from ..kube.objects import namespace_doc
from ..store import Document

if TYPE_CHECKING:
    from ..lab import Lab

GROUP, VERSION = "aadpodidentity.k8s.io", "v1"
NMI_IMAGE = "mcr.microsoft.com/oss/azure/aad-pod-identity/nmi:v1.8.18"
MANAGER = "aks-addon-manager"
MANAGED_LABELS = {
    "addonmanager.kubernetes.io/mode": "Reconcile",
    "kubernetes.azure.com/managedby": "aks",
}
EXCEPTION_NAME = "aks-addon-exception"


def nmi_daemon_set() -> dict[str, Any]:
    """DaemonSet `nmi` as the add-on deploys it (managed mode, namespaced, header required)."""
    labels = {"component": "nmi", "tier": "node"}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": "nmi",
            "namespace": "kube-system",
            "labels": {**labels, **MANAGED_LABELS},
        },
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {
                "metadata": {
                    "labels": {**labels, "kubernetes.azure.com/managedby": "aks"},
                },
                "spec": {
                    "hostNetwork": True,
                    "dnsPolicy": "ClusterFirstWithHostNet",
                    "priorityClassName": "system-node-critical",
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [
                        {
                            "name": "nmi",
                            "image": NMI_IMAGE,
                            "args": [
                                "--node=$(NODE_NAME)",
                                "--http-probe-port=8085",
                                "--operation-mode=managed",
                                "--forceNamespaced",
                                "--metadata-header-required=true",
                                "--kubelet-config=/etc/default/kubelet",
                            ],
                            "env": [
                                {
                                    "name": "NODE_NAME",
                                    "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
                                }
                            ],
                            "securityContext": {
                                "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]},
                            },
                            "resources": {
                                "limits": {"cpu": "200m", "memory": "512Mi"},
                                "requests": {"cpu": "100m", "memory": "256Mi"},
                            },
                        }
                    ],
                },
            },
        },
    }


def _obj(kind: str, name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": dict(MANAGED_LABELS)},
        "spec": spec,
    }


def _failure(code: str, message: str) -> Document:
    return {"error": {"error": {"code": code, "message": message}}}


class PodIdentityAddon:
    """Reconciles each cluster's pod identity add-on when a cluster operation finishes."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        lab.cluster_hooks.append(self.on_cluster)

    def on_cluster(self, event: str, doc: Document) -> None:
        """The cluster hook: bring the add-on's objects in line with the profile."""
        if event == "deleted":
            return  # the cluster's API and node resource group are gone with it
        cluster = self._lab.kube.of(doc["id"])
        profile = doc["properties"].get("podIdentityProfile") or {}
        if profile.get("enabled"):
            self._enable(doc, cluster, profile)
        else:
            self._disable(doc, cluster)

    # -- enable ---------------------------------------------------------------------------------

    def _kind(self, cluster: Cluster, resource: str) -> Kind:
        kind = cluster.kind(GROUP, VERSION, resource)
        assert kind is not None, f"{resource} CRD missing"
        return kind

    def _upsert(self, cluster: Cluster, kind: Kind, body: dict[str, Any]) -> None:
        meta = body["metadata"]
        current = cluster.find(kind, meta["namespace"], meta["name"])
        if current is None:
            cluster.create(kind, meta["namespace"], body, manager=MANAGER)
        elif current.get("spec") != body["spec"]:
            updated = copy.deepcopy(current)
            updated["spec"] = body["spec"]
            cluster.replace(kind, meta["namespace"], meta["name"], updated, manager=MANAGER)

    def _enable(self, doc: Document, cluster: Cluster, profile: Document) -> None:
        self._lab.kube.install_pod_identity_crds(doc["id"])
        if cluster.find(DAEMON_SETS, "kube-system", "nmi") is None:
            cluster.create(DAEMON_SETS, "kube-system", nmi_daemon_set(), manager=MANAGER)
        identities_kind = self._kind(cluster, "azureidentities")
        bindings_kind = self._kind(cluster, "azureidentitybindings")
        exceptions_kind = self._kind(cluster, "azurepodidentityexceptions")
        self._upsert(
            cluster,
            exceptions_kind,
            _obj(
                "AzurePodIdentityException",
                EXCEPTION_NAME,
                "kube-system",
                {"podLabels": {"kubernetes.azure.com/managedby": "aks"}},
            ),
        )
        wanted_exceptions = {("kube-system", EXCEPTION_NAME)}
        for item in profile.get("userAssignedIdentityExceptions") or []:
            self._ensure_namespace(cluster, item["namespace"])
            self._upsert(
                cluster,
                exceptions_kind,
                _obj(
                    "AzurePodIdentityException",
                    item["name"],
                    item["namespace"],
                    {"podLabels": dict(item.get("podLabels") or {})},
                ),
            )
            wanted_exceptions.add((item["namespace"], item["name"]))
        wanted: set[tuple[str, str]] = set()
        for item in profile.get("userAssignedIdentities") or []:
            wanted.add((item["namespace"], item["name"]))
            self._reconcile_identity(doc, cluster, identities_kind, bindings_kind, item)
        self._prune(cluster, identities_kind, wanted, suffix="")
        self._prune(cluster, bindings_kind, wanted, suffix="-binding")
        self._prune(cluster, exceptions_kind, wanted_exceptions, suffix="")
        self._sync_scale_sets(doc, profile)

    def _ensure_namespace(self, cluster: Cluster, name: str) -> None:
        if cluster.find(NAMESPACES, "", name) is None:
            body = namespace_doc(name)
            body["metadata"].setdefault("labels", {})["addonmanager.kubernetes.io/mode"] = (
                "EnsureExists"
            )
            cluster.create(NAMESPACES, "", body, manager=MANAGER)

    def _reconcile_identity(
        self,
        doc: Document,
        cluster: Cluster,
        identities_kind: Kind,
        bindings_kind: Kind,
        item: Document,
    ) -> None:
        name, namespace = item["name"], item["namespace"]
        resource_id = (item.get("identity") or {}).get("resourceId", "")
        self._ensure_namespace(cluster, namespace)
        identity = self._lab.identities.get(resource_id) if resource_id else None
        client_id = (
            identity["properties"]["clientId"]
            if identity is not None
            else (item.get("identity") or {}).get("clientId", "")
        )
        self._upsert(
            cluster,
            identities_kind,
            _obj(
                "AzureIdentity",
                name,
                namespace,
                {"type": 0, "resourceID": resource_id, "clientID": client_id},
            ),
        )
        self._upsert(
            cluster,
            bindings_kind,
            _obj(
                "AzureIdentityBinding",
                f"{name}-binding",
                namespace,
                {"azureIdentity": name, "selector": item.get("bindingSelector") or name},
            ),
        )
        item.pop("provisioningInfo", None)
        if identity is None:
            item["provisioningState"] = "Failed"
            item["provisioningInfo"] = _failure(
                "NotFound", f"The user-assigned identity 'resourceId: {resource_id}' was not found."
            )
        else:
            item["provisioningState"] = "Assigned"

    def _prune(
        self, cluster: Cluster, kind: Kind, wanted: set[tuple[str, str]], *, suffix: str
    ) -> None:
        for obj in cluster.items(kind):
            meta = obj["metadata"]
            if meta.get("labels", {}).get("kubernetes.azure.com/managedby") != "aks":
                continue
            base = meta["name"][: -len(suffix)] if suffix else meta["name"]
            if (meta["namespace"], base) not in wanted:
                cluster.delete(kind, meta["namespace"], meta["name"])

    def _sync_scale_sets(self, doc: Document, profile: Document) -> None:
        """Every Assigned pod identity on every node scale set; those it added before, off."""
        lab = self._lab
        assigned = [
            lab.identities.get(item["identity"]["resourceId"])
            for item in profile.get("userAssignedIdentities") or []
            if item.get("provisioningState") == "Assigned"
        ]
        wanted = {
            identity["id"]: {
                "principalId": identity["properties"]["principalId"],
                "clientId": identity["properties"]["clientId"],
            }
            for identity in assigned
            if identity is not None
        }
        for vmss in lab.scale_sets.in_scope(node_group_id(doc)):
            # `_podIdentities` (not shown by ARM) remembers which identities the add-on added,
            # so it never takes away the kubelet identity or one a user assigned.
            ours = {k.lower() for k in vmss.get("_podIdentities", [])}
            current = (vmss.get("identity") or {}).get("userAssignedIdentities", {})
            kept = {k: v for k, v in current.items() if k.lower() not in ours}
            kept.update(wanted)
            if kept != current or sorted(ours) != sorted(k.lower() for k in wanted):
                if kept:
                    vmss["identity"] = {"type": "UserAssigned", "userAssignedIdentities": kept}
                else:
                    vmss.pop("identity", None)
                vmss["_podIdentities"] = sorted(wanted)
                lab.resources.put(vmss)

    # -- disable ------------------------------------------------------------------------------

    def _disable(self, doc: Document, cluster: Cluster) -> None:
        if cluster.find(DAEMON_SETS, "kube-system", "nmi") is not None:
            cluster.delete(DAEMON_SETS, "kube-system", "nmi")
        for resource in ("azureidentitybindings", "azureidentities", "azurepodidentityexceptions"):
            kind = cluster.kind(GROUP, VERSION, resource)
            if kind is not None:
                self._prune(cluster, kind, set(), suffix="")
        self._sync_scale_sets(doc, {})


def node_group_id(doc: Document) -> str:
    """The ID of the cluster's node resource group."""
    return (
        f"/subscriptions/{ids.SUBSCRIPTION_ID}/resourceGroups/"
        f"{doc['properties']['nodeResourceGroup']}"
    )

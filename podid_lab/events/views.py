"""Per cluster, what the page draws: identities, bindings, pods, and who may use what."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..kube.kinds import PODS, SERVICE_ACCOUNTS
from ..kube.models import Cluster
from ..nmi.addon import GROUP, VERSION
from ..workload_identity.webhook import CLIENT_ID_ANNOTATION, USE_LABEL

if TYPE_CHECKING:
    from ..lab import Lab

Obj = dict[str, Any]


def _items(cluster: Cluster, resource: str) -> list[Obj]:
    kind = cluster.kind(GROUP, VERSION, resource)
    return [] if kind is None else cluster.items(kind)


def _meta(obj: Obj) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def _may_use(pod: Obj, bindings: list[Obj], accounts: dict[tuple[str, str], str]) -> list[str]:
    """What a pod may get a token for: pod identities bound to its label, its Workload ID."""
    namespace, _ = _meta(pod)
    labels = pod["metadata"].get("labels") or {}
    selector = labels.get("aadpodidbinding")
    found = [
        f"pod identity {b['spec'].get('azureIdentity', '')}"
        for b in bindings
        if selector and _meta(b)[0] == namespace and b["spec"].get("selector") == selector
    ]
    account = pod["spec"].get("serviceAccountName") or "default"
    client_id = accounts.get((namespace, account))
    if labels.get(USE_LABEL) == "true" and client_id:
        found.append(f"Workload ID {client_id}")
    return found


def cluster_view(cluster: Cluster) -> dict[str, Any]:
    """One cluster's identities, bindings and pods, each pod with what it may use."""
    identities = _items(cluster, "azureidentities")
    bindings = _items(cluster, "azureidentitybindings")
    accounts = {
        _meta(sa): (sa["metadata"].get("annotations") or {}).get(CLIENT_ID_ANNOTATION, "")
        for sa in cluster.items(SERVICE_ACCOUNTS)
    }
    pods = [p for p in cluster.items(PODS) if _meta(p)[0] != "kube-system"]
    return {
        "cluster": cluster.doc["name"],
        "identities": [
            {
                "namespace": _meta(i)[0],
                "name": _meta(i)[1],
                "clientID": i["spec"].get("clientID", ""),
                "resourceID": i["spec"].get("resourceID", ""),
            }
            for i in identities
        ],
        "bindings": [
            {
                "namespace": _meta(b)[0],
                "name": _meta(b)[1],
                "selector": b["spec"].get("selector", ""),
                "identity": b["spec"].get("azureIdentity", ""),
            }
            for b in bindings
        ],
        "serviceAccounts": [
            {"namespace": ns, "name": name, "clientID": client_id}
            for (ns, name), client_id in accounts.items()
            if client_id
        ],
        "pods": [
            {
                "namespace": _meta(p)[0],
                "name": _meta(p)[1],
                "label": (p["metadata"].get("labels") or {}).get("aadpodidbinding", ""),
                "phase": (p.get("status") or {}).get("phase", ""),
                "mayUse": _may_use(p, bindings, accounts),
            }
            for p in pods
        ],
    }


def cluster_views(lab: Lab) -> list[dict[str, Any]]:
    """Every cluster's view, by name."""
    return sorted((cluster_view(c) for c in lab.kube.all()), key=lambda v: v["cluster"])

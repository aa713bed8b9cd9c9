"""`meta.k8s.io/v1` Table output: the columns and cells a real API server sends `kubectl get`."""

from __future__ import annotations

import time
from typing import Any

from .kinds import CRDS, DAEMON_SETS, EVENTS, NAMESPACES, NODES, PODS, SERVICE_ACCOUNTS, Kind
from .objects import Obj, parse_timestamp

NAME_COLUMN = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace.",
    "priority": 0,
}
AGE_DESCRIPTION = "When the object was created."


def _col(name: str, kind: str = "string", priority: int = 0, description: str = "") -> Obj:
    return {
        "name": name,
        "type": kind,
        "format": "",
        "description": description,
        "priority": priority,
    }


AGE = _col("Age", description=AGE_DESCRIPTION)
COLUMNS: dict[str, list[Obj]] = {
    PODS.group_resource: [
        NAME_COLUMN,
        _col(
            "Ready", description="The aggregate readiness state of this pod for accepting traffic."
        ),
        _col("Status", description="The aggregate status of the containers in this pod."),
        _col(
            "Restarts",
            description="Restarts of the pod's containers, and when the last one was.",
        ),
        AGE,
        _col(
            "IP",
            priority=1,
            description="IP address allocated to the pod.",
        ),
        _col(
            "Node",
            priority=1,
            description="NodeName is a request to schedule this pod onto a specific node.",
        ),
        _col(
            "Nominated Node",
            priority=1,
            description="The node this pod would preempt pods on.",
        ),
        _col(
            "Readiness Gates",
            priority=1,
            description="Readiness gates evaluated for pod readiness.",
        ),
    ],
    NODES.group_resource: [
        NAME_COLUMN,
        _col("Status", description="The status of the node"),
        _col("Roles", description="The roles of the node"),
        AGE,
        _col("Version", description="Kubelet Version reported by the node."),
        _col("Internal-IP", priority=1, description="List of addresses reachable to the node."),
        _col("External-IP", priority=1, description="List of addresses reachable to the node."),
        _col(
            "OS-Image",
            priority=1,
            description="OS Image reported by the node from /etc/os-release.",
        ),
        _col("Kernel-Version", priority=1, description="Kernel Version reported by the node."),
        _col(
            "Container-Runtime",
            priority=1,
            description="Container runtime version reported by the node.",
        ),
    ],
    NAMESPACES.group_resource: [
        NAME_COLUMN,
        _col("Status", description="The status of the namespace"),
        AGE,
    ],
    DAEMON_SETS.group_resource: [
        NAME_COLUMN,
        _col(
            "Desired",
            "integer",
            description="Nodes that should run the daemon pod.",
        ),
        _col(
            "Current",
            "integer",
            description="Nodes running the daemon pod that should.",
        ),
        _col(
            "Ready",
            "integer",
            description="Nodes with the daemon pod running and ready.",
        ),
        _col(
            "Up-to-date",
            "integer",
            description="The total number of nodes that are running updated daemon pod",
        ),
        _col(
            "Available",
            "integer",
            description="Nodes with the daemon pod running and available.",
        ),
        _col(
            "Node Selector",
            description="The node selector of the pod template.",
        ),
        AGE,
        _col("Containers", priority=1, description="Names of each container in the template."),
        _col(
            "Images", priority=1, description="Images referenced by each container in the template."
        ),
        _col(
            "Selector",
            priority=1,
            description="A label query over pods that are managed by the daemon set.",
        ),
    ],
    SERVICE_ACCOUNTS.group_resource: [
        NAME_COLUMN,
        _col(
            "Secrets",
            "integer",
            description="Secrets pods using this account may use.",
        ),
        AGE,
    ],
    EVENTS.group_resource: [
        _col("Last Seen", description="Time when last this event was observed"),
        _col(
            "Type",
            description="Type of this event (Normal, Warning).",
        ),
        _col(
            "Reason",
            description="Why the event was generated.",
        ),
        _col("Object", description="The object that this event is about."),
        _col(
            "Subobject",
            priority=1,
            description="The part of the object the event is about.",
        ),
        _col("Source", priority=1, description="The component reporting this event."),
        _col("Message", description="What happened."),
        _col(
            "First Seen", priority=1, description="The time at which the event was first recorded."
        ),
        _col("Count", priority=1, description="The number of times this event has occurred."),
        _col("Name", priority=1, description="Name must be unique within a namespace."),
    ],
    CRDS.group_resource: [NAME_COLUMN, _col("Created At", "date", description=AGE_DESCRIPTION)],
}


def human_duration(seconds: float) -> str:
    """Kubernetes' `HumanDuration` (`45s`, `2m3s`, `5h`, `3d4h`, `2y`)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def _age(value: str | None, now: float) -> str:
    return "<unknown>" if not value else human_duration(now - parse_timestamp(value))


def _labels(selector: dict[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((selector or {}).items())) or "<none>"


def columns(kind: Kind) -> list[Obj]:
    """The column definitions of a kind (a CRD's printer columns, or Name and Age)."""
    if kind.group_resource in COLUMNS:
        return COLUMNS[kind.group_resource]
    custom = [
        _col(c["name"], c.get("type", "string"), c.get("priority", 0), c.get("description", ""))
        for c in kind.printer_columns
    ]
    return [NAME_COLUMN, *(custom or [dict(AGE, type="date")])]


def cells(kind: Kind, obj: Obj, now: float) -> list[Any]:
    """One row's cells, in column order."""
    meta = obj["metadata"]
    age = _age(meta.get("creationTimestamp"), now)
    if kind is PODS:
        return _pod_cells(obj, age)
    if kind is NODES:
        return _node_cells(obj, age)
    if kind is NAMESPACES:
        return [meta["name"], obj.get("status", {}).get("phase", "Active"), age]
    if kind is DAEMON_SETS:
        return _daemon_set_cells(obj, age)
    if kind is SERVICE_ACCOUNTS:
        return [meta["name"], len(obj.get("secrets") or []), age]
    if kind is EVENTS:
        return _event_cells(obj, now)
    if kind is CRDS:
        return [meta["name"], meta.get("creationTimestamp")]
    if not kind.printer_columns:
        return [meta["name"], age]
    return [meta["name"], *(_printer_cell(c, obj, now) for c in kind.printer_columns)]


def _printer_cell(column: Obj, obj: Obj, now: float) -> Any:
    """A CRD printer column's value at its (simple, dotted) jsonPath."""
    value: Any = obj
    for part in column["jsonPath"].lstrip(".").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return None
    if column.get("type") == "date":
        return _age(str(value), now)
    if column.get("type") == "integer" and isinstance(value, (int, float)):
        return int(value)
    return value if isinstance(value, str) else str(value)


def _pod_cells(pod: Obj, age: str) -> list[Any]:
    """kubectl's printPod: the READY count, the STATUS reason and RESTARTS."""
    spec, status, meta = pod.get("spec", {}), pod.get("status", {}), pod["metadata"]
    reason = status.get("reason") or status.get("phase", "")
    restarts = ready = 0
    has_running = False
    for cs in reversed(status.get("containerStatuses") or []):
        restarts += cs.get("restartCount", 0)
        state = cs.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason"):
            reason = waiting["reason"]
        elif terminated and terminated.get("reason"):
            reason = terminated["reason"]
        elif terminated:
            signal = terminated.get("signal")
            reason = f"Signal:{signal}" if signal else f"ExitCode:{terminated.get('exitCode', 0)}"
        elif cs.get("ready") and "running" in state:
            has_running = True
            ready += 1
    if reason == "Completed" and has_running:
        ready_condition = any(c.get("type") == "Ready" for c in status.get("conditions") or [])
        reason = "Running" if ready_condition else "NotReady"
    if meta.get("deletionTimestamp") and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Terminating"
    ips = status.get("podIPs") or ([{"ip": status["podIP"]}] if status.get("podIP") else [])
    return [
        meta["name"],
        f"{ready}/{len(spec.get('containers') or [])}",
        reason,
        str(restarts),
        age,
        ips[0]["ip"] if ips else "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        "<none>",
    ]


def _node_cells(node: Obj, age: str) -> list[Any]:
    meta, status = node["metadata"], node.get("status", {})
    ready = next((c for c in status.get("conditions", []) if c.get("type") == "Ready"), None)
    state = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if node.get("spec", {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    labels = meta.get("labels") or {}
    roles = {k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/")}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    addresses = {a["type"]: a["address"] for a in status.get("addresses", [])}
    info = status.get("nodeInfo", {})
    return [
        meta["name"],
        state,
        ",".join(sorted(r for r in roles if r)) or "<none>",
        age,
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP", "<none>"),
        addresses.get("ExternalIP", "<none>"),
        info.get("osImage", "<unknown>"),
        info.get("kernelVersion", "<unknown>"),
        info.get("containerRuntimeVersion", "<unknown>"),
    ]


def _daemon_set_cells(ds: Obj, age: str) -> list[Any]:
    spec, status = ds.get("spec", {}), ds.get("status", {})
    pod_spec = spec.get("template", {}).get("spec", {})
    containers = pod_spec.get("containers") or []
    return [
        ds["metadata"]["name"],
        status.get("desiredNumberScheduled", 0),
        status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", 0),
        status.get("numberAvailable", 0),
        _labels(pod_spec.get("nodeSelector")),
        age,
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
        _labels((spec.get("selector") or {}).get("matchLabels")),
    ]


def _event_cells(event: Obj, now: float) -> list[Any]:
    involved = event.get("involvedObject", {})
    source = event.get("source") or {}
    last = (
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event["metadata"].get("creationTimestamp")
    )
    first = event.get("firstTimestamp") or last
    count = event.get("count") or 1
    last_seen = _age(last, now)
    if count > 1:
        last_seen += f" (x{count} over {_age(first, now)})"
    return [
        last_seen,
        event.get("type", ""),
        event.get("reason", ""),
        f"{involved.get('kind', '').lower()}/{involved.get('name', '')}",
        involved.get("fieldPath", ""),
        ", ".join(p for p in (source.get("component", ""), source.get("host", "")) if p),
        event.get("message", ""),
        _age(first, now),
        count,
        event["metadata"]["name"],
    ]


def row(kind: Kind, obj: Obj, include_object: str, now: float) -> Obj:
    """A Table row, carrying the object's metadata (or all of it, or nothing)."""
    entry: Obj = {"cells": cells(kind, obj, now)}
    if include_object == "Object":
        entry["object"] = obj
    elif include_object != "None":
        entry["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"],
        }
    return entry


def table(
    kind: Kind, items: list[Obj], list_meta: Obj, include_object: str, *, headers: bool = True
) -> Obj:
    """A Table of `items` (headers=False: no column definitions, as in later watch events)."""
    now = time.time()
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": columns(kind) if headers else [],
        "rows": [row(kind, obj, include_object, now) for obj in items],
    }

"""The objects an AKS cluster is born with, and the defaults the API server gives new ones."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from .. import ids

Obj = dict[str, Any]

# Late patch releases AKS offered for each minor version (used when only "1.31" is asked for).
PATCH_RELEASES = {
    "1.27": "1.27.16",
    "1.28": "1.28.15",
    "1.29": "1.29.14",
    "1.30": "1.30.10",
    "1.31": "1.31.6",
    "1.32": "1.32.2",
    "1.33": "1.33.0",
}
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# Namespaces the API server refuses to delete.
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")
DEFAULT_VM_SIZE = "Standard_DS2_v2"
# Azure CNI's default pods per node (kubenet's is 110); the tutorial's clusters use Azure CNI.
DEFAULT_MAX_PODS = 30
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def timestamp(epoch: float | None = None) -> str:
    """RFC 3339 with seconds, as `creationTimestamp` is written."""
    moment = datetime.fromtimestamp(time.time() if epoch is None else epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_timestamp(epoch: float) -> str:
    """RFC 3339 with microseconds, as `eventTime` and managed-field times are written."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(value: str) -> float:
    """Seconds since the epoch for an RFC 3339 timestamp."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def git_version(kubernetes_version: str) -> str:
    """`v1.31.6` for "1.31" or "1.31.6"."""
    version = kubernetes_version.lstrip("v")
    if version.count(".") == 1:
        version = PATCH_RELEASES.get(version, version + ".0")
    return "v" + version


def random_suffix(seed: str, length: int = 5) -> str:
    """The 5-character suffix of generated names, derived from `seed` so runs repeat."""
    number = int(ids.stable_guid("kube-suffix", seed).replace("-", ""), 16)
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(SUFFIX_ALPHABET))
        chars.append(SUFFIX_ALPHABET[index])
    return "".join(chars)


def namespace_doc(name: str) -> Obj:
    """A new namespace as the API server stores it."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def service_account_doc(namespace: str, name: str = "default") -> Obj:
    """The service account the controller puts in every namespace."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace},
    }


def node_parts(node: str) -> tuple[str, str, int]:
    """(agent pool, VMSS name, instance id) of an AKS node name like `aks-pool1-123-vmss00000a`."""
    pool = node.split("-")[1] if node.count("-") >= 2 else "nodepool1"
    head, sep, tail = node.rpartition("vmss")
    if sep and tail and all(c.isdigit() or c.islower() for c in tail):
        return pool, head + sep, int(tail, 36)
    return pool, node, 0


def node_doc(
    node: str,
    index: int,
    *,
    cluster_name: str,
    location: str,
    node_resource_group: str,
    version: str,
    vm_size: str,
    max_pods: int,
) -> Obj:
    """A Ready AKS node of a VMSS pool, with the labels, addresses and capacity AKS reports."""
    pool, vmss, instance = node_parts(node)
    provider_id = (
        f"azure:///subscriptions/{ids.SUBSCRIPTION_ID}/resourceGroups/{node_resource_group.lower()}"
        f"/providers/Microsoft.Compute/virtualMachineScaleSets/{vmss}/virtualMachines/{instance}"
    )
    labels = {
        "agentpool": pool,
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": vm_size,
        "beta.kubernetes.io/os": "linux",
        "failure-domain.beta.kubernetes.io/region": location,
        "failure-domain.beta.kubernetes.io/zone": "0",
        "kubernetes.azure.com/agentpool": pool,
        "kubernetes.azure.com/cluster": node_resource_group,
        "kubernetes.azure.com/mode": "system",
        "kubernetes.azure.com/node-image-version": "AKSUbuntu-2204gen2containerd-202502.09.0",
        "kubernetes.azure.com/nodepool-type": "VirtualMachineScaleSets",
        "kubernetes.azure.com/os-sku": "Ubuntu",
        "kubernetes.azure.com/role": "agent",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": node,
        "kubernetes.io/os": "linux",
        "kubernetes.io/role": "agent",
        "node-role.kubernetes.io/agent": "",
        "node.kubernetes.io/instance-type": vm_size,
        "topology.kubernetes.io/region": location,
        "topology.kubernetes.io/zone": "0",
    }
    capacity = {
        "cpu": "2",
        "ephemeral-storage": "129886128Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": "7097684Ki",
        "pods": str(max_pods),
    }
    allocatable = dict(
        capacity, cpu="1900m", memory="5160788Ki", **{"ephemeral-storage": "119703055367"}
    )
    now = timestamp()
    conditions = [
        (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": node,
            "labels": labels,
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"podCIDR": f"10.244.{index}.0/24", "providerID": provider_id},
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": f"10.224.0.{4 + index}"},
                {"type": "Hostname", "address": node},
            ],
            "allocatable": allocatable,
            "capacity": capacity,
            "conditions": [
                {
                    "type": kind,
                    "status": status,
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now,
                    "reason": reason,
                    "message": message,
                }
                for kind, status, reason, message in conditions
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": ids.stable_guid("boot", cluster_name, node),
                "containerRuntimeVersion": "containerd://1.7.25-1",
                "kernelVersion": "5.15.0-1081-azure",
                "kubeProxyVersion": version,
                "kubeletVersion": version,
                "machineID": ids.stable_guid("machine", cluster_name, node).replace("-", ""),
                "operatingSystem": "linux",
                "osImage": "Ubuntu 22.04.5 LTS",
                "systemUUID": ids.stable_guid("system", cluster_name, node),
            },
        },
    }


def image_pull_policy(image: str) -> str:
    """`Always` for `:latest` or untagged images, else `IfNotPresent` (the API default)."""
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    return "Always" if ":" not in last or last.endswith(":latest") else "IfNotPresent"


def default_container(container: Obj) -> None:
    """Fill a container's defaulted fields in place."""
    container.setdefault("imagePullPolicy", image_pull_policy(str(container.get("image", ""))))
    container.setdefault("resources", {})
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in container.get("ports", []):
        port.setdefault("protocol", "TCP")
    for env in container.get("env", []):
        field_ref = (env.get("valueFrom") or {}).get("fieldRef")
        if field_ref is not None:
            field_ref.setdefault("apiVersion", "v1")


def default_pod_spec(spec: Obj, *, token_volume: str | None) -> None:
    """Fill a pod spec's defaulted fields in place (token_volume: the SA token volume's name)."""
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        default_container(container)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("serviceAccountName", spec.get("serviceAccount", "default"))
    spec["serviceAccount"] = spec["serviceAccountName"]
    spec.setdefault("terminationGracePeriodSeconds", 30)
    tolerations = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key for t in tolerations):
            tolerations.append(
                {"effect": "NoExecute", "key": key, "operator": "Exists", "tolerationSeconds": 300}
            )
    if token_volume is None:
        return
    # The service-account admission plugin mounts the API token into every container.
    spec.setdefault("volumes", []).append(
        {
            "name": token_volume,
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {
                        "configMap": {
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            "name": "kube-root-ca.crt",
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "fieldRef": {
                                        "apiVersion": "v1",
                                        "fieldPath": "metadata.namespace",
                                    },
                                    "path": "namespace",
                                }
                            ]
                        }
                    },
                ],
            },
        }
    )
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        container.setdefault("volumeMounts", []).append(
            {
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "name": token_volume,
                "readOnly": True,
            }
        )


def qos_class(spec: Obj) -> str:
    """The pod's QoS class from its containers' requests and limits."""
    resources = [c.get("resources") or {} for c in spec.get("containers", [])]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    guaranteed = all(
        r.get("limits")
        and all(r["limits"].get(k) is not None for k in ("cpu", "memory"))
        and all(
            (r.get("requests") or r["limits"]).get(k) == r["limits"][k] for k in ("cpu", "memory")
        )
        for r in resources
    )
    return "Guaranteed" if guaranteed else "Burstable"


def event_doc(
    *,
    namespace: str,
    involved: Obj,
    reason: str,
    message: str,
    event_type: str,
    component: str,
    host: str,
    seq: int,
    now: float,
) -> Obj:
    """A core/v1 Event about `involved`, named `<object>.<16 hex>` as client-go names them."""
    meta = involved["metadata"]
    name = f"{meta['name']}.{int(now * 1e9) + seq:x}"[-253:]
    source: Obj = {"component": component}
    if host:
        source["host"] = host
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {
            "apiVersion": involved.get("apiVersion", "v1"),
            "kind": involved.get("kind", ""),
            "name": meta["name"],
            "namespace": meta.get("namespace", namespace),
            "resourceVersion": meta.get("resourceVersion", ""),
            "uid": meta.get("uid", ""),
        },
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": timestamp(now),
        "lastTimestamp": timestamp(now),
        "count": 1,
        "type": event_type,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": host,
    }

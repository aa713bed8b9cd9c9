"""NMI in managed mode, and the IMDS behind it: which identity a pod's token request gets.

A pod reaches "IMDS" at its own endpoint, named by a secret only the pod's processes hold
(`nmi.secrets`), because the lab cannot see a pod's source IP the way NMI does. Everything
after that follows NMI v1.8 managed mode: the `Metadata` header, the binding in the pod's own
namespace whose selector equals the pod's `aadpodidbinding` label, exceptions, and the token
fetched from IMDS for the identity's client ID, which fails unless the identity is on the
node's scale set. Tokens come from the lab's Entra ID for the identity's principal, and the same
token is handed out again for the same identity and resource until it nears expiry.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import ids, klog
from ..entra.models import KNOWN_RESOURCES
from ..kube.kinds import NODES, PODS
from ..kube.models import Cluster
from ..kube.objects import node_parts
from ..store import Document
from .addon import GROUP, VERSION

if TYPE_CHECKING:
    from ..lab import Lab

TOKEN_PATH = "/metadata/identity/oauth2/token"
# A cached token is handed out until this close to its expiry, as IMDS does.
REFRESH_MARGIN_SECONDS = 300
IDENTITY_NOT_FOUND = '{"error":"invalid_request","error_description":"Identity not found"}'


@dataclass(frozen=True)
class Reply:
    """What NMI answers: a status, a body (JSON or text) and extra headers."""

    status: int
    body: Any
    headers: dict[str, str] | None = None

    @property
    def is_json(self) -> bool:
        return not isinstance(self.body, str)


def redact(client_id: str) -> str:
    """NMI's redaction of a client ID in logs and errors."""
    if len(client_id) < 8:
        return client_id
    return f"{client_id[:4]}##### REDACTED #####{client_id[-4:]}"


def _adal_failure(status: int, body: str) -> Reply:
    return Reply(
        403,
        "failed to get service principal token, error: adal: Refresh request failed. "
        f"Status Code = '{status}'. Response body: {body}\n",
    )


class Nmi:
    """Answers token and instance-metadata requests made as a given pod."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}

    # -- the token route ----------------------------------------------------------------------

    def token(
        self, cluster_key: str, namespace: str, pod_name: str, query: dict[str, str], metadata: str
    ) -> Reply:
        """`GET /metadata/identity/oauth2/token` as the pod."""
        if metadata.lower() != "true":
            return Reply(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Required metadata header not specified",
                },
            )
        resource = query.get("resource", "")
        if not resource:
            return Reply(400, "parameter resource cannot be empty\n")
        found = self._pod(cluster_key, namespace, pod_name)
        if found is None:
            return Reply(500, f"failed to match pod {namespace}/{pod_name} with any pod\n")
        cluster, pod = found
        client_id = query.get("client_id", "")
        resource_id = query.get("mi_res_id") or query.get("msi_res_id") or ""
        if self._excepted(cluster, pod):
            return self._from_imds(cluster, pod, client_id, resource_id, resource)
        identity = self._matching_identity(cluster, pod, client_id, resource_id)
        if identity is None:
            message = f"no azure identity found for request clientID {redact(client_id)}"
            self._log(
                cluster,
                pod,
                "E",
                "server.go:214",
                f"failed to get matching identities for pod: {namespace}/{pod_name}, "
                f"error: {message}",
            )
            return Reply(404, message + "\n")
        spec = identity["spec"]
        if not client_id and not resource_id:
            self._log(
                cluster,
                pod,
                "I",
                "managed.go:63",
                f"no clientID or resourceID in request. {namespace}/{pod_name} has been matched "
                f"with azure identity {namespace}/{identity['metadata']['name']}",
            )
        self._log(
            cluster,
            pod,
            "I",
            "managed.go:81",
            f"matched identityType:{spec.get('type', 0)} clientid:{redact(spec['clientID'])} "
            f"resource:{resource}",
        )
        reply = self._imds_token(cluster, pod, spec["clientID"], resource)
        self._log(
            cluster,
            pod,
            "I",
            "server.go:239",
            f"status ({reply.status}) for req.method=GET reg.path={TOKEN_PATH} "
            f"req.remote={pod['status'].get('podIP', '')}",
        )
        if reply.status != 200:
            return _adal_failure(reply.status, json.dumps(reply.body, separators=(",", ":")))
        return reply

    def _pod(self, cluster_key: str, namespace: str, name: str) -> tuple[Cluster, Document] | None:
        cluster = self._lab.kube.by_key(cluster_key)
        if cluster is None:
            return None
        pod = cluster.find(PODS, namespace, name)
        return None if pod is None else (cluster, pod)

    def _objects(self, cluster: Cluster, resource: str, namespace: str) -> list[Document]:
        kind = cluster.kind(GROUP, VERSION, resource)
        return [] if kind is None else cluster.items(kind, namespace)

    def _excepted(self, cluster: Cluster, pod: Document) -> bool:
        labels = pod["metadata"].get("labels") or {}
        for exception in self._objects(
            cluster, "azurepodidentityexceptions", pod["metadata"]["namespace"]
        ):
            wanted = exception["spec"].get("podLabels") or {}
            if wanted and all(labels.get(k) == v for k, v in wanted.items()):
                return True
        return False

    def _matching_identity(
        self, cluster: Cluster, pod: Document, client_id: str, resource_id: str
    ) -> Document | None:
        """Managed mode: bindings in the pod's namespace whose selector is the pod's label."""
        namespace = pod["metadata"]["namespace"]
        label = (pod["metadata"].get("labels") or {}).get("aadpodidbinding")
        if not label:
            return None
        identities = {
            i["metadata"]["name"]: i for i in self._objects(cluster, "azureidentities", namespace)
        }
        matched = [
            identities[b["spec"]["azureIdentity"]]
            for b in self._objects(cluster, "azureidentitybindings", namespace)
            if b["spec"].get("selector") == label and b["spec"].get("azureIdentity") in identities
        ]
        if not matched:
            return None
        for identity in matched:
            spec = identity["spec"]
            if (client_id and spec.get("clientID", "").lower() == client_id.lower()) or (
                resource_id and spec.get("resourceID", "").lower() == resource_id.lower()
            ):
                return identity
        # NMI only logs a client ID that matches no binding and answers for the bound one.
        return matched[0]

    # -- IMDS ---------------------------------------------------------------------------------

    def _node_identities(self, cluster: Cluster, pod: Document) -> dict[str, Document]:
        """The user-assigned identities on the scale set of the pod's node, by resource ID."""
        node = pod["spec"].get("nodeName", "")
        _, vmss_name, _ = node_parts(node)
        node_group = cluster.doc["nodeResourceGroup"]
        group = f"/subscriptions/{ids.SUBSCRIPTION_ID}/resourceGroups/{node_group}"
        vmss = self._lab.scale_sets.get(
            f"{group}/providers/Microsoft.Compute/virtualMachineScaleSets/{vmss_name}"
        )
        return dict(((vmss or {}).get("identity") or {}).get("userAssignedIdentities") or {})

    def _from_imds(
        self, cluster: Cluster, pod: Document, client_id: str, resource_id: str, resource: str
    ) -> Reply:
        """An exception pod talks to IMDS directly: the node's identities, by choice."""
        on_node = self._node_identities(cluster, pod)
        if client_id:
            chosen = next(
                (
                    v["clientId"]
                    for v in on_node.values()
                    if v["clientId"].lower() == client_id.lower()
                ),
                None,
            )
        elif resource_id:
            chosen = next(
                (v["clientId"] for k, v in on_node.items() if k.lower() == resource_id.lower()),
                None,
            )
        elif len(on_node) == 1:
            chosen = next(iter(on_node.values()))["clientId"]
        else:
            detail = (
                '{"error":"invalid_request","error_description":"Multiple user assigned '
                "identities exist, please specify the clientId / resourceId of the identity in "
                'the token request"}'
            )
            return _adal_failure(400, detail)
        if chosen is None:
            return _adal_failure(400, IDENTITY_NOT_FOUND)
        reply = self._imds_token(cluster, pod, chosen, resource)
        if reply.status != 200:
            return _adal_failure(reply.status, json.dumps(reply.body, separators=(",", ":")))
        return reply

    def _imds_token(self, cluster: Cluster, pod: Document, client_id: str, resource: str) -> Reply:
        """IMDS: a token for `client_id`, if that identity is on the pod's node scale set."""
        on_node = {v["clientId"].lower(): v for v in self._node_identities(cluster, pod).values()}
        entry = on_node.get(client_id.lower())
        principal = self._lab.directory.get(entry["principalId"]) if entry else None
        if principal is None:
            return Reply(400, json.loads(IDENTITY_NOT_FOUND))
        if resource not in KNOWN_RESOURCES:
            return Reply(
                400,
                {
                    "error": "invalid_resource",
                    "error_description": f"AADSTS500011: The resource principal named {resource} "
                    f"was not found in the tenant named {ids.TENANT_DOMAIN}.",
                },
            )
        key = (client_id.lower(), resource)
        cached = self._cache.get(key)
        now = time.time()
        if cached is None or int(cached["expires_on"]) - now < REFRESH_MARGIN_SECONDS:
            lifetime = int(self._lab.knobs["token_lifetime_seconds"])
            token = self._lab.directory.issue(principal, resource)
            cached = {
                "access_token": token,
                "client_id": principal["appId"],
                "expires_in": str(lifetime),
                "expires_on": str(int(now) + lifetime),
                "ext_expires_in": str(lifetime),
                "not_before": str(int(now)),
                "resource": resource,
                "token_type": "Bearer",
            }
            self._cache[key] = cached
        body = dict(cached, expires_in=str(int(cached["expires_on"]) - int(now)))
        return Reply(200, body)

    def forget(self) -> None:
        """Drop cached tokens (after a reset)."""
        self._cache.clear()

    # -- instance metadata --------------------------------------------------------------------

    def instance(
        self, cluster_key: str, namespace: str, pod_name: str, query: dict[str, str], metadata: str
    ) -> Reply:
        """`GET /metadata/instance`: the node's compute and network metadata."""
        if metadata.lower() != "true":
            return Reply(400, {"error": "Bad request. Required metadata header not specified"})
        if not query.get("api-version"):
            return Reply(
                400,
                {
                    "error": "Bad request. api-version was not specified in the request. For "
                    "more information refer to aka.ms/azureimds",
                    "newest-versions": ["2023-07-01", "2021-12-13", "2021-11-15"],
                },
            )
        found = self._pod(cluster_key, namespace, pod_name)
        if found is None:
            return Reply(404, {"error": "Not found"})
        cluster, pod = found
        node_name = pod["spec"].get("nodeName", "")
        node = cluster.find(NODES, "", node_name) or {}
        _, vmss, instance = node_parts(node_name)
        address = next(
            (
                a["address"]
                for a in node.get("status", {}).get("addresses", [])
                if a["type"] == "InternalIP"
            ),
            "",
        )
        labels = node.get("metadata", {}).get("labels", {})
        compute = {
            "location": cluster.doc["location"],
            "name": f"{vmss}_{instance}",
            "offer": "",
            "osType": "Linux",
            "placementGroupId": "",
            "platformFaultDomain": "0",
            "platformUpdateDomain": "0",
            "publisher": "",
            "resourceGroupName": cluster.doc["nodeResourceGroup"],
            "sku": "",
            "subscriptionId": ids.SUBSCRIPTION_ID,
            "tags": f"aks-managed-poolName:{labels.get('agentpool', '')}",
            "version": "",
            "vmId": ids.stable_guid("vm-id", cluster.doc["clusterId"], node_name),
            "vmScaleSetName": vmss,
            "vmSize": labels.get("node.kubernetes.io/instance-type", ""),
            "zone": "",
        }
        network = {
            "interface": [
                {
                    "ipv4": {
                        "ipAddress": [{"privateIpAddress": address, "publicIpAddress": ""}],
                        "subnet": [{"address": "10.224.0.0", "prefix": "16"}],
                    },
                    "ipv6": {"ipAddress": []},
                    "macAddress": ids.stable_guid("mac", node_name).replace("-", "")[:12].upper(),
                }
            ]
        }
        return Reply(200, {"compute": compute, "network": network})

    # -- NMI's own log ------------------------------------------------------------------------

    def _log(self, cluster: Cluster, pod: Document, severity: str, source: str, text: str) -> None:
        """Append a klog line to the log of the NMI pod on the requesting pod's node."""
        node = pod["spec"].get("nodeName")
        for nmi in cluster.items(PODS, "kube-system"):
            labels = nmi["metadata"].get("labels") or {}
            if labels.get("component") == "nmi" and nmi["spec"].get("nodeName") == node:
                cluster.append_log(
                    "kube-system", nmi["metadata"]["name"], "nmi", klog.line(severity, source, text)
                )
                return

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
import urllib.parse
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
METADATA_REQUIRED = (
    '{"error":"invalid_request","error_description":"Required metadata header not specified"}'
)
JSON_UTF8 = "application/json; charset=utf-8"
# NMI's own adal asks IMDS with this API version and, like the demo's, retries 404, 410, 429 and
# 5xx; the lab's IMDS answers only 200 or 400, which adal never retries, so NMI never waits.
IMDS_API_VERSION = "2018-02-01"
# Where NMI v1.8's klog lines come from (pkg/nmi/server/server.go and pkg/nmi/managed.go of the
# release AKS ran; 192 and 358 match an add-on NMI's log, the others count from them).
STATUS_LINE = "server.go:192"
METADATA_MISSING = "server.go:322"
RESOURCE_MISSING = "server.go:336"
EXCEPTED = "server.go:358"
EXCEPTED_FETCH_SYSTEM = "server.go:298"
EXCEPTED_FETCH = "server.go:301"
EXCEPTED_FAILED = "server.go:361"
NO_MATCH = "server.go:371"
TOKEN_FAILED = "server.go:378"
MATCHED_CLIENT_ID = "managed.go:52"
MATCHED_UNSPECIFIED = "managed.go:63"
CLIENT_ID_MISMATCH = "managed.go:79"
MATCHED_IDENTITY = "managed.go:81"
# Go's http.Error: text/plain, nosniff, and the message with a newline.
GO_ERROR_HEADERS = {
    "Content-Type": "text/plain; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
}


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
    """NMI's redaction of a client ID in logs and errors (short IDs pass unchanged)."""
    if len(client_id) < 8:
        return client_id
    return f"{client_id[:4]}##### REDACTED #####{client_id[-4:]}"


def go_error(status: int, message: str) -> Reply:
    """An answer written with Go's `http.Error`."""
    return Reply(status, message + "\n", dict(GO_ERROR_HEADERS))


def adal_refresh_error(status: int, body: str, client_id: str, resource: str) -> str:
    """NMI's adal (v0.9.x) on a failed IMDS call: the status, the body, then the endpoint."""
    query = urllib.parse.urlencode(
        sorted(
            {"api-version": IMDS_API_VERSION, "client_id": client_id, "resource": resource}.items()
        )
    )
    return (
        f"adal: Refresh request failed. Status Code = '{status}'. Response body: {body} "
        f"Endpoint http://169.254.169.254{TOKEN_PATH}?{query}"
    )


def msi_response(imds: dict[str, Any]) -> dict[str, Any]:
    """NMI's `msiResponse`: IMDS's token in the fields older adal clients read, in its order."""
    return {
        "access_token": imds["access_token"],
        "refresh_token": "",
        "expires_in": imds["expires_in"],
        "expires_on": imds["expires_on"],
        "not_before": imds["not_before"],
        "resource": imds["resource"],
        "token_type": imds["token_type"],
    }


class _PodLog:
    """NMI's log, as lines about one request from one pod."""

    def __init__(self, nmi: Nmi, cluster: Cluster, pod: Document) -> None:
        self.nmi, self.cluster, self.pod = nmi, cluster, pod
        self.who = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        remote = pod.get("status", {}).get("podIP", "")
        self.tracker = f"req.method=GET reg.path={TOKEN_PATH} req.remote={remote}"

    def __call__(self, severity: str, source: str, text: str) -> None:
        self.nmi.log(self.cluster, self.pod, severity, source, text)


class Nmi:
    """Answers token and instance-metadata requests made as a given pod."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}

    # -- the token route ----------------------------------------------------------------------

    def token(
        self, cluster_key: str, namespace: str, pod_name: str, query: dict[str, str], metadata: str
    ) -> Reply:
        """`GET /metadata/identity/oauth2/token` as the pod, with NMI's log lines."""
        started = time.perf_counter_ns()
        found = self._pod(cluster_key, namespace, pod_name)
        if found is None:
            # The lab routes by pod, so the pod is gone; NMI words its own case by pod IP.
            return go_error(500, f"failed to match pod {namespace}/{pod_name} with any pod")
        cluster, pod = found
        log = _PodLog(self, cluster, pod)
        reply = self._answer(log, query, metadata)
        took = time.perf_counter_ns() - started
        log("I", STATUS_LINE, f"status ({reply.status}) took {took} ns for {log.tracker}")
        return reply

    def _answer(self, log: _PodLog, query: dict[str, str], metadata: str) -> Reply:
        """msiHandler in managed mode: header, resource, exceptions, identity, token."""
        if metadata.lower() != "true":
            log("E", METADATA_MISSING, f"metadata header is not specified, {log.tracker}")
            return Reply(400, METADATA_REQUIRED + "\n", {"Content-Type": JSON_UTF8})
        resource = query.get("resource", "")
        if not resource:
            log("W", RESOURCE_MISSING, "parameter resource cannot be empty")
            return go_error(400, "parameter resource cannot be empty")
        client_id = query.get("client_id", "")
        resource_id = query.get("msi_res_id", "")
        who = log.who
        if self._excepted(log.cluster, log.pod):
            log("I", EXCEPTED, f"exception pod {who} token handling")
            return self._excepted_token(log, client_id, resource)
        identity = self._matching_identity(log, client_id, resource_id)
        if identity is None:
            message = f"no azure identity found for request clientID {redact(client_id)}"
            log(
                "E",
                NO_MATCH,
                f"failed to get matching identities for pod: {who}, error: {message}",
            )
            return go_error(404, message)
        spec = identity["spec"]
        bound = str(spec.get("clientID", ""))
        if client_id and client_id.lower() != bound.lower():
            log(
                "W",
                CLIENT_ID_MISMATCH,
                f"client ID mismatch, requested:{client_id} available:{bound}",
            )
        log(
            "I",
            MATCHED_IDENTITY,
            f"matched identityType:{spec.get('type', 0)} clientid:{redact(bound)} "
            f"resource:{resource}",
        )
        imds = self._imds_token(log.cluster, log.pod, bound, resource)
        if imds.status != 200:
            error = adal_refresh_error(imds.status, imds.body, bound, resource)
            log(
                "E",
                TOKEN_FAILED,
                f"failed to get service principal token for pod: {who}, error: {error}",
            )
            return go_error(403, error)
        return Reply(200, msi_response(imds.body))

    def _excepted_token(self, log: _PodLog, client_id: str, resource: str) -> Reply:
        """An exception pod's token, straight from IMDS for the identity it names."""
        if client_id:
            log(
                "I",
                EXCEPTED_FETCH,
                f"fetching token for user assigned MSI for resource: {resource}",
            )
        else:
            log("I", EXCEPTED_FETCH_SYSTEM, "fetching token for system assigned MSI")
        imds = self._from_imds(log.cluster, log.pod, client_id, resource)
        if imds.status != 200:
            error = "failed to get service principal token, error: " + adal_refresh_error(
                imds.status, imds.body, client_id, resource
            )
            log(
                "E",
                EXCEPTED_FAILED,
                f"failed to get service principal token for pod:{log.who} with error code 403, "
                f"error: {error}",
            )
            return go_error(403, error)
        return Reply(200, msi_response(imds.body))

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

    def _matching_identity(self, log: _PodLog, client_id: str, resource_id: str) -> Document | None:
        """GetIdentities in managed mode: the first identity bound to the pod (a binding in its
        namespace whose selector is its `aadpodidbinding` label) that the request names by exact
        client ID or resource ID, or, when it names none, the first one."""
        namespace = log.pod["metadata"]["namespace"]
        label = (log.pod["metadata"].get("labels") or {}).get("aadpodidbinding")
        if not label:
            return None
        identities = {
            i["metadata"]["name"]: i
            for i in self._objects(log.cluster, "azureidentities", namespace)
        }
        bound = [
            identities[b["spec"]["azureIdentity"]]
            for b in self._objects(log.cluster, "azureidentitybindings", namespace)
            if b["spec"].get("selector") == label and b["spec"].get("azureIdentity") in identities
        ]
        for identity in bound:
            spec, name = identity["spec"], f"{namespace}/{identity['metadata']['name']}"
            if client_id and spec.get("clientID") == client_id:
                log(
                    "I",
                    MATCHED_CLIENT_ID,
                    f"clientID in request: {redact(client_id)}, {log.who} has been matched with "
                    f"azure identity {name}",
                )
                return identity
            if resource_id and spec.get("resourceID") == resource_id:
                return identity
            if not client_id and not resource_id:
                log(
                    "I",
                    MATCHED_UNSPECIFIED,
                    f"no clientID or resourceID in request. {log.who} has been matched with "
                    f"azure identity {name}",
                )
                return identity
        return None

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

    def _from_imds(self, cluster: Cluster, pod: Document, client_id: str, resource: str) -> Reply:
        """IMDS as an exception pod meets it: the identity it names, or the node's only one."""
        on_node = [v["clientId"] for v in self._node_identities(cluster, pod).values()]
        if not client_id and len(on_node) > 1:
            return Reply(
                400,
                '{"error":"invalid_request","error_description":"Multiple user assigned '
                "identities exist, please specify the clientId / resourceId of the identity in "
                'the token request"}',
            )
        chosen = client_id or (on_node[0] if on_node else "")
        return self._imds_token(cluster, pod, chosen, resource)

    def _imds_token(self, cluster: Cluster, pod: Document, client_id: str, resource: str) -> Reply:
        """IMDS: a token for `client_id` if that identity is on the pod's node scale set; a
        failure's body is IMDS's JSON text."""
        on_node = {v["clientId"].lower(): v for v in self._node_identities(cluster, pod).values()}
        entry = on_node.get(client_id.lower()) if client_id else None
        principal = self._lab.directory.get(entry["principalId"]) if entry else None
        if principal is None:
            return Reply(400, IDENTITY_NOT_FOUND)
        if resource not in KNOWN_RESOURCES:
            detail = {
                "error": "invalid_resource",
                "error_description": f"AADSTS500011: The resource principal named {resource} "
                f"was not found in the tenant named {ids.TENANT_DOMAIN}.",
            }
            return Reply(400, json.dumps(detail, separators=(",", ":")))
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

    def log(self, cluster: Cluster, pod: Document, severity: str, source: str, text: str) -> None:
        """Append a klog line to the log of the NMI pod on the requesting pod's node."""
        node = pod["spec"].get("nodeName")
        for nmi in cluster.items(PODS, "kube-system"):
            labels = nmi["metadata"].get("labels") or {}
            if labels.get("component") == "nmi" and nmi["spec"].get("nodeName") == node:
                cluster.append_log(
                    "kube-system", nmi["metadata"]["name"], "nmi", klog.line(severity, source, text)
                )
                return

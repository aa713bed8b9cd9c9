"""What the workload identity add-on does in a cluster: the mutating webhook, as a pod is created.

Released behaviour of `azure-workload-identity` (v1.x, `pkg/webhook`): a pod labelled
`azure.workload.identity/use: "true"` gets, in every container not listed in
`azure.workload.identity/skip-containers`, the environment the Azure SDKs read
(`AZURE_CLIENT_ID` from the service account's annotation, `AZURE_TENANT_ID`,
`AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST`; only values that are set, never over the
pod's own) and a read-only mount of a projected service-account token with audience
`api://AzureADTokenExchange`. Pods without the label are not sent to the webhook at all.

A pod that carries the annotation `azure.workload.identity/inject-proxy-sidecar` (any value: the
webhook checks only that the key is there) also gets the migration proxy (see `proxy`): an init
container `azwi-proxy-init` that redirects the pod's traffic to 169.254.169.254:80 to the proxy's
port, and the sidecar `azwi-proxy` first in `containers`. Pinned: the webhook and proxy of
azure-workload-identity v1.3.0. Later releases inject the sidecar as a native sidecar (an init
container with `restartPolicy: Always`) on newer Kubernetes; the lab's kubelet runs no init
containers, so the lab keeps the regular-container form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import ids
from ..kube.errors import KubeError
from ..kube.kinds import SERVICE_ACCOUNTS
from .issuer import AUDIENCE

if TYPE_CHECKING:
    from ..kube.models import Cluster
    from ..lab import Lab

USE_LABEL = "azure.workload.identity/use"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
TENANT_ID_ANNOTATION = "azure.workload.identity/tenant-id"
EXPIRATION_ANNOTATION = "azure.workload.identity/service-account-token-expiration"
SKIP_CONTAINERS_ANNOTATION = "azure.workload.identity/skip-containers"
VOLUME_NAME = "azure-identity-token"
MOUNT_PATH = "/var/run/secrets/azure/tokens"
TOKEN_PATH = "azure-identity-token"
DEFAULT_EXPIRATION = 3600
MIN_EXPIRATION, MAX_EXPIRATION = 3600, 86400
WEBHOOK_NAME = "mutation.azure-workload-identity.io"
INJECT_PROXY_ANNOTATION = "azure.workload.identity/inject-proxy-sidecar"
PROXY_PORT_ANNOTATION = "azure.workload.identity/proxy-sidecar-port"
DEFAULT_PROXY_PORT = 8000
PROXY_VERSION = "v1.3.0"
PROXY_REGISTRY = "mcr.microsoft.com/oss/azure/workload-identity"
PROXY_INIT_CONTAINER = "azwi-proxy-init"
PROXY_CONTAINER = "azwi-proxy"
PROXY_IMAGE = f"{PROXY_REGISTRY}/proxy:{PROXY_VERSION}"
PROXY_INIT_IMAGE = f"{PROXY_REGISTRY}/proxy-init:{PROXY_VERSION}"
# version.GetUserAgent("proxy"); the real one ends with the build's commit and date.
PROXY_USER_AGENT = f"azure-workload-identity/proxy/{PROXY_VERSION} (linux/amd64)"
# The proxy runs at the webhook's own log level; the AKS add-on's webhook logs at "info".
PROXY_LOG_LEVEL = "info"


def _denied(message: str) -> KubeError:
    # The webhook answers admission.Errored(400, err); the API server reports it this way.
    return KubeError(
        400, "BadRequest", f'admission webhook "{WEBHOOK_NAME}" denied the request: {message}'
    )


def _expiration(pod: dict[str, Any], sa: dict[str, Any]) -> int:
    """The token lifetime: the pod's annotation, else the service account's, else 3600 s."""
    raw = (pod["metadata"].get("annotations") or {}).get(EXPIRATION_ANNOTATION) or (
        sa["metadata"].get("annotations") or {}
    ).get(EXPIRATION_ANNOTATION)
    if not raw:
        return DEFAULT_EXPIRATION
    try:
        value = int(raw)
    except ValueError:
        raise _denied(f'strconv.ParseInt: parsing "{raw}": invalid syntax') from None
    if not MIN_EXPIRATION <= value <= MAX_EXPIRATION:
        raise _denied(
            f"token expiration {value} not valid. Expected value to be between "
            f"{MIN_EXPIRATION} and {MAX_EXPIRATION}"
        )
    return value


def _proxy_port(pod: dict[str, Any]) -> int:
    """The proxy's port: the pod's annotation, else 8000."""
    raw = (pod["metadata"].get("annotations") or {}).get(PROXY_PORT_ANNOTATION)
    if raw is None:
        return DEFAULT_PROXY_PORT
    try:
        value = int(raw, 10)
    except ValueError:
        raise _denied(
            f'failed to parse proxy sidecar port: strconv.ParseInt: parsing "{raw}": invalid syntax'
        ) from None
    if not -(2**31) <= value < 2**31:
        raise _denied(
            'failed to parse proxy sidecar port: strconv.ParseInt: parsing "'
            f'{raw}": value out of range'
        )
    return value


def proxy_init_container(port: int) -> dict[str, Any]:
    """The init container that sends the pod's IMDS traffic to the proxy (iptables)."""
    return {
        "name": PROXY_INIT_CONTAINER,
        "image": PROXY_INIT_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "securityContext": {
            "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]},
            "privileged": True,
            "runAsNonRoot": False,
            "runAsUser": 0,
        },
        "env": [{"name": "PROXY_PORT", "value": str(port)}],
    }


def proxy_container(port: int) -> dict[str, Any]:
    """The proxy sidecar; its postStart hook holds the pod's other containers until it is ready."""
    flags = [f"--proxy-port={port}", f"--log-level={PROXY_LOG_LEVEL}"]
    return {
        "name": PROXY_CONTAINER,
        "image": PROXY_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": flags,
        "ports": [{"containerPort": port, "protocol": "TCP"}],
        "lifecycle": {
            "postStart": {"exec": {"command": ["/proxy", flags[0], "--probe", flags[1]]}}
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
        },
    }


def _inject_proxy(pod: dict[str, Any]) -> None:
    """Add the proxy's init container and sidecar once (an existing one by name is kept)."""
    if INJECT_PROXY_ANNOTATION not in (pod["metadata"].get("annotations") or {}):
        return
    if pod["spec"].get("hostNetwork"):
        # The proxy's iptables rule would rewrite the node's own network stack.
        raise _denied("hostNetwork is set to true, cannot inject proxy sidecar")
    port = _proxy_port(pod)
    spec = pod["spec"]
    inits = spec.setdefault("initContainers", [])
    if all(c["name"] != PROXY_INIT_CONTAINER for c in inits):
        inits.append(proxy_init_container(port))
    if all(c["name"] != PROXY_CONTAINER for c in spec["containers"]):
        spec["containers"] = [proxy_container(port), *spec["containers"]]


def has_proxy(pod: dict[str, Any]) -> bool:
    """True if the webhook gave this pod the migration proxy (its IMDS traffic goes there)."""
    spec = pod.get("spec") or {}
    return any(
        c.get("name") == PROXY_INIT_CONTAINER for c in spec.get("initContainers") or []
    ) and any(c.get("name") == PROXY_CONTAINER for c in spec.get("containers") or [])


class WorkloadIdentityWebhook:
    """Mutates new pods in clusters whose `securityProfile.workloadIdentity` is enabled."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        lab.kube.pod_admission_hooks.append(self.mutate)

    def enabled(self, cluster: Cluster) -> bool:
        """True if the cluster runs the webhook (AKS installs it with workload identity)."""
        doc = self._lab.clusters.get(cluster.doc["clusterId"])
        profile = ((doc or {}).get("properties", {}).get("securityProfile") or {}).get(
            "workloadIdentity"
        ) or {}
        return bool(profile.get("enabled"))

    def mutate(self, cluster: Cluster, pod: dict[str, Any]) -> None:
        """The webhook's mutation of one new pod (in place)."""
        labels = pod["metadata"].get("labels") or {}
        if labels.get(USE_LABEL) != "true" or not self.enabled(cluster):
            return
        namespace = pod["metadata"]["namespace"]
        sa_name = pod["spec"].get("serviceAccountName") or "default"
        sa = cluster.find(SERVICE_ACCOUNTS, namespace, sa_name)
        if sa is None:
            raise _denied(f'serviceaccounts "{sa_name}" not found')
        _inject_proxy(pod)
        annotations = sa["metadata"].get("annotations") or {}
        expiration = _expiration(pod, sa)
        wanted = {
            "AZURE_CLIENT_ID": annotations.get(CLIENT_ID_ANNOTATION, ""),
            "AZURE_TENANT_ID": annotations.get(TENANT_ID_ANNOTATION, ids.TENANT_ID),
            "AZURE_FEDERATED_TOKEN_FILE": f"{MOUNT_PATH}/{TOKEN_PATH}",
            # Entra's authority for the public cloud is login.microsoftonline.com; here, the lab's.
            "AZURE_AUTHORITY_HOST": f"{self._lab.origin or 'https://127.0.0.1'}/",
        }
        raw_skip = (pod["metadata"].get("annotations") or {}).get(SKIP_CONTAINERS_ANNOTATION, "")
        skip = {name.strip() for name in raw_skip.split(";") if name.strip()}
        for container in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
            if container["name"] in skip:
                continue
            env = container.setdefault("env", [])
            present = {item["name"] for item in env}
            env.extend({"name": k, "value": v} for k, v in wanted.items() if v and k not in present)
            mounts = [m for m in container.get("volumeMounts", []) if m["name"] != VOLUME_NAME]
            mounts.append({"name": VOLUME_NAME, "mountPath": MOUNT_PATH, "readOnly": True})
            container["volumeMounts"] = mounts
        volumes = [v for v in pod["spec"].get("volumes", []) if v["name"] != VOLUME_NAME]
        volumes.append(
            {
                "name": VOLUME_NAME,
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {
                            "serviceAccountToken": {
                                "audience": AUDIENCE,
                                "expirationSeconds": expiration,
                                "path": TOKEN_PATH,
                            }
                        }
                    ],
                },
            }
        )
        pod["spec"]["volumes"] = volumes

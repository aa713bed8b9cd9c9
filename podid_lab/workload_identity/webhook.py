"""What the workload identity add-on does in a cluster: the mutating webhook, as a pod is created.

Released behaviour of `azure-workload-identity` (v1.x, `pkg/webhook`): a pod labelled
`azure.workload.identity/use: "true"` gets, in every container not listed in
`azure.workload.identity/skip-containers`, the environment the Azure SDKs read
(`AZURE_CLIENT_ID` from the service account's annotation, `AZURE_TENANT_ID`,
`AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST`; only values that are set, never over the
pod's own) and a read-only mount of a projected service-account token with audience
`api://AzureADTokenExchange`. Pods without the label are not sent to the webhook at all.
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

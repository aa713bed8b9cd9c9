"""The article's demo pod manifest, as YAML a learner can read (and ``kubectl apply -f``)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "DEMO_IMAGE",
    "DEMO_POD",
    "demo_pod_manifest",
    "demo_pod_yaml",
    "sidecar_demo_pod_yaml",
]

DEMO_POD = "demo"
DEMO_IMAGE = "mcr.microsoft.com/oss/azure/aad-pod-identity/demo:v1.6.3"

_TEMPLATE = """\
apiVersion: v1
kind: Pod
metadata:
  name: {pod}
  namespace: {namespace}
  labels:
{opt_in}
spec:
{service_account}  containers:
  - name: demo
    image: {image}
    args:
    - --subscriptionid={subscription_id}
    - --clientid={client_id}
    - --resourcegroup={resource_group}
    env:
    - name: MY_POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: MY_POD_NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    - name: MY_POD_IP
      valueFrom:
        fieldRef:
          fieldPath: status.podIP
  nodeSelector:
    kubernetes.io/os: linux
"""


def demo_pod_yaml(
    *,
    namespace: str,
    selector: str,
    subscription_id: str,
    client_id: str,
    resource_group: str,
    pod: str = DEMO_POD,
    image: str = DEMO_IMAGE,
) -> str:
    """The demo pod: labelled for the binding, asked to list VMs in ``resource_group``."""
    return _TEMPLATE.format(
        pod=pod,
        namespace=namespace,
        opt_in=f"    aadpodidbinding: {selector}",
        service_account="",
        image=image,
        subscription_id=subscription_id,
        client_id=client_id,
        resource_group=resource_group,
    )


def sidecar_demo_pod_yaml(
    *,
    namespace: str,
    service_account: str,
    subscription_id: str,
    client_id: str,
    resource_group: str,
    pod: str,
) -> str:
    """The same demo, moved to Workload ID behind the migration sidecar: only opt-ins change."""
    return _TEMPLATE.format(
        pod=pod,
        namespace=namespace,
        opt_in='    azure.workload.identity/use: "true"\n'
        "  annotations:\n"
        '    azure.workload.identity/inject-proxy-sidecar: "true"\n'
        '    azure.workload.identity/proxy-sidecar-port: "8000"',
        service_account=f"  serviceAccountName: {service_account}\n",
        image=DEMO_IMAGE,
        subscription_id=subscription_id,
        client_id=client_id,
        resource_group=resource_group,
    )


def demo_pod_manifest(**values: str) -> dict[str, Any]:
    """``demo_pod_yaml(...)`` parsed into the dict the Kubernetes client sends."""
    import yaml

    parsed: dict[str, Any] = yaml.safe_load(demo_pod_yaml(**values))
    return parsed

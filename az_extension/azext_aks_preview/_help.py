"""Help texts: what each command does, and that this is the podid lab's stand-in."""

from knack.help_files import helps

LAB_NOTE = (
    "This is the podid tutorial lab's stand-in for the aks-preview extension of the pod identity "
    "add-on's era (AAD Pod Identity, retired in 2025); it was tested only against the lab, never "
    "against real Azure."
)

helps["aks pod-identity"] = f"""
type: group
short-summary: Commands to manage pod identities in managed Kubernetes cluster.
long-summary: {LAB_NOTE}
"""

helps["aks pod-identity add"] = f"""
type: command
short-summary: Add a pod identity to a managed Kubernetes cluster.
long-summary: >
    First grants the cluster's identity Managed Identity Operator over the identity (retried while
    Microsoft Entra ID catches up, then a 30 second wait), then adds the pod identity. {LAB_NOTE}
examples:
  - name: Add pod identity
    text: >
        az aks pod-identity add --cluster-name MyManagedCluster --resource-group MyResourceGroup
        --namespace my-namespace --name my-identity --identity-resource-id <my-identity-resource-id>
"""

helps["aks pod-identity delete"] = f"""
type: command
short-summary: Remove a pod identity from a managed Kubernetes cluster.
long-summary: {LAB_NOTE}
"""

helps["aks pod-identity list"] = f"""
type: command
short-summary: List pod identities in a managed Kubernetes cluster.
long-summary: {LAB_NOTE}
"""

helps["aks pod-identity exception"] = f"""
type: group
short-summary: Commands to manage pod identity exceptions in managed Kubernetes cluster.
long-summary: {LAB_NOTE}
"""

for _verb, _what in (
    ("add", "Add a pod identity exception to a managed Kubernetes cluster."),
    ("delete", "Remove a pod identity exception from a managed Kubernetes cluster."),
    ("update", "Update a pod identity exception in a managed Kubernetes cluster."),
    ("list", "List pod identity exceptions in a managed Kubernetes cluster."),
):
    helps[f"aks pod-identity exception {_verb}"] = f"""
type: command
short-summary: {_what}
long-summary: {LAB_NOTE}
"""

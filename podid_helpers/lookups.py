"""Reads of live state that steps, checks and ``progress()`` share (None when a thing is absent).

Each read answers "is it there, and what does it look like now?" from ARM or the cluster's API;
nothing here remembers what an earlier cell did.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import TYPE_CHECKING, Any

from .errors import (
    LabNotRunningError,
    StepOrderError,
    translate_azure_error,
    translate_kube_error,
)
from .i18n import N_, _

if TYPE_CHECKING:
    from azure.mgmt.containerservice.models import ManagedCluster
    from azure.mgmt.msi.models import Identity
    from azure.mgmt.resource.resources.models import ResourceGroup

    from .session import Session

__all__: list[str] = []

CONTAINER_SERVICE = "Microsoft.ContainerService"
POD_IDENTITY_FEATURE = "EnablePodIdentityPreview"
VM_CONTRIBUTOR = "Virtual Machine Contributor"
MANAGED_IDENTITY_OPERATOR = "Managed Identity Operator"
# The description of every role assignment the tutorial makes, so cleanup can find them all.
ASSIGNMENT_DESCRIPTION = "created-by: podid-tutorial"
POD_IDENTITY_GROUP = "aadpodidentity.k8s.io"
POD_IDENTITY_VERSION = "v1"

STEP_FEATURE = "01-prepare-subscription"
STEP_CLUSTER = "02-create-cluster"
STEP_ENABLE = "03-enable-pod-identity"
STEP_IDENTITY = "04-identity-and-role"
STEP_POD_IDENTITY = "05-pod-identity"
STEP_DEMO = "06-deploy-demo"


_UNREACHABLE = N_(
    "Cannot reach {what}. With the offline lab, run connect() again (it starts the lab); "
    "with Azure, check your network."
)


@contextmanager
def azure_errors() -> Iterator[None]:
    """Re-raise Azure's errors as ``AzureOperationError`` with a sentence for the learner."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError

    try:
        yield
    except HttpResponseError as exc:
        raise translate_azure_error(exc) from exc
    except ServiceRequestError:
        # The request never got an answer; its text holds a host and port, shown nowhere.
        raise LabNotRunningError(_(_UNREACHABLE).format(what="Azure Resource Manager")) from None


@contextmanager
def kube_errors() -> Iterator[None]:
    """Re-raise the Kubernetes API's errors as ``KubernetesOperationError``."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import MaxRetryError

    try:
        yield
    except ApiException as exc:
        raise translate_kube_error(exc) from exc
    except MaxRetryError:
        what = _("the cluster's API server")
        raise LabNotRunningError(_(_UNREACHABLE).format(what=what)) from None


def plain(value: object) -> object:
    """An SDK enum as the string Azure sent (``azure``, not ``NetworkPlugin.AZURE``)."""
    return value.value if isinstance(value, Enum) else value


def find_resource_group(session: Session, name: str | None = None) -> ResourceGroup | None:
    """The resource group (default: the settings' one), or None."""
    from azure.core.exceptions import ResourceNotFoundError

    with azure_errors():
        try:
            return session.resources.resource_groups.get(name or session.settings.resource_group)
        except ResourceNotFoundError:
            return None


def find_cluster(session: Session) -> ManagedCluster | None:
    """The AKS cluster named in the settings, or None (also when its group is missing)."""
    from azure.core.exceptions import ResourceNotFoundError

    s = session.settings
    with azure_errors():
        try:
            return session.containerservice.managed_clusters.get(s.resource_group, s.cluster_name)
        except ResourceNotFoundError:
            return None


def require_cluster(session: Session, *, succeeded: bool = True) -> ManagedCluster:
    """The cluster, or ``StepOrderError`` naming 02-create-cluster."""
    s = session.settings
    cluster = find_cluster(session)
    if cluster is None:
        raise StepOrderError(
            STEP_CLUSTER,
            _("cluster {cluster} not found in resource group {group}").format(
                cluster=repr(s.cluster_name), group=repr(s.resource_group)
            ),
        )
    if succeeded and cluster.provisioning_state != "Succeeded":
        raise StepOrderError(
            STEP_CLUSTER,
            _("cluster {cluster} is {state}, not Succeeded").format(
                cluster=repr(s.cluster_name), state=cluster.provisioning_state
            ),
        )
    return cluster


def pod_identity_enabled(cluster: ManagedCluster) -> bool:
    """Whether ``podIdentityProfile.enabled`` is true."""
    profile = cluster.pod_identity_profile
    return bool(profile is not None and profile.enabled)


def require_pod_identity_enabled(session: Session) -> ManagedCluster:
    """The cluster with the add-on on, or ``StepOrderError`` naming 03-enable-pod-identity."""
    cluster = require_cluster(session)
    if not pod_identity_enabled(cluster):
        raise StepOrderError(
            STEP_ENABLE,
            _("pod identity is not enabled on cluster {cluster}").format(
                cluster=repr(session.settings.cluster_name)
            ),
        )
    return cluster


def find_identity(session: Session) -> Identity | None:
    """The user-assigned managed identity named in the settings, or None."""
    from azure.core.exceptions import ResourceNotFoundError

    s = session.settings
    with azure_errors():
        try:
            found: Identity = session.msi.user_assigned_identities.get(
                s.resource_group, s.identity_name
            )
            return found
        except ResourceNotFoundError:
            return None


def require_identity(session: Session) -> Identity:
    """The identity, or ``StepOrderError`` naming 04-identity-and-role."""
    s = session.settings
    identity = find_identity(session)
    if identity is None:
        raise StepOrderError(
            STEP_IDENTITY,
            _("managed identity {identity} not found in resource group {group}").format(
                identity=repr(s.identity_name), group=repr(s.resource_group)
            ),
        )
    return identity


def node_resource_group_id(session: Session, cluster: ManagedCluster | None = None) -> str:
    """The node resource group's ID (from the cluster when known, else the settings' rule)."""
    name = (cluster.node_resource_group if cluster is not None else None) or (
        session.settings.node_resource_group
    )
    return f"/subscriptions/{session.subscription_id}/resourceGroups/{name}"


def cluster_principal_id(cluster: ManagedCluster) -> str | None:
    """The control-plane identity's object ID, found as ``az aks pod-identity add`` finds it."""
    identity = cluster.identity
    if identity is None:
        return None
    if identity.type == "SystemAssigned":
        return identity.principal_id
    if identity.type == "UserAssigned" and identity.user_assigned_identities:
        first = next(iter(identity.user_assigned_identities.values()))
        return first.principal_id
    return None


def role_definition_id(session: Session, scope: str, role_name: str) -> str:
    """The full ID of the built-in role ``role_name`` as seen from ``scope``."""
    with azure_errors():
        found = list(
            session.authorization.role_definitions.list(scope, filter=f"roleName eq '{role_name}'")
        )
    if not found or not found[0].id:
        raise LookupError(_("Azure has no role named {role}").format(role=repr(role_name)))
    return str(found[0].id)


def find_role_assignments(
    session: Session, scope: str, principal_id: str, role_name: str
) -> list[Any]:
    """Assignments of ``role_name`` to ``principal_id`` that cover ``scope`` (at it or above)."""
    from azure.core.exceptions import ResourceNotFoundError

    wanted = role_definition_id(session, scope, role_name).rsplit("/", 1)[-1].lower()
    with azure_errors():
        try:
            listed = list(
                session.authorization.role_assignments.list_for_scope(
                    scope, filter=f"atScope() and assignedTo('{principal_id}')"
                )
            )
        except ResourceNotFoundError:
            return []
    return [
        a
        for a in listed
        if str(a.role_definition_id or "").rsplit("/", 1)[-1].lower() == wanted
        and str(a.principal_id or "").lower() == principal_id.lower()
    ]


def tutorial_assignments(session: Session) -> list[Any]:
    """Role assignments the tutorial made on this learner's groups (and what is inside them)."""
    s = session.settings
    prefix = f"/subscriptions/{session.subscription_id}/resourcegroups/".lower()
    groups = {s.resource_group.lower(), s.node_resource_group.lower()}
    with azure_errors():
        listed = list(session.authorization.role_assignments.list_for_subscription())
    found = []
    for assignment in listed:
        scope = str(assignment.scope or "").lower()
        group = scope[len(prefix) :].split("/", 1)[0] if scope.startswith(prefix) else None
        if assignment.description == ASSIGNMENT_DESCRIPTION and group in groups:
            found.append(assignment)
    return found


def assignment_name(scope: str, principal_id: str, role_name: str) -> str:
    """A role assignment name derived from what it grants, so re-runs and outputs agree."""
    key = f"{scope.lower()}|{principal_id.lower()}|{role_name.lower()}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"podid-tutorial:{key}"))


def pod_identity_entry(cluster: ManagedCluster, name: str, namespace: str) -> Any | None:
    """The cluster's ``podIdentityProfile.userAssignedIdentities`` entry, or None."""
    profile = cluster.pod_identity_profile
    for entry in (profile.user_assigned_identities if profile else None) or []:
        if entry.name == name and entry.namespace == namespace:
            return entry
    return None


def find_custom_object(session: Session, plural: str, namespace: str, name: str) -> Any | None:
    """One ``aadpodidentity.k8s.io/v1`` object as a dict, or None."""
    from kubernetes.client.exceptions import ApiException

    with kube_errors():
        try:
            return session.custom_objects.get_namespaced_custom_object(
                POD_IDENTITY_GROUP, POD_IDENTITY_VERSION, namespace, plural, name
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise


def find_pod(session: Session, name: str, namespace: str) -> Any | None:
    """The pod, or None."""
    from kubernetes.client.exceptions import ApiException

    with kube_errors():
        try:
            return session.core_v1.read_namespaced_pod(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

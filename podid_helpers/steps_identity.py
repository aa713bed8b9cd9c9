"""04-identity-and-role and 05-pod-identity: the managed identity, its role, the pod identity."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .errors import AzureOperationError, PodidError, StepOrderError
from .live import LiveStatus, wait_for_poller
from .lookups import (
    ASSIGNMENT_DESCRIPTION,
    MANAGED_IDENTITY_OPERATOR,
    STEP_CLUSTER,
    STEP_ENABLE,
    VM_CONTRIBUTOR,
    assignment_name,
    azure_errors,
    cluster_principal_id,
    find_cluster,
    find_identity,
    find_resource_group,
    find_role_assignments,
    node_resource_group_id,
    plain,
    pod_identity_enabled,
    pod_identity_entry,
    require_cluster,
    require_identity,
    role_definition_id,
)
from .results import StepResult
from .session import TAGS

if TYPE_CHECKING:
    from azure.mgmt.containerservice.models import ManagedCluster

    from .session import Session

__all__ = [
    "add_pod_identity",
    "assign_vm_contributor",
    "create_identity",
    "grant_identity_operator",
]

# az waits 30 s after granting Managed Identity Operator; the lab needs none, Azure some.
PROPAGATION_WAIT = 1.0


def create_identity(session: Session) -> StepResult:
    """Create the user-assigned managed identity (``az identity create``), unless it exists."""
    from azure.mgmt.msi.models import Identity

    s = session.settings
    if find_resource_group(session) is None:
        raise StepOrderError(
            STEP_CLUSTER, f"resource group {s.resource_group!r} not found (it is created there)"
        )
    identity = find_identity(session)
    changed = identity is None
    if identity is None:
        with azure_errors():
            identity = session.msi.user_assigned_identities.create_or_update(
                s.resource_group, s.identity_name, Identity(location=s.location, tags=dict(TAGS))
            )
    return StepResult(
        step="create_identity",
        changed=changed,
        summary=(
            f"created managed identity {s.identity_name!r}"
            if changed
            else f"managed identity {s.identity_name!r} exists"
        ),
        details=(f"clientId: {identity.client_id}", f"principalId: {identity.principal_id}"),
    )


def _grant(
    session: Session, scope: str, principal_id: str, role_name: str, what: str
) -> tuple[bool, str]:
    """Assign ``role_name`` to ``principal_id`` at ``scope`` unless covered; (changed, line)."""
    # The client's default API version (2022-04-01); the package root re-exports an older one.
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    if find_role_assignments(session, scope, principal_id, role_name):
        return False, f"{role_name} already assigned to {what}"
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=role_definition_id(session, scope, role_name),
        principal_id=principal_id,
        # Naming the type lets Azure skip its directory lookup, which a brand-new identity
        # may not pass yet (replication delay, PrincipalNotFound).
        principal_type="ServicePrincipal",
        description=ASSIGNMENT_DESCRIPTION,
    )
    try:
        with azure_errors():
            session.authorization.role_assignments.create(
                scope, assignment_name(scope, principal_id, role_name), parameters
            )
    except AzureOperationError as exc:
        if exc.code != "RoleAssignmentExists":  # another cell or person granted it meanwhile
            raise
        return False, f"{role_name} already assigned to {what}"
    return True, f"assigned {role_name} to {what}"


def assign_vm_contributor(session: Session) -> StepResult:
    """Grant the identity Virtual Machine Contributor on the node resource group."""
    cluster = require_cluster(session)
    identity = require_identity(session)
    scope = node_resource_group_id(session, cluster)
    node_group = scope.rsplit("/", 1)[-1]
    changed, line = _grant(
        session,
        scope,
        str(identity.principal_id),
        VM_CONTRIBUTOR,
        f"identity {session.settings.identity_name!r}",
    )
    return StepResult(
        step="assign_vm_contributor",
        changed=changed,
        summary=f"{line} on resource group {node_group!r}",
        details=(f"scope: {scope}",),
    )


def _grant_operator(session: Session, cluster: ManagedCluster, identity: Any) -> tuple[bool, str]:
    s = session.settings
    grantee = cluster_principal_id(cluster)
    if grantee is None:
        raise PodidError(
            f"cluster {s.cluster_name!r} has no managed identity; pod identity needs one "
            "(re-create the cluster with a managed identity)"
        )
    return _grant(
        session,
        str(identity.id),
        grantee,
        MANAGED_IDENTITY_OPERATOR,
        f"the cluster identity over {s.identity_name!r}",
    )


def grant_identity_operator(session: Session) -> StepResult:
    """Grant the cluster identity Managed Identity Operator over the identity (az's first half)."""
    # AKS needs this grant to put the identity on the node scale sets; the second half of
    # `az aks pod-identity add` is the change to the cluster's podIdentityProfile.
    cluster = require_cluster(session)
    identity = require_identity(session)
    changed, line = _grant_operator(session, cluster, identity)
    return StepResult(
        step="grant_identity_operator",
        changed=changed,
        summary=line,
        details=(f"scope: {identity.id}",),
    )


def _put_cluster(session: Session, cluster: ManagedCluster, what: str) -> ManagedCluster:
    """PUT the cluster back and wait, showing its provisioning state (errors as the SDK's)."""
    s = session.settings

    def state() -> str | None:
        found = find_cluster(session)
        return found.provisioning_state if found is not None else None

    poller = session.containerservice.managed_clusters.begin_create_or_update(
        s.resource_group, s.cluster_name, cluster
    )
    return wait_for_poller(poller, what, state)


def put_pod_identity(
    session: Session, cluster: ManagedCluster, identity: Any
) -> tuple[ManagedCluster, bool]:
    """Add the pod identity entry to the cluster and wait, granting nothing first (as an ARM
    template does); (the cluster, whether the entry was there already). AKS's refusal comes as
    the SDK's error."""
    from azure.mgmt.containerservice import models as m

    s = session.settings
    wanted = m.UserAssignedIdentity(
        resource_id=str(identity.id),
        client_id=str(identity.client_id),
        object_id=str(identity.principal_id),
    )
    entry = pod_identity_entry(cluster, s.pod_identity_name, s.namespace)
    if entry is not None and _same_identity(entry.identity, wanted):
        return cluster, True
    profile = cluster.pod_identity_profile
    if profile is None or not profile.enabled:
        raise StepOrderError(
            STEP_ENABLE,
            "The pod identity addon is not enabled for this managed cluster yet "
            f"(cluster {s.cluster_name!r})",
        )
    profile.user_assigned_identities = [
        *_other_entries(session, profile),
        m.ManagedClusterPodIdentity(
            name=s.pod_identity_name, namespace=s.namespace, identity=wanted
        ),
    ]
    return _put_cluster(session, cluster, f"adding pod identity {s.pod_identity_name}"), False


def _other_entries(session: Session, profile: Any) -> list[Any]:
    """The profile's pod identities other than the learner's."""
    s = session.settings
    return [
        e
        for e in profile.user_assigned_identities or []
        if not (e.name == s.pod_identity_name and e.namespace == s.namespace)
    ]


def remove_pod_identity(session: Session, cluster: ManagedCluster) -> bool:
    """Do what ``az aks pod-identity delete`` does: drop the entry, PUT the cluster, wait.

    False if the cluster has no such entry."""
    s = session.settings
    if pod_identity_entry(cluster, s.pod_identity_name, s.namespace) is None:
        return False
    profile = cluster.pod_identity_profile
    assert profile is not None  # it holds the entry
    profile.user_assigned_identities = _other_entries(session, profile)
    with azure_errors():
        poller = session.containerservice.managed_clusters.begin_create_or_update(
            s.resource_group, s.cluster_name, cluster
        )
        wait_for_poller(poller, f"removing pod identity {s.pod_identity_name}")
    return True


def add_pod_identity(session: Session, *, propagation_wait: float = PROPAGATION_WAIT) -> StepResult:
    """Do what ``az aks pod-identity add`` does: grant, wait, then add the pod identity."""
    s = session.settings
    cluster = require_cluster(session)
    if not pod_identity_enabled(cluster):
        raise StepOrderError(
            STEP_ENABLE,
            "The pod identity addon is not enabled for this managed cluster yet "
            f"(cluster {s.cluster_name!r})",
        )
    identity = require_identity(session)
    # 1. The cluster's control-plane identity (not the kubelet's) must be able to assign the
    #    identity to the node scale sets: Managed Identity Operator over the identity itself.
    granted, grant_line = _grant_operator(session, cluster, identity)
    if granted and propagation_wait > 0:
        with LiveStatus("waiting for the role assignment to propagate") as live:
            live.show("granted")
            time.sleep(propagation_wait)
    # 2. The pod identity entry: name, namespace and the identity; AKS makes the objects.
    with azure_errors():
        cluster, same = put_pod_identity(session, cluster, identity)
    entry = pod_identity_entry(cluster, s.pod_identity_name, s.namespace)
    state = plain(entry.provisioning_state) if entry is not None else None
    if state == "Failed":
        info = entry.provisioning_info if entry is not None else None
        error = getattr(getattr(info, "error", None), "error", None)
        raise PodidError(
            f"AKS could not assign pod identity {s.pod_identity_name!r}: "
            f"{getattr(error, 'message', None) or 'provisioningState is Failed'}"
        )
    return StepResult(
        step="add_pod_identity",
        changed=granted or not same,
        summary=f"pod identity {s.pod_identity_name!r} in namespace {s.namespace!r}"
        + (" added" if not same else " exists"),
        details=(
            grant_line,
            f"identity: {s.identity_name} (clientId {identity.client_id})",
            f"provisioningState: {state}",
        ),
    )


def _same_identity(current: Any, wanted: Any) -> bool:
    return bool(
        current is not None
        and str(current.resource_id).lower() == str(wanted.resource_id).lower()
        and current.client_id == wanted.client_id
    )

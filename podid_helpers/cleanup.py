"""07-cleanup: remove everything the tutorial created, in the reverse order it was made."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .live import wait_for_poller
from .lookups import (
    MANAGED_IDENTITY_OPERATOR,
    VM_CONTRIBUTOR,
    azure_errors,
    cluster_principal_id,
    find_cluster,
    find_identity,
    find_pod,
    find_resource_group,
    find_role_assignments,
    kube_errors,
    node_resource_group_id,
    tutorial_assignments,
)
from .manifests import DEMO_POD
from .redact import display_path
from .results import StepResult
from .steps_identity import remove_pod_identity

if TYPE_CHECKING:
    from .session import Session

__all__ = ["clean_up"]


def _delete_assignments(session: Session, scope: str, principal: str, role: str) -> int:
    # Only those made at this exact scope: an inherited grant is not ours to remove.
    ours = [
        a
        for a in find_role_assignments(session, scope, principal, role)
        if str(a.scope or "").lower() == scope.lower() and a.id
    ]
    with azure_errors():
        for assignment in ours:
            session.authorization.role_assignments.delete_by_id(assignment.id)
    return len(ours)


def _remove_pod_and_pod_identity(session: Session, done: list[str]) -> None:
    s = session.settings
    cluster = find_cluster(session)
    if cluster is None or cluster.provisioning_state != "Succeeded":
        return
    if session.kubeconfig_path.exists() and find_pod(session, DEMO_POD, s.namespace) is not None:
        with kube_errors():
            session.core_v1.delete_namespaced_pod(DEMO_POD, s.namespace)
        done.append(f"deleted pod {DEMO_POD!r} in namespace {s.namespace!r}")
    if remove_pod_identity(session, cluster):
        done.append(f"removed pod identity {s.pod_identity_name!r}")


def _remove_role_assignments(session: Session, done: list[str]) -> None:
    identity = find_identity(session)
    cluster = find_cluster(session)
    if identity is None or not identity.id:
        return
    grantee = cluster_principal_id(cluster) if cluster is not None else None
    if grantee and _delete_assignments(session, identity.id, grantee, MANAGED_IDENTITY_OPERATOR):
        done.append(f"removed {MANAGED_IDENTITY_OPERATOR} of the cluster identity")
    scope = node_resource_group_id(session, cluster)
    if (
        identity.principal_id
        and find_resource_group(session, scope.rsplit("/", 1)[-1]) is not None
        and _delete_assignments(session, scope, identity.principal_id, VM_CONTRIBUTOR)
    ):
        done.append(f"removed {VM_CONTRIBUTOR} on the node resource group")


def _remove_leftover_assignments(session: Session, done: list[str]) -> None:
    # Grants whose cluster or identity is already gone (deleted by hand) are found by the
    # description the tutorial gives every assignment it makes.
    leftovers = [a for a in tutorial_assignments(session) if a.id]
    with azure_errors():
        for assignment in leftovers:
            session.authorization.role_assignments.delete_by_id(assignment.id)
    if leftovers:
        done.append(f"removed {len(leftovers)} other role assignment(s) the tutorial made")


def clean_up(session: Session) -> StepResult:
    """Delete the pod, pod identity, role assignments, identity, cluster and resource group."""
    s = session.settings
    done: list[str] = []
    _remove_pod_and_pod_identity(session, done)
    _remove_role_assignments(session, done)
    _remove_leftover_assignments(session, done)
    if find_identity(session) is not None:
        with azure_errors():
            session.msi.user_assigned_identities.delete(s.resource_group, s.identity_name)
        done.append(f"deleted managed identity {s.identity_name!r}")
    if find_cluster(session) is not None:
        with azure_errors():
            poller = session.containerservice.managed_clusters.begin_delete(
                s.resource_group, s.cluster_name
            )
            wait_for_poller(poller, f"deleting cluster {s.cluster_name}")
        done.append(
            f"deleted cluster {s.cluster_name!r} and its node resource group "
            f"{s.node_resource_group!r}"
        )
    if find_resource_group(session) is not None:
        with azure_errors():
            poller = session.resources.resource_groups.begin_delete(s.resource_group)
            wait_for_poller(poller, f"deleting resource group {s.resource_group}")
        done.append(f"deleted resource group {s.resource_group!r}")
    if session.kubeconfig_path.exists():
        session.kubeconfig_path.unlink()
        done.append(f"deleted kubeconfig {display_path(session.kubeconfig_path)}")
    return StepResult(
        step="clean_up",
        changed=bool(done),
        summary="removed everything the tutorial created" if done else "nothing left to remove",
        details=tuple(done),
    )

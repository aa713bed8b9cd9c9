"""Exercises 4, 5, 6 and 8: what Azure refuses (AKS's gates, Entra ID's replication delay).

Each exercise is four functions (break, symptom, fix, checks) and, where it makes something
beside the learner's cluster or changes the subscription, a restore that undoes it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .checks import CheckResult
from .errors import PodidError, translate_azure_error
from .exercise_kit import (
    Section,
    Symptom,
    az_error,
    grant,
    lab_admin,
    plain_words,
    put_cluster,
    refusal,
    require_lab,
    revoke,
    update_cluster,
)
from .live import LiveStatus, wait_for_poller, wait_until
from .lookups import (
    CONTAINER_SERVICE,
    MANAGED_IDENTITY_OPERATOR,
    POD_IDENTITY_FEATURE,
    azure_errors,
    cluster_principal_id,
    find_resource_group,
    find_role_assignments,
    node_resource_group_id,
    plain,
    pod_identity_entry,
    require_cluster,
    require_identity,
)
from .results import StepResult
from .session import TAGS
from .steps_identity import grant_identity_operator, put_pod_identity, remove_pod_identity
from .steps_subscription import FEATURE_TIMEOUT, PROVIDER_TIMEOUT, feature_state, provider_state

if TYPE_CHECKING:
    from azure.mgmt.containerservice.models import ManagedCluster

    from .session import Session

__all__: list[str] = []

READER = "Reader"
# Long enough that the symptom cell, run right after the break cell, still meets it.
REPLICATION_DELAY = 3.0
DELAY_KNOB = "replication_delay_seconds"
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)


# -- 4. the cluster identity lacks Managed Identity Operator -------------------------------------


def _operator_scope(session: Session) -> tuple[str, str]:
    """(the identity's resource ID, the cluster identity's object ID)."""
    cluster = require_cluster(session)
    identity = require_identity(session)
    grantee = cluster_principal_id(cluster)
    if grantee is None:
        raise PodidError(f"cluster {session.settings.cluster_name!r} has no managed identity")
    return str(identity.id), grantee


def break_operator(session: Session) -> StepResult:
    """Remove the cluster identity's Managed Identity Operator grant and the pod identity."""
    scope, grantee = _operator_scope(session)
    revoked = revoke(session, scope, grantee, MANAGED_IDENTITY_OPERATOR)
    removed = remove_pod_identity(session, require_cluster(session))
    return StepResult(
        step="break_operator",
        changed=revoked or removed,
        summary=f"removed {MANAGED_IDENTITY_OPERATOR} of the cluster identity over "
        f"{session.settings.identity_name!r}, and pod identity "
        f"{session.settings.pod_identity_name!r} (to be added again from a template)",
    )


def _entry(session: Session) -> Any:
    s = session.settings
    return pod_identity_entry(require_cluster(session), s.pod_identity_name, s.namespace)


def symptom_operator(session: Session) -> Symptom:
    """Adding the pod identity as a template or Terraform does (no grant first): AKS refuses."""
    s = session.settings
    cluster, identity = require_cluster(session), require_identity(session)
    error = refusal(lambda: put_pod_identity(session, cluster, identity))
    call = (
        f"aks.managed_clusters.begin_create_or_update({s.resource_group!r}, {s.cluster_name!r}, "
        f"cluster)  # podIdentityProfile + {s.pod_identity_name}, nothing granted"
    )
    lines = tuple(str(error).splitlines()) if error is not None else ("(accepted)",)
    return Symptom(
        sections=(Section(call, lines, prompt=">>>"),),
        seen=error is not None and "no assignment permission" in str(error),
    )


def fix_operator(session: Session) -> StepResult:
    """Grant Managed Identity Operator to the cluster identity, then add the pod identity."""
    granted = grant_identity_operator(session)
    with azure_errors():
        _, existed = put_pod_identity(session, require_cluster(session), require_identity(session))
    entry = _entry(session)
    return StepResult(
        step="fix_operator",
        changed=granted.changed or not existed,
        summary=granted.summary,
        details=(
            "added the pod identity again (the template, deployed once more)",
            f"pod identity provisioningState: {plain(entry.provisioning_state) if entry else None}",
        ),
    )


def checks_operator(session: Session) -> list[CheckResult]:
    """The grant is there, the pod identity is Assigned, the identity is on the nodes."""
    s = session.settings
    scope, grantee = _operator_scope(session)
    entry = _entry(session)
    node_group = node_resource_group_id(session, require_cluster(session)).rsplit("/", 1)[-1]
    with azure_errors():
        scale_sets = list(session.compute.virtual_machine_scale_sets.list(node_group))
    on_nodes = all(
        scope.lower()
        in {k.lower() for k in ((v.identity.user_assigned_identities or {}) if v.identity else {})}
        for v in scale_sets
    )
    return [
        CheckResult(
            f"{MANAGED_IDENTITY_OPERATOR} for the cluster identity",
            passed=bool(find_role_assignments(session, scope, grantee, MANAGED_IDENTITY_OPERATOR)),
            observed="granted"
            if find_role_assignments(session, scope, grantee, MANAGED_IDENTITY_OPERATOR)
            else "not granted",
            expected="granted",
            hint="grant it over the identity to the cluster's control-plane identity",
        ),
        CheckResult.compare(
            "pod identity provisioningState",
            plain(entry.provisioning_state) if entry is not None else "no such pod identity",
            "Assigned",
            hint="after granting, add the pod identity again",
        ),
        CheckResult.compare(
            f"identity {s.identity_name} on the node scale sets",
            "on every one" if scale_sets and on_nodes else "missing",
            "on every one",
            hint="AKS puts it there when the pod identity is Assigned",
        ),
    ]


# -- 5. pod identity on a kubenet cluster --------------------------------------------------------


def kubenet_cluster_name(session: Session) -> str:
    """A name for the second cluster whose node resource group name stays within 80 chars."""
    s = session.settings
    for name in (f"{s.cluster_name}-kubenet", "kubenet", "kn"):
        node_group = f"MC_{s.resource_group}_{name}_{s.location}"
        if len(name) <= 63 and len(node_group) <= 80:
            return name
    return "kn"  # the settings' rule keeps MC_<rg>_<cluster>_<location> within 80 chars


def _kubenet_cluster(session: Session) -> ManagedCluster | None:
    from azure.core.exceptions import ResourceNotFoundError

    with azure_errors():
        try:
            return session.containerservice.managed_clusters.get(
                session.settings.resource_group, kubenet_cluster_name(session)
            )
        except ResourceNotFoundError:
            return None


def break_kubenet(session: Session) -> StepResult:
    """Create a second cluster with the kubenet network plugin (no pod identity yet)."""
    from azure.mgmt.containerservice import models as m

    s = session.settings
    name = kubenet_cluster_name(session)
    existing = _kubenet_cluster(session)
    if existing is None or existing.provisioning_state != "Succeeded":
        cluster = m.ManagedCluster(
            location=s.location,
            tags=dict(TAGS),
            identity=m.ManagedClusterIdentity(type="SystemAssigned"),
            properties=m.ManagedClusterProperties(
                dns_prefix=name,
                agent_pool_profiles=[
                    m.ManagedClusterAgentPoolProfile(
                        name="nodepool1",
                        count=1,
                        vm_size="Standard_DS2_v2",
                        mode="System",
                        os_type="Linux",
                        type="VirtualMachineScaleSets",
                    )
                ],
                network_profile=m.ContainerServiceNetworkProfile(network_plugin="kubenet"),
            ),
        )
        with azure_errors():
            put_cluster(session, name, cluster, f"creating cluster {name}")
    return StepResult(
        step="break_kubenet",
        changed=existing is None,
        summary=f"cluster {name!r} runs with network plugin kubenet",
    )


def _enable_on_kubenet(session: Session, *, consent: bool) -> Any:
    """PUT the kubenet cluster with the add-on on (and the kubenet consent, if given)."""
    from azure.mgmt.containerservice import models as m

    name = kubenet_cluster_name(session)
    cluster = _kubenet_cluster(session)
    if cluster is None:
        raise PodidError(f"no cluster {name!r}: run the break cell of exercise 5 first")
    profile = cluster.pod_identity_profile or m.ManagedClusterPodIdentityProfile()
    profile.enabled = True
    if consent:
        profile.allow_network_plugin_kubenet = True
    cluster.pod_identity_profile = profile
    return put_cluster(session, name, cluster, f"enabling pod identity on {name}")


def symptom_kubenet(session: Session) -> Symptom:
    """``az aks update --enable-pod-identity`` on the kubenet cluster, and AKS's answer."""
    s = session.settings
    name = kubenet_cluster_name(session)
    error = refusal(lambda: _enable_on_kubenet(session, consent=False))
    return Symptom(
        sections=(
            az_error(
                f"az aks update -g {s.resource_group} -n {name} --enable-pod-identity",
                error,
                "(accepted: pod identity is enabled on this cluster)",
            ),
        ),
        seen=error is not None and "kubenet" in str(error),
    )


def fix_kubenet(session: Session) -> StepResult:
    """Enable the add-on with the kubenet consent (``--enable-pod-identity-with-kubenet``)."""
    name = kubenet_cluster_name(session)
    with azure_errors():
        cluster = _enable_on_kubenet(session, consent=True)
    return StepResult(
        step="fix_kubenet",
        changed=True,
        summary=f"pod identity enabled on {name!r} with the kubenet consent",
        details=(f"provisioningState: {cluster.provisioning_state}",),
    )


def checks_kubenet(session: Session) -> list[CheckResult]:
    """The kubenet cluster has the add-on on, with the consent recorded."""
    cluster = _kubenet_cluster(session)
    if cluster is None:
        return [
            CheckResult(
                f"cluster {kubenet_cluster_name(session)}",
                passed=False,
                observed="not found",
                expected="found",
                hint="run the break cell of exercise 5 first",
            )
        ]
    profile = cluster.pod_identity_profile
    network = cluster.network_profile
    return [
        CheckResult.compare(
            "networkPlugin", plain(network.network_plugin) if network else None, "kubenet"
        ),
        CheckResult.compare(
            "podIdentityProfile.enabled",
            bool(profile and profile.enabled),
            True,
            hint="enable it with the kubenet consent",
        ),
        CheckResult.compare(
            "podIdentityProfile.allowNetworkPluginKubenet",
            bool(profile and profile.allow_network_plugin_kubenet),
            True,
            hint="--enable-pod-identity-with-kubenet, once NET_RAW is dropped by policy",
        ),
    ]


def restore_kubenet(session: Session) -> list[str]:
    """Delete the kubenet cluster (and with it its node resource group)."""
    s = session.settings
    name = kubenet_cluster_name(session)
    if _kubenet_cluster(session) is None:
        return []
    with azure_errors():
        poller = session.containerservice.managed_clusters.begin_delete(s.resource_group, name)
        wait_for_poller(poller, f"deleting cluster {name}")
    return [f"deleted cluster {name!r}"]


# -- 6. the preview feature is not registered (or the provider not re-registered) -----------------


_FEATURE = f"{CONTAINER_SERVICE}/{POD_IDENTITY_FEATURE}"


def _wait_for_feature(session: Session, wanted: str) -> str:
    _, state = wait_until(
        f"feature {_FEATURE}",
        lambda: ((state := feature_state(session)) == wanted, state),
        timeout=FEATURE_TIMEOUT,
    )
    return state


def break_feature(session: Session) -> StepResult:
    """Unregister the preview feature (``az feature unregister``) and wait until it is."""
    require_lab(session, "unregistering a preview feature changes your whole subscription")
    before = feature_state(session)
    if before not in ("Unregistering", "Unregistered", "NotRegistered"):
        with azure_errors():
            session.features.features.unregister(CONTAINER_SERVICE, POD_IDENTITY_FEATURE)
    state = _wait_for_feature(session, "Unregistered") if before != "NotRegistered" else before
    return StepResult(
        step="break_feature",
        changed=before == "Registered",
        summary=f"feature {_FEATURE} is {state}",
    )


def _feature_views(session: Session) -> tuple[Section, Section]:
    return (
        Section(
            f"az feature show --namespace {CONTAINER_SERVICE} --name {POD_IDENTITY_FEATURE} "
            "--query properties.state -o tsv",
            (feature_state(session),),
        ),
        Section(
            f"az provider show -n {CONTAINER_SERVICE} --query registrationState -o tsv",
            (provider_state(session),),
        ),
    )


def _update_command(session: Session) -> str:
    s = session.settings
    return f"az aks update -g {s.resource_group} -n {s.cluster_name} --enable-pod-identity"


def symptom_feature(session: Session) -> Symptom:
    """``az aks update --enable-pod-identity``, refused, and the feature's state."""
    error = refusal(lambda: update_cluster(session))
    code = error.error.code if error is not None and error.error is not None else None
    return Symptom(
        sections=(
            az_error(_update_command(session), error, "(accepted)"),
            *_feature_views(session),
        ),
        seen=code == "PodIdentityAddonFeatureFlagNotEnabled",
        plain=plain_words(error),
    )


def fix_feature(session: Session) -> StepResult:
    """Register the feature, see AKS still refuse, re-register the provider, then update."""
    require_lab(session, "exercise 6 unregistered the feature in the lab only")
    with azure_errors():
        session.features.features.register(CONTAINER_SERVICE, POD_IDENTITY_FEATURE)
    state = _wait_for_feature(session, "Registered")
    early = refusal(lambda: update_cluster(session))
    with azure_errors():
        session.resources.providers.register(CONTAINER_SERVICE)
    wait_until(
        f"provider {CONTAINER_SERVICE}",
        lambda: ((now := provider_state(session)) == "Registered", now),
        timeout=PROVIDER_TIMEOUT,
    )
    with azure_errors():
        cluster = update_cluster(session)
    return StepResult(
        step="fix_feature",
        changed=True,
        summary=f"feature {_FEATURE} is {state} and AKS accepts pod identity again",
        details=(
            "az aks update right after the feature was Registered: "
            + (
                f"still refused ({early.error.code if early.error else early.status_code})"
                if early is not None
                else "accepted"
            ),
            f"az provider register -n {CONTAINER_SERVICE}: Registered",
            f"az aks update: {cluster.provisioning_state}",
        ),
    )


def checks_feature(session: Session) -> list[CheckResult]:
    """Feature and provider Registered, and AKS accepts the add-on on an update."""
    error = refusal(lambda: update_cluster(session))
    return [
        CheckResult.compare(f"feature {_FEATURE}", feature_state(session), "Registered"),
        CheckResult.compare(f"provider {CONTAINER_SERVICE}", provider_state(session), "Registered"),
        CheckResult(
            "az aks update --enable-pod-identity",
            passed=error is None,
            observed="accepted" if error is None else str(error).splitlines()[0],
            expected="accepted",
            hint=f"after the feature is Registered: az provider register -n {CONTAINER_SERVICE}",
        ),
    ]


def restore_feature(session: Session) -> list[str]:
    """Register the feature and provider again if exercise 6 left them unregistered."""
    if session.mode != "lab" or feature_state(session) == "Registered":
        return []
    fix_feature(session)
    return [f"registered {_FEATURE} and re-registered {CONTAINER_SERVICE}"]


# -- 8. a role assignment right after creating the identity: PrincipalNotFound --------------------


def new_identity_name(session: Session) -> str:
    """The new app's identity, beside the tutorial's."""
    return f"{session.settings.identity_name[:124]}-new"


def _group_scope(session: Session) -> str:
    group = find_resource_group(session)
    if group is None or not group.id:
        raise PodidError(f"resource group {session.settings.resource_group!r} not found")
    return str(group.id)


def _new_identity(session: Session) -> Any:
    from azure.core.exceptions import ResourceNotFoundError

    with azure_errors():
        try:
            return session.msi.user_assigned_identities.get(
                session.settings.resource_group, new_identity_name(session)
            )
        except ResourceNotFoundError:
            return None


def _delay(session: Session) -> float:
    knobs = lab_admin(session, "GET", "/_lab/health")["knobs"]
    return float(knobs[DELAY_KNOB])


def break_replication(session: Session) -> StepResult:
    """(Lab: turn the replication delay on.) Create a brand-new identity for a new app."""
    from azure.mgmt.msi.models import Identity

    s = session.settings
    details = []
    if session.mode == "lab":
        lab_admin(session, "PATCH", "/_lab/settings", {DELAY_KNOB: REPLICATION_DELAY})
        details.append(
            f"lab: a new identity stays unknown to role assignments for "
            f"{REPLICATION_DELAY:.0f} s ({DELAY_KNOB})"
        )
    # A new identity each time: the delay only applies to one that was just created.
    restore_replication(session, knob=False)
    with azure_errors():
        identity = session.msi.user_assigned_identities.create_or_update(
            s.resource_group,
            new_identity_name(session),
            Identity(location=s.location, tags=dict(TAGS)),
        )
    return StepResult(
        step="break_replication",
        changed=True,
        summary=f"created managed identity {new_identity_name(session)!r}",
        details=(f"principalId: {identity.principal_id}", *details),
    )


def _assign_reader(session: Session) -> None:
    identity = _new_identity(session)
    if identity is None:
        raise PodidError(f"no identity {new_identity_name(session)!r}: run the break cell first")
    # No principal type: Azure then looks the principal up in Entra ID, as `az` does by default.
    grant(session, _group_scope(session), str(identity.principal_id), READER, principal_type=None)


def _assign_command(session: Session) -> str:
    identity = _new_identity(session)
    principal = identity.principal_id if identity is not None else "<principalId>"
    return (
        f"az role assignment create --assignee-object-id {principal} --role {READER} "
        f"--scope {_group_scope(session)}"
    )


def symptom_replication(session: Session) -> Symptom:
    """The role assignment, tried at once, and Azure's PrincipalNotFound."""
    error = refusal(lambda: _assign_reader(session))
    code = error.error.code if error is not None and error.error is not None else None
    sections = [az_error(_assign_command(session), error, "(accepted: it had replicated)")]
    if session.mode == "lab":
        sections.append(Section(f"podid-lab config get {DELAY_KNOB}", (str(_delay(session)),)))
    return Symptom(
        sections=tuple(sections), seen=code == "PrincipalNotFound", plain=plain_words(error)
    )


def fix_replication(session: Session) -> StepResult:
    """Retry the role assignment with exponential backoff while the principal replicates."""
    from azure.core.exceptions import HttpResponseError

    s = session.settings
    retried = False
    with LiveStatus("assigning the role") as live:
        for wait in (*BACKOFF, None):
            try:
                _assign_reader(session)
            except HttpResponseError as exc:
                code = exc.error.code if exc.error is not None else None
                if code == "RoleAssignmentExists":  # the symptom cell's try went through
                    break
                if code != "PrincipalNotFound" or wait is None:
                    raise translate_azure_error(exc) from exc
                retried = True
                live.show(f"PrincipalNotFound; next try in {wait:.0f} s")
                time.sleep(wait)
            else:
                break
    return StepResult(
        step="fix_replication",
        changed=True,
        summary=f"assigned {READER} to {new_identity_name(session)!r} on resource group "
        f"{s.resource_group!r}",
        details=(
            "after retrying with backoff while Entra ID replicated the new identity"
            if retried
            else "at the first try: the identity had replicated already",
        ),
    )


def checks_replication(session: Session) -> list[CheckResult]:
    """The new identity holds Reader on the resource group."""
    identity = _new_identity(session)
    found = (
        find_role_assignments(session, _group_scope(session), str(identity.principal_id), READER)
        if identity is not None
        else []
    )
    return [
        CheckResult.compare(
            f"{READER} for {new_identity_name(session)} on {session.settings.resource_group}",
            "assigned" if found else "not assigned",
            "assigned",
            hint="retry the assignment, waiting a little longer each time",
        )
    ]


def restore_replication(session: Session, *, knob: bool = True) -> list[str]:
    """Delete the new identity and its role; turn the lab's replication delay off again."""
    done = []
    identity = _new_identity(session)
    if identity is not None:
        revoke(session, _group_scope(session), str(identity.principal_id), READER)
        with azure_errors():
            session.msi.user_assigned_identities.delete(
                session.settings.resource_group, new_identity_name(session)
            )
        done.append(f"deleted managed identity {new_identity_name(session)!r} and its role")
    # Only the value this exercise set: a delay someone chose on purpose stays.
    if knob and session.mode == "lab" and _delay(session) == REPLICATION_DELAY:
        lab_admin(session, "PATCH", "/_lab/settings", {DELAY_KNOB: 0.0})
        done.append(f"lab: {DELAY_KNOB} back to 0")
    return done

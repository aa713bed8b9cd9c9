"""The "Your turn" exercises of notebooks 01-07: judge what the learner wrote against live state.

Each ``check_…_answer(session, answer)`` accepts any correct answer (any case, a trailing
slash, a list in any order, the SDK object or its name) and, for a wrong one, gives a hint that
names the concept rather than the answer. Expected values are described, never shown, so a
failed check does not give the answer away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .checks import CheckReport, CheckResult
from .errors import PodidError
from .i18n import N_, _
from .lookups import (
    CONTAINER_SERVICE,
    POD_IDENTITY_GROUP,
    POD_IDENTITY_VERSION,
    VM_CONTRIBUTOR,
    cluster_principal_id,
    find_role_assignments,
    kube_errors,
    node_resource_group_id,
    pod_identity_entry,
    require_cluster,
    require_identity,
    tutorial_assignments,
)
from .verify import NMI_DAEMONSET, NMI_NAMESPACE

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "check_grants_answer",
    "check_label_answer",
    "check_namespace_answer",
    "check_nmi_pods_answer",
    "check_node_group_answer",
    "check_provider_answer",
    "check_scope_answer",
    "check_subject_answer",
]

UNANSWERED = N_(
    "write your answer in the empty cell above and run it (or run ph.show_solutions(), then "
    "the collapsed solution cell)"
)
NMI_SELECTOR = "component=nmi"


def _unanswered(answer: object) -> bool:
    return answer is None or answer is Ellipsis or (isinstance(answer, str) and not answer.strip())


def _judge(
    title: str, what: str, expected: str, answer: object, judge: Callable[[], str | None]
) -> CheckReport:
    """One result: ``judge`` returns None when right, else the hint for this wrong answer."""
    if _unanswered(answer):
        hint: str | None = _(UNANSWERED)
    else:
        try:
            hint = judge()
        except PodidError as exc:
            hint = _("{problem} (run this notebook's cells in order first)").format(
                problem=str(exc).splitlines()[0]
            )
    shown = _("(not answered)") if _unanswered(answer) else _describe(answer)
    result = CheckResult(
        what, passed=hint is None, observed=shown, expected=expected, hint=hint or ""
    )
    return CheckReport(title, [result])


def _describe(answer: object) -> str:
    """The answer as a short line (a whole SDK object would flood the verify cell)."""
    if isinstance(answer, str):
        return repr(answer)
    names = _names(answer)
    if names is not None:
        return ", ".join(sorted(names)) or _("(an empty list)")
    namespace = getattr(answer, "namespace", None)
    if isinstance(namespace, str):
        return f"{type(answer).__name__} {namespace}"
    return type(answer).__name__


def _same_id(a: str, b: str) -> bool:
    """Azure resource IDs compare case-insensitively; a trailing slash changes nothing."""
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def _names(answer: object) -> set[str] | None:
    """A list of names, of SDK/Kubernetes objects, or a ``…List`` with ``items``; else None."""
    items: Any = getattr(answer, "items", answer)
    if isinstance(items, str) or not isinstance(items, Iterable):
        return None
    names = set()
    for item in items:
        meta = getattr(item, "metadata", None)
        name = meta.name if meta is not None else getattr(item, "name", item)
        if not isinstance(name, str):
            return None
        names.add(name.strip().lower())
    return names


# -- 01 ---------------------------------------------------------------------------------------


def check_provider_answer(session: Session, provider: object) -> CheckReport:
    """01: ``provider`` is AKS's resource provider as the SDK returns it, and it is Registered."""

    def judge() -> str | None:
        namespace = getattr(provider, "namespace", None)
        if not isinstance(namespace, str):
            return _(
                "give the provider object the SDK returns (session.resources.providers has "
                "the call `az provider show -n …` makes), not a string"
            )
        if namespace.lower() != CONTAINER_SERVICE.lower():
            return _(
                "a preview feature belongs to one resource provider: the one named before the "
                "slash in the feature's full name, which AKS itself belongs to"
            )
        if getattr(provider, "registration_state", None) != "Registered":
            return _("register the provider again after the feature is Registered (Step 1)")
        return None

    return _judge(
        _("Your turn 01: the provider"),
        _("the resource provider AKS reads the feature through"),
        _("AKS's provider, Registered"),
        provider,
        judge,
    )


# -- 02 ---------------------------------------------------------------------------------------


def check_node_group_answer(session: Session, node_group: object) -> CheckReport:
    """02: ``node_group`` names the resource group AKS made for the cluster's nodes."""

    def judge() -> str | None:
        if not isinstance(node_group, str):
            return _("give the group's name as a string")
        actual = require_cluster(session).node_resource_group or ""
        if node_group.strip().lower() == actual.lower():
            return None
        if node_group.strip().lower() == session.settings.resource_group.lower():
            return _(
                "that is the group you created for the cluster resource; AKS makes a second "
                "group for the nodes' scale set, disks and NICs, and the cluster names it"
            )
        return _("the cluster's properties name the group AKS manages (az aks show --query …)")

    return _judge(
        _("Your turn 02: the node resource group"),
        _("the resource group that holds the cluster's nodes"),
        _("the group named in the cluster's properties"),
        node_group,
        judge,
    )


# -- 03 ---------------------------------------------------------------------------------------


def check_nmi_pods_answer(session: Session, nmi_pods: object) -> CheckReport:
    """03: ``nmi_pods`` are NMI's pods (names or objects), one per node, none missing."""

    def judge() -> str | None:
        given = _names(nmi_pods)
        if given is None:
            return _("give a list of pod names, or the pod list the Kubernetes client returns")
        with kube_errors():
            pods = session.core_v1.list_namespaced_pod(
                NMI_NAMESPACE, label_selector=NMI_SELECTOR
            ).items
            nodes = len(session.core_v1.list_node().items)
        actual = _names(pods) or set()
        if given == actual and len(actual) == nodes:
            return None
        if not given & actual:
            return _(
                "the add-on's pods run in its DaemonSet's namespace, {namespace}, not "
                "in yours; a DaemonSet's pods carry the labels of its selector "
                "(kubectl get daemonset {daemonset} -n {namespace} -o wide)"
            ).format(namespace=NMI_NAMESPACE, daemonset=NMI_DAEMONSET)
        return _("a DaemonSet runs exactly one pod on every node: count the nodes, then the pods")

    return _judge(
        _("Your turn 03: NMI's pods"),
        _("the pods of DaemonSet nmi"),
        _("every NMI pod, one per node"),
        nmi_pods,
        judge,
    )


# -- 04 ---------------------------------------------------------------------------------------


def check_scope_answer(session: Session, scope: object) -> CheckReport:
    """04: ``scope`` is where the identity holds Virtual Machine Contributor: the node group."""

    def judge() -> str | None:
        if not isinstance(scope, str) or not scope.strip().lower().startswith("/subscriptions/"):
            return _("a scope is a resource ID: /subscriptions/<id>/resourceGroups/<name>")
        cluster = require_cluster(session)
        wanted = node_resource_group_id(session, cluster)
        if _same_id(scope, wanted):
            identity = require_identity(session)
            if not find_role_assignments(
                session, wanted, str(identity.principal_id), VM_CONTRIBUTOR
            ):
                return _("right scope, but the role is not there yet: run Step 2's cells")
            return None
        if _same_id(scope, f"/subscriptions/{session.subscription_id}"):
            return _(
                "that would work, and grant every VM in the subscription: least privilege "
                "means the narrowest scope that holds what the pod reads"
            )
        return _(
            "the demo lists the VMs of the group AKS manages for the nodes; a role on one "
            "resource group grants nothing in another"
        )

    return _judge(
        _("Your turn 04: the role's scope"),
        _("the scope of Virtual Machine Contributor"),
        _("the group whose VMs the demo lists, as a resource ID"),
        scope,
        judge,
    )


# -- 05 ---------------------------------------------------------------------------------------


def check_namespace_answer(session: Session, namespace: object) -> CheckReport:
    """05: ``namespace`` is where a pod must run to use the pod identity (from the cluster)."""

    def judge() -> str | None:
        if not isinstance(namespace, str):
            return _("give the namespace's name as a string")
        s = session.settings
        entry = pod_identity_entry(require_cluster(session), s.pod_identity_name, s.namespace)
        if entry is None:
            return _("the cluster has no pod identity yet: run Step 2")
        if namespace.strip() == entry.namespace:
            return None
        return _(
            "in managed mode NMI looks for bindings only in the pod's own namespace: the pod "
            "identity's entry in podIdentityProfile names it"
        )

    return _judge(
        _("Your turn 05: the pod identity's namespace"),
        _("the namespace a pod must run in to use the pod identity"),
        _("the namespace of the pod identity's entry"),
        namespace,
        judge,
    )


# -- 06 ---------------------------------------------------------------------------------------


def check_label_answer(session: Session, label: object) -> CheckReport:
    """06: ``label`` is an ``aadpodidbinding`` value that a binding in the namespace selects."""

    def judge() -> str | None:
        if not isinstance(label, str):
            return _("give the label's value as a string")
        s = session.settings
        found: Any
        with kube_errors():
            found = session.custom_objects.list_namespaced_custom_object(
                POD_IDENTITY_GROUP, POD_IDENTITY_VERSION, s.namespace, "azureidentitybindings"
            )
        selectors = {str(b["spec"].get("selector", "")) for b in found.get("items") or []}
        # Label values are case-sensitive, as NMI's match is.
        if label.strip() in selectors:
            return None
        if label.strip() == s.identity_name:
            return _(
                "that names the managed identity; NMI matches the label against an "
                "AzureIdentityBinding's selector"
            )
        return _(
            "NMI gives a pod the identity whose AzureIdentityBinding's selector equals the label"
        )

    return _judge(
        _("Your turn 06: the label"),
        _("the aadpodidbinding value a second pod needs"),
        _("a value a binding in your namespace selects"),
        label,
        judge,
    )


# -- 07 ---------------------------------------------------------------------------------------


def check_grants_answer(session: Session, grants: object) -> CheckReport:
    """07: ``grants`` holds every role assignment the series made (objects, names or IDs)."""

    def judge() -> str | None:
        given = _names(grants)
        if given is None:
            return _("give a list of role assignments (the SDK's objects, their names or IDs)")
        given = {g.rsplit("/", 1)[-1] for g in given}
        made = {
            str(a.name).lower(): str(a.principal_id).lower() for a in tutorial_assignments(session)
        }
        missing = {principal for name, principal in made.items() if name not in given}
        if not missing:
            return None
        cluster = str(cluster_principal_id(require_cluster(session))).lower()
        if missing == {cluster}:
            return _(
                "one grant is easy to forget: az aks pod-identity add made it for the "
                "cluster's identity, not for yours (notebook 05)"
            )
        if cluster not in missing:
            return _("the role that lets your identity read the VMs (04) is an assignment too")
        return _("list the assignments of both principals the series granted roles to (04, 05)")

    return _judge(
        _("Your turn 07: the grants to remove"),
        _("the role assignments the series made"),
        _("every one of them (others may be listed too)"),
        grants,
        judge,
    )


# -- 09 ---------------------------------------------------------------------------------------


def check_subject_answer(session: Session, subject: object) -> CheckReport:
    """09: ``subject`` is what the federated credential must name for the service account."""
    from .steps_workload_identity import subject as wanted_subject

    def judge() -> str | None:
        if not isinstance(subject, str):
            return _("give the subject as a string, as `az identity federated-credential` takes it")
        if subject.strip() != wanted_subject(session):
            return _(
                "Kubernetes names a service account in its tokens as "
                "system:serviceaccount:<namespace>:<name>, exactly (case matters)"
            )
        return None

    return _judge(
        _("Your turn 09: the subject"),
        _("the subject the service account's tokens carry"),
        _("the subject your credential needs"),
        subject,
        judge,
    )

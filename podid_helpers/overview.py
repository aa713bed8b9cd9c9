"""``progress()``: which tutorial steps are done, read from live state (not from a diary)."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import PodidError
from .i18n import _
from .lookups import (
    MANAGED_IDENTITY_OPERATOR,
    STEP_CLUSTER,
    STEP_DEMO,
    STEP_ENABLE,
    STEP_FEATURE,
    STEP_IDENTITY,
    STEP_POD_IDENTITY,
    VM_CONTRIBUTOR,
    cluster_principal_id,
    find_cluster,
    find_identity,
    find_pod,
    find_resource_group,
    find_role_assignments,
    node_resource_group_id,
    plain,
    pod_identity_enabled,
    pod_identity_entry,
)
from .manifests import DEMO_POD
from .steps_demo import pod_state
from .steps_subscription import feature_state, provider_state

if TYPE_CHECKING:
    from .session import Session

__all__ = ["Progress", "ProgressItem", "progress"]


@dataclass(frozen=True)
class ProgressItem:
    """One milestone: the notebook that reaches it, what it is, and whether it holds now."""

    notebook: str
    milestone: str
    done: bool


@dataclass(frozen=True, repr=False, init=False)
class Progress:
    """Milestones in tutorial order, rendered ✓ (done) or · (not yet) with the next step."""

    items: tuple[ProgressItem, ...]

    def __init__(self, items: Iterable[ProgressItem]) -> None:
        object.__setattr__(self, "items", tuple(items))

    @property
    def next_notebook(self) -> str | None:
        """The notebook of the first milestone not reached, or None when all are."""
        return next((i.notebook for i in self.items if not i.done), None)

    def text(self) -> str:
        """Return one line per milestone and where to go next."""
        lines = [f"{'✓' if i.done else '·'} {i.notebook}: {i.milestone}" for i in self.items]
        following = self.next_notebook
        lines.append(
            _("next: {notebook}").format(notebook=following) if following else _("all steps done")
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    __str__ = __repr__

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<li>{'✓' if i.done else '·'} <code>{html.escape(i.notebook)}</code> "
            f"{html.escape(i.milestone, quote=False)}</li>"
            for i in self.items
        )
        following = self.next_notebook
        tail = (
            _("next: {notebook}").format(notebook=f"<code>{html.escape(following)}</code>")
            if following
            else html.escape(_("all steps done"), quote=False)
        )
        return f'<ul style="list-style:none;padding-left:0">{rows}</ul><div>{tail}</div>'


def _holds(probe: Callable[[], bool]) -> bool:
    # An unreachable or missing prerequisite (no kubeconfig, no cluster) means "not yet".
    try:
        return probe()
    except PodidError:
        return False


def progress(session: Session) -> Progress:
    """Return which steps are done, each checked against Azure and the cluster right now."""
    s = session.settings
    cluster = find_cluster(session)
    identity = find_identity(session)
    ready = cluster is not None and cluster.provisioning_state == "Succeeded"
    entry = pod_identity_entry(cluster, s.pod_identity_name, s.namespace) if cluster else None
    grantee = cluster_principal_id(cluster) if cluster is not None else None
    assigned = entry is not None and plain(entry.provisioning_state) == "Assigned"

    def vm_contributor() -> bool:
        if identity is None or not identity.principal_id or cluster is None:
            return False
        scope = node_resource_group_id(session, cluster)
        return bool(find_role_assignments(session, scope, identity.principal_id, VM_CONTRIBUTOR))

    def operator() -> bool:
        if identity is None or not identity.id or grantee is None:
            return False
        return bool(find_role_assignments(session, identity.id, grantee, MANAGED_IDENTITY_OPERATOR))

    def demo() -> bool:
        if not session.kubeconfig_path.exists():
            return False
        pod = find_pod(session, DEMO_POD, s.namespace)
        return pod is not None and pod_state(pod) == "Running"

    items = [
        ProgressItem(
            STEP_FEATURE,
            _("{feature} registered").format(feature="EnablePodIdentityPreview"),
            _holds(
                lambda: (
                    feature_state(session) == "Registered"
                    and provider_state(session) == "Registered"
                )
            ),
        ),
        ProgressItem(
            STEP_CLUSTER,
            _("resource group {group} exists").format(group=s.resource_group),
            _holds(lambda: find_resource_group(session) is not None),
        ),
        ProgressItem(
            STEP_CLUSTER, _("cluster {cluster} Succeeded").format(cluster=s.cluster_name), ready
        ),
        ProgressItem(STEP_CLUSTER, _("kubeconfig written"), session.kubeconfig_path.exists()),
        ProgressItem(
            STEP_ENABLE,
            _("pod identity enabled"),
            cluster is not None and pod_identity_enabled(cluster),
        ),
        ProgressItem(
            STEP_IDENTITY,
            _("managed identity {identity} exists").format(identity=s.identity_name),
            bool(identity),
        ),
        ProgressItem(
            STEP_IDENTITY,
            _("{role} assigned").format(role=VM_CONTRIBUTOR),
            _holds(vm_contributor),
        ),
        ProgressItem(
            STEP_POD_IDENTITY,
            _("pod identity {name} Assigned").format(name=s.pod_identity_name),
            assigned and _holds(operator),
        ),
        ProgressItem(
            STEP_DEMO, _("pod {pod} Running").format(pod=DEMO_POD), ready and _holds(demo)
        ),
    ]
    return Progress(items)

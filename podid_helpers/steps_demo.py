"""06-deploy-demo: the article's demo pod, and its log, which shows the identity at work."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import PodidError, StepOrderError
from .i18n import _
from .live import wait_until
from .lookups import (
    STEP_DEMO,
    STEP_POD_IDENTITY,
    find_pod,
    kube_errors,
    node_resource_group_id,
    pod_identity_entry,
    require_cluster,
    require_identity,
)
from .manifests import DEMO_POD, demo_pod_yaml
from .pods import (
    POD_START_TIMEOUT,
    delete_pod_and_wait,
    ensure_namespace,
    follow_pod_log,
    placed_summary,
)
from .results import DemoLog, StepResult

if TYPE_CHECKING:
    from .session import Session

__all__ = ["SUCCESS_MARKERS", "demo_manifest", "deploy_demo", "follow_demo_logs", "log_line_text"]

# Stable substrings of demo v1.6.3's success lines (the whole lines carry times and JSON).
SUCCESS_MARKERS = (
    "successfully acquired a token using the MSI",
    "successfully acquired a token, userAssignedID MSI",
    "successfully made GET on instance metadata",
)
_KLOG_HEADER = re.compile(r"^([IWEF])\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+\s+")
_WAITING_FAILURES = ("ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff", "InvalidImageName")


def demo_manifest(session: Session) -> str:
    """The demo pod's YAML for this learner's names and IDs (what ``deploy_demo`` applies)."""
    s = session.settings
    return demo_pod_yaml(
        namespace=s.namespace, selector=s.pod_identity_name, **demo_arguments(session)
    )


def demo_arguments(session: Session) -> dict[str, str]:
    """The demo's flags for this learner: subscription, identity's client ID, resource group."""
    cluster = require_cluster(session)
    identity = require_identity(session)
    return {
        "subscription_id": session.subscription_id,
        "client_id": str(identity.client_id),
        # The scope the role was granted on, so the pod's VM listing is allowed.
        "resource_group": node_resource_group_id(session, cluster).rsplit("/", 1)[-1],
    }


def _wanted(session: Session) -> dict[str, Any]:
    import yaml

    parsed: dict[str, Any] = yaml.safe_load(demo_manifest(session))
    return parsed


def _same_pod(pod: Any, wanted: dict[str, Any]) -> bool:
    container = wanted["spec"]["containers"][0]
    labels = (pod.metadata.labels or {}) if pod.metadata else {}
    current = pod.spec.containers[0] if pod.spec and pod.spec.containers else None
    return bool(
        current is not None
        and labels.get("aadpodidbinding") == wanted["metadata"]["labels"]["aadpodidbinding"]
        and current.image == container["image"]
        and list(current.args or []) == container["args"]
    )


def pod_state(pod: Any) -> str:
    """Running/Pending/…, or the container's waiting reason (ErrImagePull…) when it has one."""
    status = pod.status
    for container in (status.container_statuses if status else None) or []:
        waiting = container.state.waiting if container.state else None
        if waiting is not None and waiting.reason:
            return str(waiting.reason)
    return str((status.phase if status else None) or "Pending")


def deploy_demo(session: Session, *, timeout: float = POD_START_TIMEOUT) -> StepResult:
    """Create the demo pod from ``demo_manifest()`` (``kubectl apply``) and wait for Running."""
    from kubernetes.client import V1Pod

    s = session.settings
    cluster = require_cluster(session)
    if pod_identity_entry(cluster, s.pod_identity_name, s.namespace) is None:
        raise StepOrderError(
            STEP_POD_IDENTITY,
            _("pod identity {name} not found in namespace {namespace} on cluster {cluster}").format(
                name=repr(s.pod_identity_name),
                namespace=repr(s.namespace),
                cluster=repr(s.cluster_name),
            ),
        )
    wanted = _wanted(session)
    existing = find_pod(session, DEMO_POD, s.namespace)
    changed = existing is None or not _same_pod(existing, wanted)
    if existing is not None and changed:
        # A pod's spec cannot change in place; kubectl would refuse too. Replace it.
        delete_pod_and_wait(session, DEMO_POD, s.namespace)
    if changed:
        ensure_namespace(session, s.namespace)
        with kube_errors():
            body = V1Pod.from_dict(wanted)
            assert body is not None  # from_dict returns None only for None
            session.core_v1.create_namespaced_pod(s.namespace, body)

    def running() -> tuple[bool, str]:
        pod = find_pod(session, DEMO_POD, s.namespace)
        state = pod_state(pod) if pod is not None else "(gone)"
        return state in ("Running", "Succeeded", "Failed", *_WAITING_FAILURES), state

    _done, state = wait_until(
        _("starting pod {pod}").format(pod=DEMO_POD), running, timeout=timeout
    )
    if state != "Running":
        raise PodidError(
            _(
                "pod {pod} is {state}, not Running. "
                "See its events: kubectl describe pod {name} -n {namespace}"
            ).format(pod=repr(DEMO_POD), state=state, name=DEMO_POD, namespace=s.namespace)
        )
    return StepResult(
        step="deploy_demo",
        changed=changed,
        summary=placed_summary(DEMO_POD, s.namespace, created=changed),
        details=(
            _("status: {state}").format(state=state),
            _("label aadpodidbinding: {name}").format(name=s.pod_identity_name),
        ),
    )


def log_line_text(line: str) -> str:
    """A klog line without its date and time, so stored outputs compare across runs."""
    return _KLOG_HEADER.sub(r"\1 ", line.rstrip("\n"))


def follow_demo_logs(session: Session, *, timeout: float = 60.0) -> DemoLog:
    """Follow the demo pod's log (``kubectl logs --follow``) until the success lines appear."""
    s = session.settings
    if find_pod(session, DEMO_POD, s.namespace) is None:
        raise StepOrderError(
            STEP_DEMO,
            _("pod {pod} not found in namespace {namespace}").format(
                pod=repr(DEMO_POD), namespace=repr(s.namespace)
            ),
        )
    lines = follow_pod_log(
        session,
        DEMO_POD,
        s.namespace,
        done=lambda read: all(any(m in line for line in read) for m in SUCCESS_MARKERS),
        timeout=timeout,
    )
    seen = {m for m in SUCCESS_MARKERS if any(m in line for line in lines)}
    succeeded = len(seen) == len(SUCCESS_MARKERS)
    return DemoLog(
        step="follow_demo_logs",
        changed=False,
        summary=(
            _("pod {pod} got tokens for its managed identity")
            if succeeded
            else _("pod {pod} has not logged the success lines within {seconds} s")
        ).format(pod=repr(DEMO_POD), seconds=f"{timeout:.0f}"),
        details=tuple(log_line_text(line) for line in lines),
        lines=tuple(lines),
        succeeded=succeeded,
    )

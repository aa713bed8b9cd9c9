"""09's path A: the article's unchanged demo on Workload ID, behind the migration sidecar.

The demo (v1.6.3, go-autorest adal) only knows IMDS. Microsoft's migration guide keeps such an
app as it is for now: the pod opts in with the label `azure.workload.identity/use: "true"`, uses
the annotated service account, and asks the webhook for the proxy with
`azure.workload.identity/inject-proxy-sidecar: "true"`. The proxy answers the demo's IMDS token
requests with tokens it gets by exchanging the pod's projected service-account token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .checks import CheckReport, CheckResult
from .errors import PodidError, StepOrderError
from .i18n import _
from .lookups import (
    find_pod,
    kube_errors,
    pod_identity_enabled,
)
from .manifests import sidecar_demo_pod_yaml
from .pods import POD_START_TIMEOUT, delete_pod_and_wait, follow_pod_log, placed_summary
from .results import DemoLog, StepResult
from .steps_demo import SUCCESS_MARKERS, demo_arguments, log_line_text
from .steps_workload_identity import (
    SIDECAR_DEMO_POD,
    STEP_WORKLOAD_ID,
    find_service_account,
    require_workload_identity,
    wait_until_running,
)

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "check_sidecar_demo",
    "deploy_sidecar_demo",
    "follow_sidecar_demo_logs",
    "sidecar_demo_manifest",
]

DEMO_CONTAINER = "demo"
PROXY_CONTAINER = "azwi-proxy"
PROXY_INIT_CONTAINER = "azwi-proxy-init"


def sidecar_demo_manifest(session: Session) -> str:
    """The demo pod of 06 with only its opt-ins changed (label, annotations, service account)."""
    s = session.settings
    require_workload_identity(session)
    return sidecar_demo_pod_yaml(
        namespace=s.namespace,
        service_account=s.service_account_name,
        pod=SIDECAR_DEMO_POD,
        **demo_arguments(session),
    )


def _has_sidecar(pod: Any) -> bool:
    names = [c.name for c in (pod.spec.containers or [])] if pod.spec else []
    return PROXY_CONTAINER in names and DEMO_CONTAINER in names


def deploy_sidecar_demo(session: Session, *, timeout: float = POD_START_TIMEOUT) -> StepResult:
    """``kubectl apply`` the sidecar demo and wait until it runs (after pod identity is gone)."""
    import yaml
    from kubernetes.client import V1Pod

    s = session.settings
    cluster = require_workload_identity(session)
    if pod_identity_enabled(cluster):
        raise StepOrderError(
            f"{STEP_WORKLOAD_ID} (remove_pod_identity)",
            _("path A runs with pod identity removed: the add-on is still on"),
        )
    if find_service_account(session) is None:
        raise StepOrderError(
            f"{STEP_WORKLOAD_ID} (create_service_account)",
            _("service account {account} not found in namespace {namespace}").format(
                account=repr(s.service_account_name), namespace=repr(s.namespace)
            ),
        )
    existing = find_pod(session, SIDECAR_DEMO_POD, s.namespace)
    changed = existing is None or not _has_sidecar(existing)
    if existing is not None and changed:
        delete_pod_and_wait(session, SIDECAR_DEMO_POD, s.namespace)
    if changed:
        with kube_errors():
            body = V1Pod.from_dict(yaml.safe_load(sidecar_demo_manifest(session)))
            assert body is not None  # from_dict returns None only for None
            session.core_v1.create_namespaced_pod(s.namespace, body)

    state = wait_until_running(session, SIDECAR_DEMO_POD, timeout)
    pod = find_pod(session, SIDECAR_DEMO_POD, s.namespace)
    containers = [c.name for c in pod.spec.containers] if pod is not None else []
    inits = [c.name for c in (pod.spec.init_containers or [])] if pod is not None else []
    return StepResult(
        step="deploy_sidecar_demo",
        changed=changed,
        summary=placed_summary(SIDECAR_DEMO_POD, s.namespace, created=changed),
        details=(
            _("status: {state}").format(state=state),
            _("containers: {names}").format(names=", ".join(containers)),
            _("init containers: {names}").format(names=", ".join(inits)),
        ),
    )


def follow_sidecar_demo_logs(session: Session, *, timeout: float = 60.0) -> DemoLog:
    """``kubectl logs -c demo --follow`` until the article's success lines appear."""
    s = session.settings
    if find_pod(session, SIDECAR_DEMO_POD, s.namespace) is None:
        raise StepOrderError(
            f"{STEP_WORKLOAD_ID} (deploy_sidecar_demo)",
            _("pod {pod} not found in namespace {namespace}").format(
                pod=repr(SIDECAR_DEMO_POD), namespace=repr(s.namespace)
            ),
        )
    lines = follow_pod_log(
        session,
        SIDECAR_DEMO_POD,
        s.namespace,
        container=DEMO_CONTAINER,
        done=lambda read: all(any(m in line for line in read) for m in SUCCESS_MARKERS),
        timeout=timeout,
    )
    succeeded = all(any(m in line for line in lines) for m in SUCCESS_MARKERS)
    return DemoLog(
        step="follow_sidecar_demo_logs",
        changed=False,
        summary=(
            _("container {container} of pod {pod}: the article's success lines")
            if succeeded
            else _("container {container} of pod {pod}: not all success lines yet")
        ).format(container=repr(DEMO_CONTAINER), pod=repr(SIDECAR_DEMO_POD)),
        details=tuple(log_line_text(line) for line in lines),
        lines=tuple(lines),
        succeeded=succeeded,
    )


def check_sidecar_demo(session: Session, lines: tuple[str, ...] | None = None) -> CheckReport:
    """Path A works: the proxy was injected, pod identity is gone, the demo logs success."""
    s = session.settings
    hint = _("deploy_sidecar_demo(session), then follow_sidecar_demo_logs(session)")
    title = _("09 path A: the demo behind the sidecar")
    results: list[CheckResult] = []
    try:
        cluster = require_workload_identity(session)
        pod = find_pod(session, SIDECAR_DEMO_POD, s.namespace)
        if lines is None and pod is not None:
            with kube_errors():
                text = session.core_v1.read_namespaced_pod_log(
                    SIDECAR_DEMO_POD, s.namespace, container=DEMO_CONTAINER
                )
            lines = tuple(str(text or "").splitlines())
    except PodidError as exc:
        failed = CheckResult(
            _("reading the live state"),
            passed=False,
            observed=str(exc).splitlines()[0],
            expected=_("an answer"),
            hint=hint,
        )
        return CheckReport(title, [failed])
    inits = [c.name for c in (pod.spec.init_containers or [])] if pod is not None else []
    results.append(
        CheckResult.compare(
            _("pod identity add-on"),
            _("on") if pod_identity_enabled(cluster) else _("off"),
            _("off"),
        )
    )
    results.append(
        CheckResult.compare(
            _("sidecar injected"),
            _("yes") if pod is not None and _has_sidecar(pod) else _("no"),
            _("yes"),
            hint=_("the pod needs the label, the annotation and the service account"),
        )
    )
    results.append(
        CheckResult.compare(
            _("init container"),
            PROXY_INIT_CONTAINER if PROXY_INIT_CONTAINER in inits else _("none"),
            PROXY_INIT_CONTAINER,
        )
    )
    for marker in SUCCESS_MARKERS:
        results.append(
            CheckResult.compare(
                marker,
                _("in the log")
                if any(marker in line for line in lines or ())
                else _("not in the log"),
                _("in the log"),
                hint=hint,
            )
        )
    return CheckReport(title, results)

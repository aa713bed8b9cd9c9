"""Exercises 1, 2, 3 and 7: what the pod sees (NMI's 404, ARM's 403, IMDS's 400).

Each exercise is four functions: break it on purpose, show the symptom as a learner meets it,
fix it, and the checks its verify cell runs. They start from the state 06-deploy-demo leaves
(the demo pod running in the pod identity's namespace) and their fixes return to it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .checks import CheckResult
from .exercise_kit import (
    Section,
    Symptom,
    bindings_view,
    delete_pod,
    exec_in_pod,
    grant,
    log_view,
    pods_view,
    read_log,
    revoke,
    run_pod,
)
from .i18n import _
from .live import wait_until
from .lookups import (
    VM_CONTRIBUTOR,
    azure_errors,
    find_pod,
    find_resource_group,
    find_role_assignments,
    kube_errors,
    node_resource_group_id,
    require_cluster,
    require_identity,
)
from .manifests import DEMO_POD
from .pods import ensure_namespace
from .results import StepResult
from .steps_demo import SUCCESS_MARKERS, demo_manifest, deploy_demo, log_line_text
from .steps_identity import assign_vm_contributor
from .verify import check_demo_logs, check_role_assignment

if TYPE_CHECKING:
    from .session import Session

__all__: list[str] = []

NO_IDENTITY = "no azure identity found for request clientID"
FORBIDDEN = "StatusCode=403"
COUNTED = "successfully counted VM from ARM"
TOKEN_URL = (
    "http://169.254.169.254/metadata/identity/oauth2/token"
    "?api-version=2018-02-01&resource=https://management.azure.com/"
)
# The troubleshooting guides' way in: a labelled pod of a small image with curl, since the demo
# image (distroless) has no shell and no curl.
TOOLBOX_POD = "toolbox"
TOOLBOX_IMAGE = "curlimages/curl"
LOG_TIMEOUT = 45.0


def _manifest(session: Session, **changes: str) -> dict[str, Any]:
    import yaml

    manifest: dict[str, Any] = yaml.safe_load(demo_manifest(session))
    if "label" in changes:
        manifest["metadata"]["labels"]["aadpodidbinding"] = changes["label"]
    if "namespace" in changes:
        manifest["metadata"]["namespace"] = changes["namespace"]
    return manifest


def _wait_for_log(
    session: Session, namespace: str, seen: tuple[str, ...], healthy: str
) -> tuple[bool, str]:
    """Wait until the demo's log shows every ``seen`` marker (True) or ``healthy`` (False).

    No such pod counts as healthy: nothing will ever log.
    """
    log = [""]

    def probe() -> tuple[bool, str]:
        if find_pod(session, DEMO_POD, namespace) is None:
            return True, _("no pod")  # nothing will ever log: not broken (or not yet)
        log[0] = read_log(session, DEMO_POD, namespace)
        done = all(m in log[0] for m in seen) or healthy in log[0]
        return done, _("{count} log lines").format(count=len(log[0].splitlines()))

    with kube_errors():
        wait_until(
            _("reading the log of pod {pod}").format(pod=DEMO_POD), probe, timeout=LOG_TIMEOUT
        )
    return all(m in log[0] for m in seen), log[0]


def _restart_demo(session: Session) -> None:
    """Delete and re-create the demo pod, so its first loop runs now rather than in 20 s."""
    delete_pod(session, DEMO_POD, session.settings.namespace)
    deploy_demo(session)


# -- 1. the pod's label does not match the binding's selector -----------------------------------


def wrong_label(session: Session) -> str:
    """The label a hurried teammate used: the managed identity's name, not the pod identity's."""
    s = session.settings
    return s.identity_name if s.identity_name != s.pod_identity_name else f"{s.identity_name}-app"


def break_label(session: Session) -> StepResult:
    """Re-create pod ``demo`` labelled with the managed identity's name."""
    s = session.settings
    label = wrong_label(session)
    pod = find_pod(session, DEMO_POD, s.namespace)
    current = (pod.metadata.labels or {}).get("aadpodidbinding") if pod is not None else None
    if current != label:
        run_pod(session, _manifest(session, label=label))
    return StepResult(
        step="break_label",
        changed=current != label,
        summary=_(
            "pod {pod} in namespace {namespace} runs with label aadpodidbinding: {label}"
        ).format(pod=repr(DEMO_POD), namespace=repr(s.namespace), label=label),
    )


def symptom_label(session: Session) -> Symptom:
    """The demo's 404 lines, the pod's labels and the binding's selector."""
    s = session.settings
    seen, log = _wait_for_log(session, s.namespace, (NO_IDENTITY, "main.go:87"), SUCCESS_MARKERS[0])
    return Symptom(
        sections=(
            log_view(session, DEMO_POD, s.namespace, log, ("main.go:73", "main.go:87")),
            pods_view(session, s.namespace, DEMO_POD),
            bindings_view(session, s.namespace),
        ),
        seen=seen,
    )


def fix_label(session: Session) -> StepResult:
    """Apply the demo manifest again, labelled with the binding's selector."""
    return deploy_demo(session)


def checks_label(session: Session) -> list[CheckResult]:
    """The pod carries the selector as its label, and gets tokens for the identity."""
    from .steps_demo import follow_demo_logs

    s = session.settings
    pod = find_pod(session, DEMO_POD, s.namespace)
    label = (pod.metadata.labels or {}).get("aadpodidbinding") if pod is not None else None
    log = follow_demo_logs(session, timeout=LOG_TIMEOUT)
    return [
        CheckResult.compare(
            _("label aadpodidbinding equals the binding's selector"),
            label,
            s.pod_identity_name,
            hint=_("the selector is the pod identity's name (kubectl get azureidentitybinding)"),
        ),
        *check_demo_logs(session, lines=log.lines).results,
    ]


# -- 2. the pod runs in another namespace than the pod identity ----------------------------------


def other_namespace(session: Session) -> str:
    """Where ``kubectl apply`` puts a manifest without a namespace: the current one."""
    return "default" if session.settings.namespace != "default" else "demo-elsewhere"


def break_namespace(session: Session) -> StepResult:
    """Run the demo pod, correctly labelled, in namespace ``default``."""
    elsewhere = other_namespace(session)
    running = find_pod(session, DEMO_POD, elsewhere) is not None
    if not running:
        ensure_namespace(session, elsewhere)
        run_pod(session, _manifest(session, namespace=elsewhere))
    return StepResult(
        step="break_namespace",
        changed=not running,
        summary=_(
            "pod {pod} runs in namespace {namespace} with label aadpodidbinding: {label}"
        ).format(
            pod=repr(DEMO_POD), namespace=repr(elsewhere), label=session.settings.pod_identity_name
        ),
    )


def symptom_namespace(session: Session) -> Symptom:
    """The demo's 404 lines in the other namespace, and where the bindings are."""
    elsewhere = other_namespace(session)
    seen, log = _wait_for_log(session, elsewhere, (NO_IDENTITY, "main.go:87"), SUCCESS_MARKERS[0])
    return Symptom(
        sections=(
            log_view(session, DEMO_POD, elsewhere, log, ("main.go:73", "main.go:87")),
            bindings_view(session, None),
        ),
        seen=seen,
    )


def fix_namespace(session: Session) -> StepResult:
    """Delete the pod from the other namespace; the one in the identity's namespace stays."""
    s = session.settings
    elsewhere = other_namespace(session)
    removed = delete_pod(session, DEMO_POD, elsewhere)
    kept = deploy_demo(session)
    return StepResult(
        step="fix_namespace",
        changed=removed or kept.changed,
        summary=_("pod {pod} runs only in namespace {namespace}, next to its binding").format(
            pod=repr(DEMO_POD), namespace=repr(s.namespace)
        ),
        details=(
            (
                _("deleted pod {pod} in namespace {namespace}")
                if removed
                else _("no pod {pod} in namespace {namespace}")
            ).format(pod=repr(DEMO_POD), namespace=repr(elsewhere)),
        ),
    )


def restore_namespace(session: Session) -> list[str]:
    """Remove the pod from the other namespace, if it is still there."""
    if delete_pod(session, DEMO_POD, other_namespace(session)):
        return [
            _("deleted pod {pod} in namespace {namespace}").format(
                pod=repr(DEMO_POD), namespace=repr(other_namespace(session))
            )
        ]
    return []


def checks_namespace(session: Session) -> list[CheckResult]:
    """No demo pod outside the pod identity's namespace; the one inside gets tokens."""
    s = session.settings
    elsewhere = other_namespace(session)
    stray = find_pod(session, DEMO_POD, elsewhere)
    return [
        CheckResult.compare(
            _("pod {pod} in namespace {namespace}").format(pod=DEMO_POD, namespace=elsewhere),
            _("present") if stray is not None else _("absent"),
            _("absent"),
            hint=_("managed mode matches bindings in the pod's own namespace ({namespace})").format(
                namespace=s.namespace
            ),
        ),
        *check_demo_logs(session).results,
    ]


# -- 3. the role is on the wrong resource group --------------------------------------------------


def _scopes(session: Session) -> tuple[str, str]:
    """(the node resource group's ID, the learner's resource group's ID)."""
    group = find_resource_group(session)
    node_scope = node_resource_group_id(session, require_cluster(session))
    return node_scope, str(group.id) if group is not None else ""


def break_scope(session: Session) -> StepResult:
    """Move the identity's Virtual Machine Contributor to the learner's resource group."""
    s = session.settings
    identity = require_identity(session)
    node_scope, group_scope = _scopes(session)
    principal = str(identity.principal_id)
    moved = revoke(session, node_scope, principal, VM_CONTRIBUTOR)
    if not find_role_assignments(session, group_scope, principal, VM_CONTRIBUTOR):
        with azure_errors():
            grant(session, group_scope, principal, VM_CONTRIBUTOR)
        moved = True
    _restart_demo(session)
    return StepResult(
        step="break_scope",
        changed=moved,
        summary=_(
            "{role} of {identity} is on resource group {group} instead of the node resource group"
        ).format(role=VM_CONTRIBUTOR, identity=repr(s.identity_name), group=repr(s.resource_group)),
        details=(
            _("pod {pod} restarted, so it lists VMs now rather than in 20 s").format(
                pod=repr(DEMO_POD)
            ),
        ),
    )


def _assignments_view(session: Session) -> Section:
    """``az role assignment list --assignee <clientId> --all`` as a table of role and scope."""
    identity = require_identity(session)
    with azure_errors():
        listed = list(
            session.authorization.role_assignments.list_for_scope(
                f"/subscriptions/{session.subscription_id}",
                filter=f"principalId eq '{identity.principal_id}'",
            )
        )
        rows = sorted(
            (
                session.authorization.role_definitions.get_by_id(a.role_definition_id).role_name,
                a.scope,
            )
            for a in listed
        )
    return Section(
        f"az role assignment list --assignee {identity.client_id} --all "
        '--query "[].{Role:roleDefinitionName, Scope:scope}" -o table',
        _az_table(("Role", "Scope"), rows),
    )


def _az_table(headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> tuple[str, ...]:
    """A table as ``az … -o table`` prints it: headers, dashes, rows."""
    cells = [list(headers), *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return tuple(line.rstrip() for line in lines)


def symptom_scope(session: Session) -> Symptom:
    """The demo's 403 line (its tokens still work), and where the role really is."""
    s = session.settings
    seen, log = _wait_for_log(session, s.namespace, (FORBIDDEN, "main.go:95"), COUNTED)
    return Symptom(
        sections=(
            log_view(session, DEMO_POD, s.namespace, log, ("main.go:73", "main.go:95")),
            _assignments_view(session),
        ),
        seen=seen,
    )


def fix_scope(session: Session) -> StepResult:
    """Grant the role on the node resource group and remove the wider, useless grant."""
    s = session.settings
    identity = require_identity(session)
    _own_scope, group_scope = _scopes(session)
    granted = assign_vm_contributor(session)
    removed = revoke(session, group_scope, str(identity.principal_id), VM_CONTRIBUTOR)
    _restart_demo(session)
    return StepResult(
        step="fix_scope",
        changed=granted.changed or removed,
        summary=_("{role} of {identity} is on the node resource group only").format(
            role=VM_CONTRIBUTOR, identity=repr(s.identity_name)
        ),
        details=(
            granted.summary,
            (
                _("removed {role} on resource group {group}")
                if removed
                else _("no {role} on resource group {group}")
            ).format(role=VM_CONTRIBUTOR, group=repr(s.resource_group)),
            _("pod {pod} restarted, so it lists VMs now rather than in 20 s").format(
                pod=repr(DEMO_POD)
            ),
        ),
    )


def checks_scope(session: Session) -> list[CheckResult]:
    """The role is at the node resource group only, and the demo counts VMs there."""
    s = session.settings
    identity = require_identity(session)
    _own_scope, group_scope = _scopes(session)
    wide = [
        a
        for a in find_role_assignments(
            session, group_scope, str(identity.principal_id), VM_CONTRIBUTOR
        )
        if str(a.scope or "").lower() == group_scope.lower()
    ]
    _done, log = _wait_for_log(session, s.namespace, (COUNTED,), FORBIDDEN)
    hit = next((log_line_text(line) for line in log.splitlines() if COUNTED in line), None)
    return [
        check_role_assignment(session),
        CheckResult.compare(
            _("{role} on resource group {group}").format(
                role=VM_CONTRIBUTOR, group=s.resource_group
            ),
            _("assigned") if wide else _("not assigned"),
            _("not assigned"),
            hint=_("least privilege: grant only where the pod needs it (the node resource group)"),
        ),
        CheckResult(
            _("the demo lists VMs in the node resource group"),
            passed=hit is not None and FORBIDDEN not in log,
            observed=hit or _("no such line; the log shows a 403"),
            expected=f"{COUNTED}: 0",
            hint=_("grant the role where the demo's --resourcegroup points, then restart the pod"),
        ),
    ]


# -- 7. a token request without the Metadata header ----------------------------------------------


def toolbox_manifest(session: Session) -> dict[str, Any]:
    """``kubectl run toolbox --image=curlimages/curl --labels=aadpodidbinding=… -- sleep 3600``."""
    s = session.settings
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": TOOLBOX_POD,
            "namespace": s.namespace,
            "labels": {"aadpodidbinding": s.pod_identity_name},
        },
        "spec": {
            "containers": [{"name": TOOLBOX_POD, "image": TOOLBOX_IMAGE, "args": ["sleep", "3600"]}]
        },
    }


# Without the header: NMI's answer. With it: only the status code, since the answer is a token.
NO_HEADER = ("curl", "-s", TOKEN_URL)
WITH_HEADER = (
    "curl",
    "-s",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}\\n",
    "-H",
    "Metadata:true",
    TOKEN_URL,
)


def _exec_section(session: Session, command: tuple[str, ...]) -> tuple[Section, str, int]:
    """Run ``kubectl exec toolbox -- <command>``; the transcript, stdout and exit code."""
    ns = session.settings.namespace
    out, err, code = exec_in_pod(session, TOOLBOX_POD, ns, command)
    shown = " ".join(f'"{a}"' if any(c in a for c in "?&%{\\") else a for a in command)
    lines = tuple((out + err).splitlines())
    if code:
        lines += (f"command terminated with exit code {code}",)
    return Section(f"kubectl exec {TOOLBOX_POD} -n {ns} -- {shown}", lines), out, code


def _ensure_toolbox(session: Session) -> bool:
    """Run the toolbox pod unless it runs already; whether it had to be started."""
    if find_pod(session, TOOLBOX_POD, session.settings.namespace) is not None:
        return False
    run_pod(session, toolbox_manifest(session))
    return True


def break_header(session: Session) -> StepResult:
    """Run the toolbox pod (curl), labelled for the pod identity, to ask IMDS by hand."""
    s = session.settings
    started = _ensure_toolbox(session)
    return StepResult(
        step="break_header",
        changed=started,
        summary=_(
            "pod {pod} ({image}) runs in namespace {namespace} with label aadpodidbinding: {label}"
        ).format(
            pod=repr(TOOLBOX_POD),
            image=TOOLBOX_IMAGE,
            namespace=repr(s.namespace),
            label=s.pod_identity_name,
        ),
        details=(_("the next cell asks it for a token with an old blog post's curl line"),),
    )


def symptom_header(session: Session) -> Symptom:
    """The token request without ``Metadata: true``, and NMI's answer, from inside the pod."""
    section, out, _code = _exec_section(session, NO_HEADER)
    return Symptom(sections=(section,), seen="Required metadata header" in out)


def fix_header(session: Session) -> StepResult:
    """Send the same request with ``Metadata: true`` (from the toolbox pod, run again if a
    verify already tidied it away)."""
    _ensure_toolbox(session)
    section, out, _code = _exec_section(session, WITH_HEADER)
    return StepResult(
        step="fix_header",
        changed=True,
        summary=_("with the header, NMI answered HTTP {status}").format(status=out.strip()),
        details=(f"$ {section.command}", *section.lines),
    )


def restore_header(session: Session) -> list[str]:
    """Remove the toolbox pod."""
    if delete_pod(session, TOOLBOX_POD, session.settings.namespace):
        return [
            _("deleted pod {pod} in namespace {namespace}").format(
                pod=repr(TOOLBOX_POD), namespace=repr(session.settings.namespace)
            )
        ]
    return []


def checks_header(session: Session) -> list[CheckResult]:
    """NMI refuses a request without the header and answers one with it, for the identity."""
    import jwt

    s = session.settings
    identity = require_identity(session)
    refused, _err, _code = exec_in_pod(
        session, TOOLBOX_POD, s.namespace, ("curl", "-s", "-w", " %{http_code}", TOKEN_URL)
    )
    answer, _err, _code = exec_in_pod(
        session, TOOLBOX_POD, s.namespace, ("curl", "-s", "-H", "Metadata:true", TOKEN_URL)
    )
    try:
        body = json.loads(answer)
    except ValueError:
        body = {}
    token = body.get("access_token") if isinstance(body, dict) else None
    claims = jwt.decode(token, options={"verify_signature": False}) if token else {}
    return [
        CheckResult.compare(
            _("without Metadata: true, NMI refuses"), f"HTTP {refused[-3:]}", "HTTP 400"
        ),
        CheckResult.compare(
            _("with Metadata: true, NMI answers with a token"),
            _("a token") if token else _("no token"),
            _("a token"),
            hint=_('send the header: -H "Metadata: true"'),
        ),
        CheckResult.compare(
            _("the token is for the managed identity (appid)"),
            claims.get("appid"),
            identity.client_id,
            hint=_("the pod's label must match the binding (exercise 1)"),
        ),
    ]

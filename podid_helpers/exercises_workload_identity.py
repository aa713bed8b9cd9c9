"""09's break-and-fix: the ways Workload ID fails, each met through a teammate's pod.

Every exercise runs the quick start's reader (msal-go) as a pod of its own, beside the learner's
objects, with one thing wrong: a service account the federated credential does not name
(AADSTS700213), no `azure.workload.identity/use` label (nothing injected), a credential with
another audience (AADSTS700212), or a service account that names an identity without the
credential (AADSTS70021). The verify cell restarts the pod and judges what it logs; the restore
removes the teammate's pod, service account, credentials and spare identity.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .checks import CheckResult
from .exercise_kit import POD_TIMEOUT, Section, Symptom, delete_pod, read_log
from .i18n import _
from .live import wait_until
from .lookups import azure_errors, find_pod, kube_errors, require_identity
from .results import StepResult
from .steps_workload_identity import (
    AUDIENCE,
    CLIENT_ID_ANNOTATION,
    FAILURE_LINE,
    SUCCESS_LINE,
    USE_LABEL,
    issuer_url,
    require_vault,
    require_workload_identity,
    wanted_pod,
)

if TYPE_CHECKING:
    from .session import Session

# Each exercise's teammate: the pod and service account share this name.
SUBJECT_POD = "wi-reports"
LABEL_POD = "wi-nolabel"
AUDIENCE_POD = "wi-audit"
OTHER_POD = "wi-billing"
WRONG_AUDIENCE = "api://AzureADTokenExchange/audit"
SPARE_IDENTITY_SUFFIX = "-billing"
# The lab's issuer carries its port, which changes every run.
_PORT = re.compile(r"(https?://[^/:\s']+):\d+")


# -- the teammate's objects -----------------------------------------------------------------------


def _service_account(session: Session, name: str, client_id: str) -> None:
    """Create (or re-annotate) the service account ``name`` naming ``client_id``."""
    from kubernetes.client import V1ObjectMeta, V1ServiceAccount
    from kubernetes.client.exceptions import ApiException

    namespace = session.settings.namespace
    body = V1ServiceAccount(
        metadata=V1ObjectMeta(name=name, annotations={CLIENT_ID_ANNOTATION: client_id})
    )
    with kube_errors():
        try:
            session.core_v1.create_namespaced_service_account(namespace, body)
        except ApiException as exc:
            if exc.status != 409:
                raise
            session.core_v1.patch_namespaced_service_account(name, namespace, body)


def _credential(session: Session, identity: str, name: str, sa: str, audience: str) -> None:
    """``az identity federated-credential create`` for the service account ``sa``."""
    s = session.settings
    cluster = require_workload_identity(session)
    with azure_errors():
        session.msi.federated_identity_credentials.create_or_update(
            s.resource_group,
            identity,
            name,
            {
                "properties": {
                    "issuer": issuer_url(cluster),
                    "subject": f"system:serviceaccount:{s.namespace}:{sa}",
                    "audiences": [audience],
                }
            },
        )


def _find_credential(session: Session, identity: str, name: str) -> Any | None:
    from azure.core.exceptions import ResourceNotFoundError

    with azure_errors():
        try:
            return session.msi.federated_identity_credentials.get(
                session.settings.resource_group, identity, name
            )
        except ResourceNotFoundError:
            return None


def _reader_pod(session: Session, name: str, *, labelled: bool = True) -> dict[str, Any]:
    """The quick start's reader as the teammate's pod ``name`` with service account ``name``."""
    manifest = wanted_pod(session, require_vault(session))
    manifest["metadata"]["name"] = name
    if not labelled:
        manifest["metadata"]["labels"].pop(USE_LABEL, None)
    manifest["spec"]["serviceAccountName"] = name
    return manifest


def _start_reader(session: Session, manifest: dict[str, Any]) -> None:
    """Create the reader pod (replacing one of that name) and wait for its first log line."""
    from kubernetes.client import V1Pod

    meta = manifest["metadata"]
    delete_pod(session, meta["name"], meta["namespace"])
    with kube_errors():
        body = V1Pod.from_dict(manifest)
        assert body is not None  # from_dict returns None only for None
        session.core_v1.create_namespaced_pod(meta["namespace"], body)
    wait_until(
        _("starting pod {pod}").format(pod=meta["name"]),
        lambda: (_outcome(session, meta["name"]) is not None, _("starting")),
        timeout=POD_TIMEOUT,
    )


def _outcome(session: Session, name: str) -> str | None:
    """The reader's verdict line (success or failure), or None before it logged one."""
    log = read_log(session, name, session.settings.namespace)
    return next(
        (line for line in log.splitlines() if SUCCESS_LINE in line or FAILURE_LINE in line), None
    )


def _restart_reader(session: Session, name: str, *, labelled: bool = True) -> str | None:
    """``kubectl delete pod`` + ``kubectl apply`` (the webhook and token come at creation)."""
    _start_reader(session, _reader_pod(session, name, labelled=labelled))
    return _outcome(session, name)


def _shown(verdict: str | None) -> tuple[str, ...]:
    """The restarted pod's verdict without its time, for stored output."""
    from .steps_demo import log_line_text

    return (log_line_text(verdict),) if verdict else ()


def _error_lines(log: str) -> tuple[str, ...]:
    """The reader's failure as stored output can show it: no trace IDs, times or lab port."""
    from .steps_demo import log_line_text

    lines = log.splitlines()
    at = next((i for i, line in enumerate(lines) if FAILURE_LINE in line), None)
    if at is None:
        return tuple(log_line_text(line) for line in lines[:1])
    if " err=<" not in lines[at]:  # a one-line error is quoted on the line itself
        return (_PORT.sub(r"\1:<port>", log_line_text(lines[at]).split(" Trace ID:")[0]),)
    head = log_line_text(lines[at]).split(" err=")[0] + " err=<"
    detail = next((line.strip() for line in lines[at + 1 :] if line.strip()), "")
    detail = _PORT.sub(r"\1:<port>", detail.split(" Trace ID:")[0])
    return (head, f"\t{detail}", " >")


def _symptom(session: Session, name: str, plain: str) -> Symptom:
    namespace = session.settings.namespace
    log = read_log(session, name, namespace)
    seen = FAILURE_LINE in log and SUCCESS_LINE not in log
    # No `kubectl get pod`: its restart count depends on timing, and stored output must not.
    return Symptom(
        (Section(f"kubectl logs {name} -n {namespace}", _error_lines(log)),), seen, plain
    )


def _reads_secret(session: Session, name: str, labelled: bool = True) -> CheckResult:
    """Restart the teammate's pod and judge its first verdict."""
    verdict = _restart_reader(session, name, labelled=labelled)
    return CheckResult.compare(
        _("pod {pod} reads the secret after a restart").format(pod=name),
        "successfully got secret" if verdict and SUCCESS_LINE in verdict else _("failed"),
        "successfully got secret",
    )


def _remove(session: Session, name: str, credentials: tuple[tuple[str, str], ...]) -> list[str]:
    """Delete the teammate's pod and service account, and the named credentials."""
    from kubernetes.client.exceptions import ApiException

    s = session.settings
    deleted = delete_pod(session, name, s.namespace)
    done = [_("deleted pod {pod}").format(pod=repr(name))] if deleted else []
    with kube_errors():
        try:
            session.core_v1.delete_namespaced_service_account(name, s.namespace)
            done.append(_("deleted service account {account}").format(account=repr(name)))
        except ApiException as exc:
            if exc.status != 404:
                raise
    for identity, credential in credentials:
        if _find_credential(session, identity, credential) is not None:
            with azure_errors():
                session.msi.federated_identity_credentials.delete(
                    s.resource_group, identity, credential
                )
            done.append(
                _("deleted federated credential {credential}").format(credential=repr(credential))
            )
    return done


# -- 9: the subject names another service account (AADSTS700213) --------------------------------


def break_subject(session: Session) -> StepResult:
    """A new service account for the reports job; the credential still names the old one."""
    identity = require_identity(session)
    _service_account(session, SUBJECT_POD, str(identity.client_id))
    _start_reader(session, _reader_pod(session, SUBJECT_POD))
    return StepResult(step="break_subject", changed=True, summary=f"pod {SUBJECT_POD!r} started")


def symptom_subject(session: Session) -> Symptom:
    """The reader's AADSTS700213: no credential for this subject."""
    return _symptom(
        session,
        SUBJECT_POD,
        _("Entra ID found no federated credential on the identity for this service account."),
    )


def fix_subject(session: Session) -> StepResult:
    """Add a federated credential for the new service account, then restart the pod."""
    s = session.settings
    _credential(session, s.identity_name, SUBJECT_POD, SUBJECT_POD, AUDIENCE)
    verdict = _restart_reader(session, SUBJECT_POD)
    return StepResult(
        step="fix_subject",
        changed=True,
        summary=_("federated credential {credential} added for {subject}; pod restarted").format(
            credential=repr(SUBJECT_POD),
            subject=f"system:serviceaccount:{s.namespace}:{SUBJECT_POD}",
        ),
        details=_shown(verdict),
    )


def checks_subject(session: Session) -> list[CheckResult]:
    """A credential names the pod's service account, and the restarted pod reads the secret."""
    return [_reads_secret(session, SUBJECT_POD)]


def restore_subject(session: Session) -> list[str]:
    """Remove the reports job's pod, service account and credential."""
    return _remove(session, SUBJECT_POD, ((session.settings.identity_name, SUBJECT_POD),))


# -- 10: the label is missing (nothing injected) ---------------------------------------------------


def break_label(session: Session) -> StepResult:
    """A pod with the annotated service account but without `azure.workload.identity/use`."""
    s = session.settings
    identity = require_identity(session)
    _service_account(session, LABEL_POD, str(identity.client_id))
    _credential(session, s.identity_name, LABEL_POD, LABEL_POD, AUDIENCE)
    _start_reader(session, _reader_pod(session, LABEL_POD, labelled=False))
    return StepResult(step="break_label", changed=True, summary=f"pod {LABEL_POD!r} started")


def symptom_label(session: Session) -> Symptom:
    """No AZURE_* variables and no token file: the webhook never saw the pod."""
    found = _symptom(
        session,
        LABEL_POD,
        _(
            "The webhook mutates only labelled pods: this one got no AZURE_* variables and no "
            "token."
        ),
    )
    pod = find_pod(session, LABEL_POD, session.settings.namespace)
    names = [e.name for e in (pod.spec.containers[0].env or [])] if pod is not None else []
    namespace = session.settings.namespace
    env = Section(
        f"kubectl get pod {LABEL_POD} -n {namespace} "
        "-o jsonpath='{.spec.containers[0].env[*].name}'",
        (" ".join(names),),
    )
    return Symptom((*found.sections, env), found.seen, found.plain)


def fix_label(session: Session) -> StepResult:
    """Delete the pod and create it again with the label (the webhook acts at creation only)."""
    verdict = _restart_reader(session, LABEL_POD)
    return StepResult(
        step="fix_label",
        changed=True,
        summary=_("pod {pod} created again with {label}").format(
            pod=repr(LABEL_POD), label=f'{USE_LABEL}: "true"'
        ),
        details=_shown(verdict),
    )


def checks_label(session: Session) -> list[CheckResult]:
    """The pod carries the label, got the webhook's environment and reads the secret."""
    pod = find_pod(session, LABEL_POD, session.settings.namespace)
    labelled = pod is not None and (pod.metadata.labels or {}).get(USE_LABEL) == "true"
    return [
        CheckResult.compare(
            _("pod {pod} has the {label} label").format(pod=LABEL_POD, label=USE_LABEL),
            labelled,
            True,
        ),
        _reads_secret(session, LABEL_POD, labelled=True),
    ]


def restore_label(session: Session) -> list[str]:
    """Remove the pod, its service account and its credential."""
    return _remove(session, LABEL_POD, ((session.settings.identity_name, LABEL_POD),))


# -- 11: the credential's audience is another one (AADSTS700212) -------------------------------


def break_audience(session: Session) -> StepResult:
    """A credential made with a made-up audience instead of api://AzureADTokenExchange."""
    s = session.settings
    identity = require_identity(session)
    _service_account(session, AUDIENCE_POD, str(identity.client_id))
    _credential(session, s.identity_name, AUDIENCE_POD, AUDIENCE_POD, WRONG_AUDIENCE)
    _start_reader(session, _reader_pod(session, AUDIENCE_POD))
    return StepResult(step="break_audience", changed=True, summary=f"pod {AUDIENCE_POD!r} started")


def symptom_audience(session: Session) -> Symptom:
    """The reader's AADSTS700212: issuer and subject match, the audience does not."""
    return _symptom(
        session,
        AUDIENCE_POD,
        _("The token's audience is api://AzureADTokenExchange; the credential expects another."),
    )


def fix_audience(session: Session) -> StepResult:
    """``az identity federated-credential update --audiences api://AzureADTokenExchange``."""
    s = session.settings
    _credential(session, s.identity_name, AUDIENCE_POD, AUDIENCE_POD, AUDIENCE)
    verdict = _restart_reader(session, AUDIENCE_POD)
    return StepResult(
        step="fix_audience",
        changed=True,
        summary=_("federated credential {credential} now expects {audience}; pod restarted").format(
            credential=repr(AUDIENCE_POD), audience=AUDIENCE
        ),
        details=_shown(verdict),
    )


def checks_audience(session: Session) -> list[CheckResult]:
    """The credential's audience is the webhook's, and the restarted pod reads the secret."""
    credential = _find_credential(session, session.settings.identity_name, AUDIENCE_POD)
    audiences = list(credential.audiences or []) if credential is not None else []
    return [
        CheckResult.compare(f"credential {AUDIENCE_POD} audiences", audiences, [AUDIENCE]),
        _reads_secret(session, AUDIENCE_POD),
    ]


def restore_audience(session: Session) -> list[str]:
    """Remove the pod, its service account and its credential."""
    return _remove(session, AUDIENCE_POD, ((session.settings.identity_name, AUDIENCE_POD),))


# -- 12: the service account names an identity without the credential (AADSTS70021) --------------


def _spare_identity(session: Session) -> str:
    return session.settings.identity_name + SPARE_IDENTITY_SUFFIX


def break_other_identity(session: Session) -> StepResult:
    """A second identity for billing; its service account names it, the credential is on yours."""
    s = session.settings
    with azure_errors():
        spare = session.msi.user_assigned_identities.create_or_update(
            s.resource_group, _spare_identity(session), {"location": s.location}
        )
    _service_account(session, OTHER_POD, str(spare.client_id))
    _credential(session, s.identity_name, OTHER_POD, OTHER_POD, AUDIENCE)
    _start_reader(session, _reader_pod(session, OTHER_POD))
    return StepResult(
        step="break_other_identity", changed=True, summary=f"pod {OTHER_POD!r} started"
    )


def symptom_other_identity(session: Session) -> Symptom:
    """The reader's AADSTS70021: the identity it asked for has no federated credential."""
    return _symptom(
        session,
        OTHER_POD,
        _("The identity the service account names has no federated credential at all."),
    )


def fix_other_identity(session: Session) -> StepResult:
    """Annotate the service account with the identity that holds the credential; restart."""
    identity = require_identity(session)
    _service_account(session, OTHER_POD, str(identity.client_id))
    verdict = _restart_reader(session, OTHER_POD)
    return StepResult(
        step="fix_other_identity",
        changed=True,
        summary=_("service account {account} names {identity}; pod restarted").format(
            account=repr(OTHER_POD), identity=repr(session.settings.identity_name)
        ),
        details=_shown(verdict),
    )


def checks_other_identity(session: Session) -> list[CheckResult]:
    """The restarted pod reads the secret (the credential and the annotation agree)."""
    return [_reads_secret(session, OTHER_POD)]


def restore_other_identity(session: Session) -> list[str]:
    """Remove the pod, service account, credential and the spare identity."""
    s = session.settings
    done = _remove(session, OTHER_POD, ((s.identity_name, OTHER_POD),))
    from azure.core.exceptions import ResourceNotFoundError

    spare = _spare_identity(session)
    with azure_errors():
        try:
            session.msi.user_assigned_identities.get(s.resource_group, spare)
        except ResourceNotFoundError:
            return done
        session.msi.user_assigned_identities.delete(s.resource_group, spare)
    done.append(_("deleted identity {identity}").format(identity=repr(spare)))
    return done

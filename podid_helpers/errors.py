"""What can go wrong, named for the learner, with a short message instead of a traceback.

The tree::

    PodidError
    ├── InvalidSettingError (also ValueError)       a setting breaks Azure's or Kubernetes' rules
    ├── StepOrderError                              a prerequisite step has not been run
    ├── LabNotRunningError (also ConnectionError)   the offline lab cannot be reached
    ├── AzureOperationError                         Azure refused a request (keeps ARM's code)
    ├── KubernetesOperationError                    the Kubernetes API refused a request
    └── CheckFailedError (also AssertionError)      a verify cell found something wrong

Every ``PodidError`` implements ``_render_traceback_``: IPython then shows just the message,
so a failed cell tells the learner what is wrong and how to fix it, without a wall of frames.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .i18n import N_, _, ngettext

if TYPE_CHECKING:  # only attributes are read: importing the SDKs here would slow every import
    from azure.core.exceptions import HttpResponseError
    from kubernetes.client.exceptions import ApiException

__all__ = [
    "AzureOperationError",
    "CheckFailedError",
    "InvalidSettingError",
    "KubernetesOperationError",
    "LabNotRunningError",
    "PodidError",
    "StepOrderError",
    "translate_azure_error",
    "translate_kube_error",
]


class PodidError(Exception):
    """Root of every error the tutorial raises on purpose."""

    def _render_traceback_(self) -> list[str]:
        """Return the lines IPython shows instead of a traceback."""
        first, *rest = str(self).splitlines() or [""]
        return [f"{type(self).__name__}: {first}", *rest]


class InvalidSettingError(PodidError, ValueError):
    """One or more settings break the naming rules; each problem is one line."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        count = len(self.problems)
        head = ngettext(
            "{count} setting is invalid:", "{count} settings are invalid:", count
        ).format(count=count)
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class StepOrderError(PodidError):
    """A step needs something an earlier step creates, and it is not there."""

    def __init__(self, step: str, missing: str) -> None:
        self.step = step
        self.missing = missing
        super().__init__(_("run {step} first: {missing}").format(step=step, missing=missing))


class LabNotRunningError(PodidError, ConnectionError):
    """The offline lab is not reachable."""


class AzureOperationError(PodidError):
    """Azure refused a request; ``code`` is ARM's error code, ``detail`` Azure's own words."""

    def __init__(
        self, sentence: str, *, code: str | None, status: int | None, detail: str = ""
    ) -> None:
        self.sentence = sentence
        self.code = code
        self.status = status
        self.detail = detail
        super().__init__(_compose(sentence, code or _status_label(status), "Azure", detail))


class KubernetesOperationError(PodidError):
    """The Kubernetes API refused a request; ``reason`` is the API's Status reason."""

    def __init__(
        self, sentence: str, *, reason: str | None, status: int | None, detail: str = ""
    ) -> None:
        self.sentence = sentence
        self.reason = reason
        self.status = status
        self.detail = detail
        super().__init__(_compose(sentence, reason or _status_label(status), "Kubernetes", detail))


class CheckFailedError(PodidError, AssertionError):
    """A verify cell's check did not pass; the message says what was seen and what to do."""


def _status_label(status: int | None) -> str:
    return f"HTTP {status}" if status is not None else _("no status")


def _compose(sentence: str, code: str, source: str, detail: str) -> str:
    lines = [f"{sentence} [{code}]"]
    if detail:
        lines.append(_("{source} said: {detail}").format(source=source, detail=detail))
    return "\n".join(lines)


_AZURE_SENTENCES = {
    "AuthorizationFailed": N_(
        "Your identity has no role that allows this action on this scope. Assign a role that "
        "does, or wait a minute and retry if you have just assigned one (role assignments take "
        "a while to propagate)."
    ),
    "LinkedAuthorizationFailed": N_(
        "The cluster's own identity has no role over a resource this needs (for pod identity: "
        "Managed Identity Operator over the managed identity). Grant it, or wait a minute if "
        "it was just granted."
    ),
    "ResourceNotFound": N_(
        "Azure cannot find this resource. Check the names in your settings, or run the step "
        "that creates it first."
    ),
    "ResourceGroupNotFound": N_(
        "The resource group does not exist. Check resource_group in your settings, or run "
        "02-create-cluster, which creates it."
    ),
    "PrincipalNotFound": N_(
        "The identity's service principal is not visible yet: a new managed identity takes a "
        "minute or two to replicate in Entra ID. Wait a moment and run the cell again."
    ),
    "RoleAssignmentExists": N_(
        "This role is already assigned to this identity at this scope, so there is nothing to do."
    ),
    "MissingSubscriptionRegistration": N_(
        "The subscription is not registered for this resource provider. Run "
        "01-prepare-subscription, which registers it, then run this cell again."
    ),
    "AADSTS7000215": N_(
        "Entra ID rejected the client secret. Check that you use the secret's value (shown once, "
        "when it was created), not its ID, and that it has not expired."
    ),
    "InvalidAuthenticationToken": N_(
        "Azure rejected the access token. Run connect() again to get a fresh credential."
    ),
    "ExpiredAuthenticationToken": N_(
        "The access token has expired. Run connect() again to get a fresh credential."
    ),
}

_AADSTS = re.compile(r"AADSTS\d+")
_FEATURE_NOT_REGISTERED = re.compile(
    r"feature\s+'?(?P<feature>[\w./-]+)'?\s+is\s+not\s+(?:enabled|registered)", re.IGNORECASE
)

_AZURE_BY_STATUS = {
    401: N_(
        "Azure did not accept your credentials. Run connect() again and check how you sign in."
    ),
    403: N_("Azure refused this action for your identity."),
    404: N_("Azure cannot find this resource. Run the step that creates it first."),
    409: N_(
        "Azure reports a conflict: the resource is busy or in a different state. Retry shortly."
    ),
    429: N_("Azure is throttling requests. Wait a minute and run the cell again."),
}


def _azure_code_and_message(exc: HttpResponseError) -> tuple[str | None, str]:
    if exc.error is not None and exc.error.code:
        return exc.error.code, exc.error.message or ""
    message = str(exc.message or "")
    # Entra ID sign-in failures carry no ARM envelope, only an AADSTS code in the text.
    aadsts = _AADSTS.search(message)
    return (aadsts.group(0) if aadsts else None), message


def translate_azure_error(exc: HttpResponseError) -> AzureOperationError:
    """Turn an azure-core ``HttpResponseError`` into a sentence a learner understands."""
    code, message = _azure_code_and_message(exc)
    feature = _FEATURE_NOT_REGISTERED.search(message)
    if feature:
        sentence = _(
            "The preview feature {feature} is not registered on this "
            "subscription. Run 01-prepare-subscription and wait until it shows Registered."
        ).format(feature=feature.group("feature"))
    elif code in _AZURE_SENTENCES:
        sentence = _(_AZURE_SENTENCES[code])
    elif (code or "").startswith("AADSTS"):
        sentence = _(
            "Entra ID refused the sign-in. Check the tenant, the client ID and the secret."
        )
    elif exc.status_code in _AZURE_BY_STATUS:
        sentence = _(_AZURE_BY_STATUS[exc.status_code])
    else:
        sentence = _("Azure refused the request.")
    return AzureOperationError(
        sentence, code=code, status=exc.status_code, detail=_first_line(message)
    )


_KUBE_SENTENCES = {
    "NotFound": N_(
        "Kubernetes cannot find this object. Check the name and namespace, or run the step "
        "that creates it first."
    ),
    "AlreadyExists": N_("An object with this name already exists in the cluster."),
    "Conflict": N_("The object changed while this request was in flight. Run the cell again."),
    "Forbidden": N_(
        "Kubernetes refused this action for your user. Fetch the cluster credentials again "
        "(02-create-cluster writes them)."
    ),
    "Unauthorized": N_(
        "Kubernetes did not accept your credentials. Fetch the cluster credentials again "
        "(02-create-cluster writes them)."
    ),
}

# Used only when the response has no Status body to read the reason from.
_KUBE_REASON_BY_STATUS = {404: "NotFound", 409: "Conflict", 403: "Forbidden", 401: "Unauthorized"}


def translate_kube_error(exc: ApiException) -> KubernetesOperationError:
    """Turn a kubernetes ``ApiException`` into a sentence a learner understands."""
    status = exc.status if isinstance(exc.status, int) else None
    reason, message = None, ""
    try:
        body = json.loads(exc.body) if exc.body else None
    except (ValueError, TypeError):
        body = None
    if isinstance(body, dict):
        reason = body.get("reason") or None
        message = str(body.get("message", ""))
    reason = reason or _KUBE_REASON_BY_STATUS.get(status or 0) or exc.reason
    sentence = _(_KUBE_SENTENCES.get(reason or "", N_("The Kubernetes API refused the request.")))
    return KubernetesOperationError(
        sentence, reason=reason, status=status, detail=_first_line(message)
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""

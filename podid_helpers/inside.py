"""Inside the lab: NMI's first decision for a pod, and what each kind of token says (claims).

The lab records what happens inside it (`podid-lab events`); these helpers read those events
through its owner-only admin route. They show claims and names only, never a token.
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import PodidError
from .exercise_kit import delete_pod, lab_admin, require_lab, run_pod
from .exercises_pods import wrong_label
from .i18n import N_, _, display_width, ljust_display
from .live import wait_until
from .lookups import kube_errors
from .manifests import DEMO_POD

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "ClaimsTable",
    "InsidePageLink",
    "NmiDecisions",
    "inside_page_link",
    "nmi_first_decisions",
    "token_claims",
]

WRONG_LABEL_POD = "demo-wrong-label"
ARM_SCOPE = "https://management.azure.com/.default"
# The claims that say who a token speaks for and for what; times vary run to run, so the
# table shows a token's lifetime instead of its issue and expiry times.
CLAIMS = ("aud", "iss", "appid", "oid", "sub", "tid", "idtyp", "xms_mirid", "ver")
TOKEN_KINDS = ("service principal", "pod identity", "Workload ID")
DECISION_TIMEOUT = 45.0


def _table_html(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td style='text-align:left'>{html.escape(c)}</td>" for c in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _table_text(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(display_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    return "\n".join(
        "  ".join(
            ljust_display(cell, width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in [headers, *rows]
    )


_NMI_HEADERS = (
    N_("pod"),
    N_("label aadpodidbinding"),
    N_("NMI answered"),
    N_("binding → identity, or why not"),
)


@dataclass(frozen=True, repr=False)
class NmiDecisions:
    """NMI's first answer to each pod: its label, the status, and the binding or the reason."""

    rows: tuple[tuple[str, str, str, str], ...]

    @property
    def headers(self) -> tuple[str, ...]:
        """The column titles, in the learner's language."""
        return tuple(_(h) for h in _NMI_HEADERS)

    def text(self) -> str:
        """Return the decisions as aligned text."""
        return _table_text(self.headers, self.rows)

    __repr__ = __str__ = text

    def _repr_html_(self) -> str:
        return _table_html(self.headers, self.rows)


@dataclass(frozen=True, repr=False)
class ClaimsTable:
    """Claims of one token of each kind, side by side (decoded for display, never the token)."""

    kinds: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return (_("claim"), *self.kinds)

    def text(self) -> str:
        """Return the claims as aligned text."""
        return _table_text(self.headers, self.rows)

    __repr__ = __str__ = text

    def _repr_html_(self) -> str:
        return _table_html(self.headers, self.rows)


def lab_events(session: Session) -> list[dict[str, Any]]:
    """Every event the lab still keeps, oldest first (`podid-lab events --json`)."""
    require_lab(session, _("the events are the lab's own record of what happens inside it"))
    events: list[dict[str, Any]] = lab_admin(session, "GET", "/_lab/events")["value"]
    return events


def _first_decision(session: Session, pod: str) -> dict[str, Any] | None:
    namespace = session.settings.namespace
    return next(
        (
            e
            for e in lab_events(session)
            if e["kind"] == "nmi" and (e["namespace"], e["pod"]) == (namespace, pod)
        ),
        None,
    )


def _answered(session: Session, pod: str) -> Callable[[], tuple[bool, str]]:
    return lambda: (_first_decision(session, pod) is not None, _("waiting for NMI"))


def nmi_first_decisions(session: Session) -> NmiDecisions:
    """Run a pod labelled wrongly beside the demo and show NMI's first answer to each."""
    s = session.settings
    manifest = _wrong_label_manifest(session)
    run_pod(session, manifest)
    try:
        decisions = {}
        for pod in (DEMO_POD, WRONG_LABEL_POD):
            ok, _state = wait_until(
                _("NMI's first answer to pod {pod}").format(pod=pod),
                _answered(session, pod),
                timeout=DECISION_TIMEOUT,
            )
            if not ok:
                raise PodidError(
                    _(
                        "NMI has not answered pod {pod} in namespace {namespace} within "
                        "{seconds} s; is it running? (kubectl get pod {name})"
                    ).format(
                        pod=repr(pod),
                        namespace=repr(s.namespace),
                        seconds=f"{DECISION_TIMEOUT:.0f}",
                        name=pod,
                    )
                )
            decisions[pod] = _first_decision(session, pod)
    finally:
        with kube_errors():
            delete_pod(session, WRONG_LABEL_POD, s.namespace)
    rows = []
    for pod, e in decisions.items():
        assert e is not None  # waited for above
        why = f"{e['binding']} → {e['identity']}" if e["identity"] else e["reason"]
        rows.append((pod, e["selector"] or _("(none)"), f"{e['status']} {e['outcome']}", why))
    return NmiDecisions(tuple(rows))


def _wrong_label_manifest(session: Session) -> dict[str, Any]:
    import yaml

    from .steps_demo import demo_manifest

    manifest: dict[str, Any] = yaml.safe_load(demo_manifest(session))
    manifest["metadata"]["name"] = WRONG_LABEL_POD
    manifest["metadata"]["labels"]["aadpodidbinding"] = wrong_label(session)
    return manifest


def _decoded(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def _is_kind(event: dict[str, Any], kind: str) -> bool:
    """True for an event that hands out a token of `kind` (pod identity: NMI's answer)."""
    if kind == "pod identity":
        return bool(event["kind"] == "nmi")
    return bool(event["kind"] == "entra" and "assertion" in event["grant"])


def _claims_of(session: Session, kind: str) -> dict[str, Any] | None:
    """The claims of the newest token of `kind` (the learner's own, or one the lab recorded)."""
    if kind == "service principal":
        return _decoded(session.credential.get_token(ARM_SCOPE).token)
    if session.mode != "lab":
        return None  # only the lab records the tokens pods get
    # The newest: an identity deleted and made again under its name has new IDs.
    for e in reversed(lab_events(session)):
        if e["status"] == 200 and _is_kind(e, kind):
            return dict(e["claims"])
    return None


def token_claims(session: Session, *kinds: str) -> ClaimsTable:
    """The claims of a service principal's, a pod identity's and a Workload ID token, compared."""
    unknown = [k for k in kinds if k not in TOKEN_KINDS]
    if unknown or not kinds:
        raise PodidError(
            _("token kinds are {kinds}; not {unknown}").format(
                kinds=", ".join(TOKEN_KINDS), unknown=unknown or "none"
            )
        )
    found = [_claims_of(session, kind) for kind in kinds]
    missing = _("no token yet") if session.mode == "lab" else _("(recorded only in the lab)")
    rows = [
        (name, *(str(c.get(name, "—")) if c is not None else missing for c in found))
        for name in CLAIMS
    ]
    rows.append(
        (
            _("lifetime (exp − iat)"),
            *(f"{c['exp'] - c['iat']} s" if c is not None else missing for c in found),
        )
    )
    return ClaimsTable(tuple(kinds), tuple(rows))


@dataclass(frozen=True, repr=False)
class InsidePageLink:
    """A link to the lab's inside page through this Jupyter server (no host, no port)."""

    href: str

    def text(self) -> str:
        """Return where the page is, for a terminal or a plain-text view."""
        return _("the lab's inside page: {href} on this Jupyter server (behind its login)").format(
            href=self.href
        )

    __repr__ = __str__ = text

    def _repr_html_(self) -> str:
        href = html.escape(self.href)
        link = html.escape(_("Open the lab's inside page"), quote=False)
        where = _("({href} on this Jupyter server, behind its login)").format(
            href=f"<code>{href}</code>"
        )
        return f'<a href="{href}" target="_blank" rel="noopener">{link}</a> {where}'


def inside_page_link(session: Session) -> InsidePageLink:
    """The inside page's link under this Jupyter server (a JupyterHub user's prefix included)."""
    require_lab(session, _("the inside page shows what happens inside the lab"))
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    return InsidePageLink(f"{prefix.rstrip('/')}/podid/ui/")

"""The lab's event log: structured events at its decision points, bounded, in memory.

An event holds claims and names, never a token, secret or key: callers pass decoded claims (the
allow-list below), and `record` scrubs any string that still looks like a JWT, as a last guard.
The log lives in memory only (a restart or a reset starts it afresh) and keeps the newest
`MAX_EVENTS`, so a room of demo pods polling every 20 s cannot grow it without bound.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import deque
from typing import Any

KINDS = ("entra", "nmi", "arm", "workload-identity", "keyvault")
MAX_EVENTS = 2000
# The claims worth showing a learner: who the token speaks for, for what, from whom, how long.
SHOWN_CLAIMS = (
    "aud",
    "iss",
    "sub",
    "oid",
    "appid",
    "tid",
    "idtyp",
    "xms_mirid",
    "iat",
    "nbf",
    "exp",
    "ver",
)
_JWT = re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}(\.[\w-]*)?")
Event = dict[str, Any]


def claims_of(token: str) -> dict[str, Any]:
    """The shown claims of a JWT, decoded for display (its signature is not kept or checked)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    if not isinstance(claims, dict):
        return {}
    return {name: claims[name] for name in SHOWN_CLAIMS if name in claims}


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _JWT.sub("[token withheld]", value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


class EventLog:
    """The newest events, numbered from 1; followers ask for those after a number they saw."""

    def __init__(self, limit: int = MAX_EVENTS) -> None:
        self._events: deque[Event] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._next = 1

    def record(self, kind: str, outcome: str, **fields: Any) -> Event:
        """Append one event of `kind` with its `outcome`; returns it."""
        if kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}; one of {', '.join(KINDS)}")
        event: Event = {"kind": kind, "outcome": outcome, **_scrub(fields)}
        with self._lock:
            event = {"seq": self._next, "time": round(time.time(), 3), **event}
            self._next += 1
            self._events.append(event)
        return event

    def after(self, seq: int) -> list[Event]:
        """The events numbered above `seq`, oldest first."""
        with self._lock:
            return [e for e in self._events if e["seq"] > seq]

    @property
    def last(self) -> int:
        """The number of the newest event (0 when none was recorded)."""
        return self._next - 1

    def clear(self) -> None:
        """Forget every event (a reset); numbering goes on, so followers see only new ones."""
        with self._lock:
            self._events.clear()

    # -- one recorder per decision point ------------------------------------------------------

    def entra(
        self, grant: str, client_id: str, status: int, *, token: str = "", code: int = 0
    ) -> None:
        """Entra answered a token request: issued (claims of `token`) or refused (AADSTS `code`)."""
        claims = claims_of(token) if token else {}
        self.record(
            "entra",
            "issued" if status == 200 else f"AADSTS{code}",
            status=status,
            grant=grant,
            client_id=client_id,
            oid=claims.get("oid", ""),
            audience=claims.get("aud", ""),
            claims=claims,
        )

    def nmi(
        self,
        where: tuple[str, str, str],
        status: int,
        *,
        resource: str,
        selector: str,
        binding: str = "",
        identity: str = "",
        reason: str = "",
        token: str = "",
    ) -> None:
        """NMI answered a pod (cluster, namespace, pod): the binding it matched, or why none did."""
        cluster, namespace, pod = where
        self.record(
            "nmi",
            "issued" if status == 200 else "refused",
            status=status,
            cluster=cluster,
            namespace=namespace,
            pod=pod,
            selector=selector,
            binding=binding,
            identity=identity,
            resource=resource,
            reason=reason,
            claims=claims_of(token) if token else {},
        )

    def arm(self, oid: str, action: str, scope: str, grant: tuple[str, str, str] | None) -> None:
        """ARM's RBAC check of `action` at `scope` for principal `oid`: the grant (assignment ID,
        role name, its scope) that allowed it, or AuthorizationFailed."""
        assignment, role, granted_at = grant or ("", "", "")
        self.record(
            "arm",
            "allowed" if grant else "AuthorizationFailed",
            status=200 if grant else 403,
            oid=oid,
            action=action,
            scope=scope,
            assignment=assignment,
            role=role,
            assignment_scope=granted_at,
        )

    def workload_identity(
        self,
        client_id: str,
        assertion: dict[str, Any],
        status: int,
        *,
        credential: str = "",
        code: int = 0,
    ) -> None:
        """Entra exchanged a federated assertion (its claims) or refused it (AADSTS `code`)."""
        self.record(
            "workload-identity",
            "exchanged" if status == 200 else f"AADSTS{code}",
            status=status,
            client_id=client_id,
            issuer=assertion.get("iss", ""),
            subject=assertion.get("sub", ""),
            audience=assertion.get("aud", ""),
            credential=credential,
        )

    def keyvault(
        self, vault: str, verb: str, secret: str, principal: tuple[str, str], granted_by: str
    ) -> None:
        """Key Vault decided on `verb` of a secret (its name, never its value) for (object ID,
        app ID): the role or access policy that allowed it, or Forbidden."""
        oid, appid = principal
        self.record(
            "keyvault",
            "allowed" if granted_by else "Forbidden",
            status=200 if granted_by else 403,
            vault=vault,
            operation=verb,
            secret_name=secret,
            oid=oid,
            appid=appid,
            granted_by=granted_by,
        )


def describe(event: Event) -> str:
    """One line a person reads: what happened and what was decided."""
    e, kind = event, event["kind"]
    if kind == "entra":
        line = f"{e['grant']} for client {e['client_id']}"
        return line + (f" -> token for {e['audience']} (oid {e['oid']})" if e["audience"] else "")
    if kind == "nmi":
        asked = f"{e['cluster']}/{e['namespace']}/{e['pod']} asks for {e['resource']}"
        if e["identity"]:
            return f"{asked} -> {e['status']} identity {e['identity']} via {e['binding']}"
        return f"{asked} -> {e['status']} {e['reason']}"
    if kind == "arm":
        granted = f"allowed by {e['role']} at {e['assignment_scope']}" if e["role"] else ""
        return f"oid {e['oid']} {e['action']} at {e['scope']} -> {granted or e['outcome']}"
    if kind == "workload-identity":
        return f"{e['subject']} from {e['issuer']} -> {e['credential'] or e['outcome']}"
    return (
        f"oid {e['oid']} {e['operation']} secret {e['secret_name']} in {e['vault']} -> "
        f"{e['granted_by'] or e['outcome']}"
    )

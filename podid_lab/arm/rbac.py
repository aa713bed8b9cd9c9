"""Azure RBAC: the built-in role definitions and the check every ARM request passes."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from ..events.models import EventLog
from ..ids import is_within, resource_key
from ..store import Document, Store
from .errors import authorization_failed

ROLE_ASSIGNMENTS = "roleAssignments"


@lru_cache(maxsize=1)
def builtin_roles() -> tuple[dict[str, Any], ...]:
    """The built-in roles the lab knows, with their real IDs, names and permissions."""
    raw = resources.files("podid_lab").joinpath("data/builtin-roles.json").read_text()
    return tuple(json.loads(raw)["roles"])


def role_by_id(role_id: str) -> dict[str, Any] | None:
    """A built-in role by its GUID (the last segment of a role definition ID)."""
    guid = role_id.rstrip("/").rsplit("/", 1)[-1].lower()
    return next((r for r in builtin_roles() if r["name"] == guid), None)


def role_by_name(name: str) -> dict[str, Any] | None:
    """A built-in role by its display name, case-insensitively."""
    return next((r for r in builtin_roles() if r["roleName"].lower() == name.lower()), None)


@lru_cache(maxsize=512)
def _action_regex(pattern: str) -> re.Pattern[str]:
    # A whole-segment wildcard also matches no segment at all: Managed Identity Operator's
    # `userAssignedIdentities/*/assign/action` grants `userAssignedIdentities/assign/action`.
    parts = [".*".join(re.escape(p) for p in chunk.split("*")) for chunk in pattern.split("/*/")]
    return re.compile("^" + "(?:/.*)?/".join(parts) + "$", re.IGNORECASE)


def role_allows(role: dict[str, Any], action: str, *, data: bool = False) -> bool:
    """True if the role's permissions grant `action` (wildcards; notActions subtract).

    `data` checks a data action (e.g. reading a Key Vault secret) against dataActions.
    """
    allow, deny = ("dataActions", "notDataActions") if data else ("actions", "notActions")
    for perm in role["permissions"]:
        if any(_action_regex(a).match(action) for a in perm.get(allow, [])) and not any(
            _action_regex(n).match(action) for n in perm.get(deny, [])
        ):
            return True
    return False


class Authorizer:
    """Decides whether a principal may perform an action at a scope, from role assignments."""

    def __init__(self, store: Store, events: EventLog) -> None:
        self._store = store
        self._events = events

    def assignments_for(self, principal_id: str) -> list[Document]:
        """Every role assignment held by `principal_id`."""
        pid = principal_id.lower()
        return [
            doc
            for _, doc in self._store.scan(ROLE_ASSIGNMENTS)
            if doc["properties"]["principalId"].lower() == pid
        ]

    def grant(
        self, principal_id: str, action: str, scope: str, *, data: bool = False
    ) -> tuple[str, str, str] | None:
        """The (assignment ID, role name, scope) at `scope` or above that grants `action` (a
        data action if `data`), or None."""
        for doc in self.assignments_for(principal_id):
            props = doc["properties"]
            if not is_within(props["scope"], scope):
                continue
            role = role_by_id(props["roleDefinitionId"])
            if role is not None and role_allows(role, action, data=data):
                return doc["id"], role["roleName"], props["scope"]
        return None

    def allowed(self, principal_id: str, action: str, scope: str, *, data: bool = False) -> bool:
        """True if an assignment at `scope` or above grants `action` (a data action if `data`)."""
        return self.grant(principal_id, action, scope, data=data) is not None

    def require(self, principal_id: str, action: str, scope: str) -> None:
        """Raise AuthorizationFailed (403) unless the principal may do `action` at `scope`."""
        grant = self.grant(principal_id, action, scope)
        self._events.arm(principal_id, action, scope or "/", grant)
        if grant is None:
            raise authorization_failed(principal_id, action, scope or "/")

    def remove_scope(self, scope: str) -> int:
        """Delete the assignments at `scope` and below (a scope's deletion takes them along)."""
        return self._store.delete_tree(ROLE_ASSIGNMENTS, resource_key(scope))


def role_definition_id(scope: str, role_guid: str) -> str:
    """The ID of a role definition as seen from `scope` (ARM prefixes the subscription)."""
    prefix = scope if scope.lower().startswith("/subscriptions/") else ""
    sub = "/".join(prefix.split("/")[:3]) if prefix else ""
    return f"{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"


def assignment_doc(
    *,
    scope: str,
    name: str,
    role_guid: str,
    principal_id: str,
    principal_type: str,
    created_by: str | None,
    now: str,
    description: str | None = None,
) -> Document:
    """A role assignment as ARM stores and returns it."""
    return {
        "id": f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": role_definition_id(scope, role_guid),
            "principalId": principal_id,
            "principalType": principal_type,
            "scope": scope,
            "condition": None,
            "conditionVersion": None,
            "createdOn": now,
            "updatedOn": now,
            "createdBy": created_by,
            "updatedBy": created_by,
            "delegatedManagedIdentityResourceId": None,
            "description": description,
        },
    }


def save_assignment(store: Store, doc: Document) -> None:
    """Store a role assignment under its ID."""
    store.put(ROLE_ASSIGNMENTS, resource_key(doc["id"]), doc)

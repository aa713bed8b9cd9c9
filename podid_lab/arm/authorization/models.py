"""Role definitions (the built-ins) and role assignments, with Azure's validation and filters."""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from ... import ids
from ...store import Document
from ..errors import (
    ArmError,
    invalid_role_definition_id,
    resource_group_not_found,
    subscription_not_found,
)
from ..lro import iso
from ..rbac import (
    ROLE_ASSIGNMENTS,
    assignment_doc,
    builtin_roles,
    role_by_id,
    role_definition_id,
    save_assignment,
)

if TYPE_CHECKING:
    from ...lab import Lab

_ASSIGNED_TO = re.compile(r"^assignedTo\('([^']*)'\)$", re.IGNORECASE)
_PRINCIPAL_EQ = re.compile(r"^principalId\s+eq\s+'([^']*)'$", re.IGNORECASE)
_ROLE_NAME_EQ = re.compile(r"^roleName\s+eq\s+'([^']*)'$", re.IGNORECASE)
_TYPE_EQ = re.compile(r"^type\s+eq\s+'([^']*)'$", re.IGNORECASE)
# A role definition's ID: at a subscription, or the provider-level form az also sends.
ROLE_DEFINITION_ID = re.compile(
    r"(/subscriptions/[0-9a-f-]{36})?/providers/Microsoft\.Authorization/roleDefinitions/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    re.IGNORECASE,
)
_SCOPE_GROUP = re.compile(r"^/subscriptions/([^/]+)(?:/resourceGroups/([^/]+))?", re.IGNORECASE)


def normalize_scope(scope: str) -> str:
    """A scope as ARM echoes it: leading slash, no trailing slash ('/' for the root)."""
    return "/" + scope.strip("/")


def role_definition_doc(scope: str, role: dict[str, Any]) -> Document:
    """A built-in role definition as ARM returns it from `scope`."""
    return {
        "id": role_definition_id(scope, role["name"]),
        "type": "Microsoft.Authorization/roleDefinitions",
        "name": role["name"],
        "properties": {
            "roleName": role["roleName"],
            "type": role["roleType"],
            "description": role["description"],
            "assignableScopes": role["assignableScopes"],
            "permissions": role["permissions"],
            "createdOn": "2015-02-02T21:55:09.8806423Z",
            "updatedOn": "2025-01-01T00:00:00.0000000Z",
            "createdBy": None,
            "updatedBy": None,
        },
    }


def _split_filter(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE)]


def unsupported_filter(text: str) -> ArmError:
    """400 for a $filter the lab (and ARM) does not support."""
    return ArmError(400, "UnsupportedQuery", f"The filter '{text}' is not supported.")


def list_role_definitions(scope: str, filter_text: str | None) -> list[Document]:
    """Built-in roles visible from `scope`, narrowed by `roleName eq` / `type eq`."""
    roles = list(builtin_roles())
    for clause in _split_filter(filter_text) if filter_text else []:
        if match := _ROLE_NAME_EQ.match(clause):
            roles = [r for r in roles if r["roleName"].lower() == match.group(1).lower()]
        elif match := _TYPE_EQ.match(clause):
            roles = [r for r in roles if r["roleType"].lower() == match.group(1).lower()]
        else:
            raise unsupported_filter(filter_text or "")
    return [role_definition_doc(scope, r) for r in roles]


def get_role_definition(scope: str, role_guid: str) -> Document:
    """One built-in role definition, or 404 RoleDefinitionDoesNotExist."""
    role = role_by_id(role_guid)
    if role is None:
        raise ArmError(
            404,
            "RoleDefinitionDoesNotExist",
            f"The specified role definition with ID '{role_guid}' does not exist.",
        )
    return role_definition_doc(scope, role)


def principal_not_found(principal_id: str) -> ArmError:
    """ARM's 400 for a principal the directory does not know (yet)."""
    return ArmError(
        400,
        "PrincipalNotFound",
        f"Principal {principal_id.replace('-', '')} does not exist in the directory "
        f"{ids.TENANT_ID}. Check that you have the correct principal ID. If you are creating "
        "this principal and then immediately assigning a role, this error might be related to "
        "a replication delay. In this case, set the role assignment principalType property to "
        "a value, such as ServicePrincipal, User, or Group. See https://aka.ms/docs-principaltype",
    )


def role_assignment_exists() -> ArmError:
    """ARM's 409 for a second assignment of the same role to the same principal and scope."""
    return ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")


class RoleAssignments:
    """Role assignments at any scope, stored where the core's Authorizer reads them."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab

    def _all(self) -> list[Document]:
        return [doc for _, doc in self._lab.store.scan(ROLE_ASSIGNMENTS)]

    @staticmethod
    def assignment_id(scope: str, name: str) -> str:
        """The ID of the assignment `name` at `scope`."""
        prefix = normalize_scope(scope).rstrip("/")
        return f"{prefix}/providers/Microsoft.Authorization/roleAssignments/{name}"

    def get(self, scope: str, name: str) -> Document:
        """One assignment, or 404 RoleAssignmentNotFound."""
        key = ids.resource_key(self.assignment_id(scope, name))
        doc = self._lab.store.get(ROLE_ASSIGNMENTS, key)
        if doc is None:
            raise ArmError(
                404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found."
            )
        return doc

    def delete(self, scope: str, name: str) -> Document | None:
        """Remove an assignment; the removed document, or None if there was none."""
        key = ids.resource_key(self.assignment_id(scope, name))
        doc = self._lab.store.get(ROLE_ASSIGNMENTS, key)
        if doc is not None:
            self._lab.store.delete(ROLE_ASSIGNMENTS, key)
        return doc

    def _check_scope(self, scope: str) -> None:
        match = _SCOPE_GROUP.match(scope)
        if match is None:
            return
        if match.group(1).lower() != ids.SUBSCRIPTION_ID:
            raise subscription_not_found(match.group(1))
        group = match.group(2)
        if group and self._lab.resource_groups.get(ids.SUBSCRIPTION_ID, group) is None:
            raise resource_group_not_found(group)

    def create(self, scope: str, name: str, body: dict[str, Any], caller: str) -> Document:
        """Validate and store a new assignment, as ARM does (it never updates one in place)."""
        scope = normalize_scope(scope)
        try:
            uuid.UUID(name)
        except ValueError:
            raise ArmError(
                400,
                "InvalidRoleAssignmentId",
                f"The role assignment ID '{name}' is not valid. The role assignment ID must be "
                "a GUID.",
            ) from None
        self._check_scope(scope)
        props = body.get("properties") or {}
        principal_id = str(props.get("principalId") or "")
        role_ref = str(props.get("roleDefinitionId") or "")
        if not principal_id or not role_ref:
            missing = "principalId" if not principal_id else "roleDefinitionId"
            raise ArmError(
                400,
                "InvalidRequestContent",
                f"The request content was invalid and could not be deserialized: 'Required "
                f"property '{missing}' not found in JSON.'.",
            )
        if not ROLE_DEFINITION_ID.fullmatch(role_ref):
            raise invalid_role_definition_id(role_ref)
        role = role_by_id(role_ref)
        if role is None:
            raise ArmError(
                400,
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{role_ref.rsplit('/', 1)[-1]}' does "
                "not exist.",
            )
        principal_type = props.get("principalType")
        directory = self._lab.directory
        principal = directory.get(principal_id)
        # Azure skips its directory lookup when the caller names the principal type, which is
        # the documented way round replication delay; an ID nobody ever created still fails.
        if principal is None or (not principal_type and not directory.is_replicated(principal_id)):
            raise principal_not_found(principal_id)
        same = (scope.lower(), role["name"], principal_id.lower())
        for doc in self._all():
            p = doc["properties"]
            role_guid = p["roleDefinitionId"].rsplit("/", 1)[-1].lower()
            if (p["scope"].lower(), role_guid, p["principalId"].lower()) == same:
                raise role_assignment_exists()
        key = ids.resource_key(self.assignment_id(scope, name))
        existing = self._lab.store.get(ROLE_ASSIGNMENTS, key)
        if existing is not None:
            raise ArmError(
                409,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        doc = assignment_doc(
            scope=scope,
            name=name,
            role_guid=role["name"],
            principal_id=principal_id,
            principal_type=principal_type or "ServicePrincipal",
            created_by=caller,
            now=iso(time.time()),
            description=props.get("description"),
        )
        save_assignment(self._lab.store, doc)
        return doc

    def list(self, scope: str, filter_text: str | None) -> list[Document]:
        """Assignments at, above and below `scope`, narrowed by ARM's filters.

        `atScope()` keeps those at or above the scope; `assignedTo('id')` and
        `principalId eq 'id'` keep one principal's.
        """
        scope = normalize_scope(scope)
        at_scope, principal = False, None
        for clause in _split_filter(filter_text) if filter_text else []:
            if clause.lower() == "atscope()":
                at_scope = True
            elif match := _ASSIGNED_TO.match(clause) or _PRINCIPAL_EQ.match(clause):
                principal = match.group(1).lower()
            else:
                raise unsupported_filter(filter_text or "")
        out = []
        for doc in self._all():
            p = doc["properties"]
            above = ids.is_within(p["scope"], scope)
            below = ids.is_within(scope, p["scope"])
            if not (above or (below and not at_scope)):
                continue
            if principal is not None and p["principalId"].lower() != principal:
                continue
            out.append(doc)
        return out

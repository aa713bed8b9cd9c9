"""HTTP for role definitions and role assignments (`Microsoft.Authorization`) at any scope."""

from __future__ import annotations

from starlette.responses import Response

from ..request import ArmRequest, json_response, page
from ..routing import ArmRoute
from .models import get_role_definition, list_role_definitions

ASSIGNMENTS = "{scope*}/providers/Microsoft.Authorization/roleAssignments"
ASSIGNMENT = ASSIGNMENTS + "/{roleAssignmentName}"
DEFINITIONS = "{scope*}/providers/Microsoft.Authorization/roleDefinitions"


def _filter(req: ArmRequest) -> str | None:
    return req.http.query_params.get("$filter")


async def put_assignment(req: ArmRequest) -> Response:
    """201 with the new assignment; ARM never updates one in place."""
    doc = req.lab.role_assignments.create(
        req.param("scope"),
        req.param("roleAssignmentName"),
        req.json_body(),
        req.principal.object_id,
    )
    return json_response(doc, 201)


async def get_assignment(req: ArmRequest) -> Response:
    return json_response(
        req.lab.role_assignments.get(req.param("scope"), req.param("roleAssignmentName"))
    )


async def delete_assignment(req: ArmRequest) -> Response:
    """200 with what was deleted, or 204 if there was nothing."""
    doc = req.lab.role_assignments.delete(req.param("scope"), req.param("roleAssignmentName"))
    return json_response(doc) if doc is not None else Response(status_code=204)


async def list_assignments(req: ArmRequest) -> Response:
    return page(req, req.lab.role_assignments.list(req.param("scope"), _filter(req)))


async def list_definitions(req: ArmRequest) -> Response:
    return page(req, list_role_definitions(req.param("scope"), _filter(req)))


async def get_definition(req: ArmRequest) -> Response:
    return json_response(get_role_definition(req.param("scope"), req.param("roleDefinitionId")))


routes = [
    ArmRoute(
        "PUT",
        ASSIGNMENT,
        put_assignment,
        "Microsoft.Authorization/roleAssignments/write",
        "{scope}",
    ),
    ArmRoute(
        "GET", ASSIGNMENT, get_assignment, "Microsoft.Authorization/roleAssignments/read", "{scope}"
    ),
    ArmRoute(
        "DELETE",
        ASSIGNMENT,
        delete_assignment,
        "Microsoft.Authorization/roleAssignments/delete",
        "{scope}",
    ),
    ArmRoute(
        "GET",
        ASSIGNMENTS,
        list_assignments,
        "Microsoft.Authorization/roleAssignments/read",
        "{scope}",
    ),
    # Every signed-in principal may read role definitions, as in Azure.
    ArmRoute("GET", DEFINITIONS, list_definitions, None),
    ArmRoute("GET", DEFINITIONS + "/{roleDefinitionId}", get_definition, None),
]

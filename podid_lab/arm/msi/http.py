"""HTTP for user-assigned identities (`Microsoft.ManagedIdentity`)."""

from __future__ import annotations

from starlette.responses import Response

from ... import ids
from ..errors import resource_not_found
from ..request import ArmRequest, json_response, page
from ..resources.models import check_resource_location
from ..routing import ArmRoute
from .models import IDENTITY_TYPE, UserAssignedIdentities, identity_id

SUB = "/subscriptions/{subscriptionId}"
RG = SUB + "/resourceGroups/{resourceGroupName}"
IDENTITIES = "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
ONE = RG + IDENTITIES + "/{resourceName}"
READ = "Microsoft.ManagedIdentity/userAssignedIdentities/read"
WRITE = "Microsoft.ManagedIdentity/userAssignedIdentities/write"


def _require(req: ArmRequest) -> dict:
    group = req.require_resource_group()
    name = req.param("resourceName")
    doc = req.lab.identities.get(identity_id(ids.SUBSCRIPTION_ID, group["name"], name))
    if doc is None:
        raise resource_not_found(IDENTITY_TYPE, name, group["name"])
    return doc


async def put_identity(req: ArmRequest) -> Response:
    """201 with the new identity's client, principal and tenant IDs; 200 on update."""
    group = req.require_resource_group()
    body = req.json_body()
    location = check_resource_location(body.get("location"), IDENTITY_TYPE)
    doc, created = req.lab.identities.create_or_update(
        group["name"], req.param("resourceName"), location, body.get("tags")
    )
    return json_response(UserAssignedIdentities.arm_doc(doc), 201 if created else 200)


async def patch_identity(req: ArmRequest) -> Response:
    doc = _require(req)
    tags = req.json_body().get("tags")
    if tags is not None:
        doc["tags"] = tags
        req.lab.resources.put(doc)
    return json_response(UserAssignedIdentities.arm_doc(doc))


async def get_identity(req: ArmRequest) -> Response:
    return json_response(UserAssignedIdentities.arm_doc(_require(req)))


async def delete_identity(req: ArmRequest) -> Response:
    """200 if it existed, 204 if not (ARM's idempotent delete)."""
    group = req.require_resource_group()
    resource_id = identity_id(ids.SUBSCRIPTION_ID, group["name"], req.param("resourceName"))
    return Response(status_code=200 if req.lab.identities.delete(resource_id) else 204)


async def list_in_group(req: ArmRequest) -> Response:
    group = req.require_resource_group()
    return page(
        req, [UserAssignedIdentities.arm_doc(d) for d in req.lab.identities.in_scope(group["id"])]
    )


async def list_in_subscription(req: ArmRequest) -> Response:
    scope = f"/subscriptions/{ids.SUBSCRIPTION_ID}"
    return page(
        req, [UserAssignedIdentities.arm_doc(d) for d in req.lab.identities.in_scope(scope)]
    )


routes = [
    ArmRoute("GET", SUB + IDENTITIES, list_in_subscription, READ, SUB),
    ArmRoute("GET", RG + IDENTITIES, list_in_group, READ, RG),
    ArmRoute("PUT", ONE, put_identity, WRITE, ONE),
    ArmRoute("PATCH", ONE, patch_identity, WRITE, ONE),
    ArmRoute("GET", ONE, get_identity, READ, ONE),
    ArmRoute(
        "DELETE",
        ONE,
        delete_identity,
        "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
        ONE,
    ),
]

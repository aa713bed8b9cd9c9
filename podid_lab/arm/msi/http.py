"""HTTP for user-assigned identities (`Microsoft.ManagedIdentity`)."""

from __future__ import annotations

from starlette.responses import Response

from ... import ids
from ...store import Document
from ..errors import resource_not_found
from ..request import ArmRequest, json_response, page
from ..resources.models import check_resource_location
from ..routing import ArmRoute
from .federation import FIC_TYPE, FederatedCredentials
from .models import IDENTITY_TYPE, UserAssignedIdentities, check_identity_name, identity_id

SUB = "/subscriptions/{subscriptionId}"
RG = SUB + "/resourceGroups/{resourceGroupName}"
IDENTITIES = "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
ONE = RG + IDENTITIES + "/{resourceName}"
READ = "Microsoft.ManagedIdentity/userAssignedIdentities/read"
WRITE = "Microsoft.ManagedIdentity/userAssignedIdentities/write"
FICS = ONE + "/federatedIdentityCredentials"
FIC = FICS + "/{federatedIdentityCredentialResourceName}"
FIC_ACTION = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/"


def _require(req: ArmRequest) -> dict:
    group = req.require_resource_group()
    name = req.param("resourceName")
    doc = req.lab.identities.get(identity_id(ids.SUBSCRIPTION_ID, group["name"], name))
    if doc is None:
        raise resource_not_found(IDENTITY_TYPE, name, group["name"])
    return doc


def _put_answer(doc: Document, created: bool) -> Response:
    """201 with `Location: <the new resource's ID>` (a path, as Microsoft.ManagedIdentity sends
    it), or 200 without one when the PUT replaced the resource."""
    if created:
        return json_response(doc, 201, {"Location": doc["id"]})
    return json_response(doc)


async def put_identity(req: ArmRequest) -> Response:
    """201 with the new identity's client, principal and tenant IDs; 200 on update."""
    group = req.require_resource_group()
    check_identity_name(req.param("resourceName"))
    body = req.json_body()
    location = check_resource_location(body.get("location"), IDENTITY_TYPE)
    doc, created = req.lab.identities.create_or_update(
        group["name"], req.param("resourceName"), location, body.get("tags")
    )
    return _put_answer(UserAssignedIdentities.arm_doc(doc), created)


async def patch_identity(req: ArmRequest) -> Response:
    return json_response(UserAssignedIdentities.arm_doc(req.update_tags(_require(req))))


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


def _fic_name(req: ArmRequest) -> str:
    return req.param("federatedIdentityCredentialResourceName")


async def put_credential(req: ArmRequest) -> Response:
    """201 with the new credential; 200 when it replaced one."""
    identity = _require(req)
    doc, created = req.lab.federated_credentials.put(
        identity["id"], _fic_name(req), req.json_body()
    )
    return _put_answer(FederatedCredentials.arm_doc(doc), created)


async def get_credential(req: ArmRequest) -> Response:
    identity = _require(req)
    doc = req.lab.federated_credentials.get(identity["id"], _fic_name(req))
    if doc is None:
        raise resource_not_found(
            FIC_TYPE, f"{identity['name']}/{_fic_name(req)}", req.param("resourceGroupName")
        )
    return json_response(FederatedCredentials.arm_doc(doc))


async def list_credentials(req: ArmRequest) -> Response:
    identity = _require(req)
    docs = req.lab.federated_credentials.of(identity["id"])
    return page(req, [FederatedCredentials.arm_doc(d) for d in docs])


async def delete_credential(req: ArmRequest) -> Response:
    """200 if it existed, 204 if not."""
    identity = _require(req)
    deleted = req.lab.federated_credentials.delete(identity["id"], _fic_name(req))
    return Response(status_code=200 if deleted else 204)


routes = [
    ArmRoute("GET", FICS, list_credentials, FIC_ACTION + "read", ONE),
    ArmRoute("PUT", FIC, put_credential, FIC_ACTION + "write", ONE),
    ArmRoute("GET", FIC, get_credential, FIC_ACTION + "read", ONE),
    ArmRoute("DELETE", FIC, delete_credential, FIC_ACTION + "delete", ONE),
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

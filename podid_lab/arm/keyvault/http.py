"""HTTP for key vaults (`Microsoft.KeyVault/vaults`) and their soft-deleted remains."""

from __future__ import annotations

from starlette.responses import Response

from ... import ids
from ..errors import ArmError, resource_not_found
from ..request import ArmRequest, json_response, page
from ..resources.models import check_resource_location
from ..routing import ArmRoute
from .models import VAULT_TYPE, Vaults, vault_id

SUB = "/subscriptions/{subscriptionId}"
RG = SUB + "/resourceGroups/{resourceGroupName}"
VAULTS = "/providers/Microsoft.KeyVault/vaults"
ONE = RG + VAULTS + "/{vaultName}"
DELETED = SUB + "/providers/Microsoft.KeyVault/locations/{location}/deletedVaults/{vaultName}"
ACTION = "Microsoft.KeyVault/vaults/"


def _require(req: ArmRequest) -> dict:
    group = req.require_resource_group()
    name = req.param("vaultName")
    doc = req.lab.vaults.get(vault_id(group["name"], name))
    if doc is None:
        raise resource_not_found(VAULT_TYPE, name, group["name"])
    return doc


async def put_vault(req: ArmRequest) -> Response:
    """201 with the new vault (its vaultUri included); 200 on update."""
    group = req.require_resource_group()
    body = req.json_body()
    location = check_resource_location(body.get("location"), VAULT_TYPE)
    doc, created = req.lab.vaults.create_or_update(group, req.param("vaultName"), body, location)
    return json_response(Vaults.arm_doc(doc), 201 if created else 200)


async def get_vault(req: ArmRequest) -> Response:
    return json_response(Vaults.arm_doc(_require(req)))


async def delete_vault(req: ArmRequest) -> Response:
    """200 and a soft-deleted vault; 204 when there is none."""
    group = req.require_resource_group()
    doc = req.lab.vaults.get(vault_id(group["name"], req.param("vaultName")))
    if doc is None:
        return Response(status_code=204)
    req.lab.vaults.delete(doc)
    return Response(status_code=200)


async def list_in_group(req: ArmRequest) -> Response:
    group = req.require_resource_group()
    return page(req, [Vaults.arm_doc(d) for d in req.lab.vaults.in_scope(group["id"])])


async def list_in_subscription(req: ArmRequest) -> Response:
    scope = f"/subscriptions/{ids.SUBSCRIPTION_ID}"
    return page(req, [Vaults.arm_doc(d) for d in req.lab.vaults.in_scope(scope)])


def _deleted_not_found(name: str) -> ArmError:
    return ArmError(
        404, "ResourceNotFound", f"The specified deleted vault '{name}' does not exist."
    )


async def get_deleted(req: ArmRequest) -> Response:
    doc = req.lab.vaults.deleted(req.param("vaultName"))
    if doc is None:
        raise _deleted_not_found(req.param("vaultName"))
    return json_response(doc)


async def list_deleted(req: ArmRequest) -> Response:
    return page(req, req.lab.vaults.all_deleted())


async def purge_deleted(req: ArmRequest) -> Response:
    """Purge at once (Azure takes a while and answers 202; the SDK's poller accepts 200)."""
    if not req.lab.vaults.purge(req.param("vaultName")):
        raise _deleted_not_found(req.param("vaultName"))
    return Response(status_code=200)


routes = [
    ArmRoute("GET", SUB + VAULTS, list_in_subscription, ACTION + "read", SUB),
    ArmRoute("GET", RG + VAULTS, list_in_group, ACTION + "read", RG),
    ArmRoute("PUT", ONE, put_vault, ACTION + "write", ONE),
    ArmRoute("GET", ONE, get_vault, ACTION + "read", ONE),
    ArmRoute("DELETE", ONE, delete_vault, ACTION + "delete", ONE),
    ArmRoute(
        "GET",
        SUB + "/providers/Microsoft.KeyVault/deletedVaults",
        list_deleted,
        "Microsoft.KeyVault/deletedVaults/read",
        SUB,
    ),
    ArmRoute("GET", DELETED, get_deleted, "Microsoft.KeyVault/deletedVaults/read", SUB),
    ArmRoute(
        "POST",
        DELETED + "/purge",
        purge_deleted,
        "Microsoft.KeyVault/locations/deletedVaults/purge/action",
        SUB,
    ),
]

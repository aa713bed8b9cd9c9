"""HTTP for AKS managed clusters: create/update/delete as long-running operations, reads,
and the cluster credentials."""

from __future__ import annotations

from starlette.responses import Response

from ... import ids
from ..errors import resource_not_found
from ..request import ArmRequest, json_response, lro_response, page
from ..resources.models import check_resource_location
from ..routing import ArmRoute
from .models import CLUSTER_TYPE, ManagedClusters, check_cluster_name

SUB = "/subscriptions/{subscriptionId}"
RG = SUB + "/resourceGroups/{resourceGroupName}"
CLUSTERS = "/providers/Microsoft.ContainerService/managedClusters"
ONE = RG + CLUSTERS + "/{resourceName}"
ACTION = "Microsoft.ContainerService/managedClusters/"
ASSIGN = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"


def _require(req: ArmRequest) -> dict:
    group = req.require_resource_group()
    name = req.param("resourceName")
    doc = req.lab.clusters.get(f"{group['id']}/providers/{CLUSTER_TYPE}/{name}")
    if doc is None:
        raise resource_not_found(CLUSTER_TYPE, name, group["name"])
    return doc


async def put_cluster(req: ArmRequest) -> Response:
    """201 (create) or 200 (update) showing Creating/Updating, with Azure-AsyncOperation."""
    group = req.require_resource_group()
    check_cluster_name(req.param("resourceName"))
    body = req.json_body()
    location = check_resource_location(body.get("location"), CLUSTER_TYPE)
    # Naming a user-assigned control-plane identity needs the right to assign it (linked check).
    for identity_id in (body.get("identity") or {}).get("userAssignedIdentities") or {}:
        req.authorize(ASSIGN, identity_id)
    doc, op, created = req.lab.clusters.begin_put(group, req.param("resourceName"), body, location)
    return lro_response(req, op, ManagedClusters.arm_doc(doc), 201 if created else 200)


async def patch_cluster(req: ArmRequest) -> Response:
    """Update tags (the only thing ARM's PATCH on a cluster changes)."""
    return json_response(ManagedClusters.arm_doc(req.update_tags(_require(req))))


async def get_cluster(req: ArmRequest) -> Response:
    return json_response(ManagedClusters.arm_doc(_require(req)))


async def delete_cluster(req: ArmRequest) -> Response:
    """202 with the polling headers; 204 when there is no such cluster."""
    group = req.require_resource_group()
    name = req.param("resourceName")
    doc = req.lab.clusters.get(f"{group['id']}/providers/{CLUSTER_TYPE}/{name}")
    if doc is None:
        return Response(status_code=204)
    return lro_response(req, req.lab.clusters.begin_delete(doc), None, 202)


async def list_in_group(req: ArmRequest) -> Response:
    group = req.require_resource_group()
    return page(req, [ManagedClusters.arm_doc(d) for d in req.lab.clusters.in_scope(group["id"])])


async def list_in_subscription(req: ArmRequest) -> Response:
    scope = f"/subscriptions/{ids.SUBSCRIPTION_ID}"
    return page(req, [ManagedClusters.arm_doc(d) for d in req.lab.clusters.in_scope(scope)])


async def user_credential(req: ArmRequest) -> Response:
    doc = _require(req)
    return json_response(req.lab.clusters.credentials(doc, admin=False, base_url=req.base_url))


async def admin_credential(req: ArmRequest) -> Response:
    doc = _require(req)
    return json_response(req.lab.clusters.credentials(doc, admin=True, base_url=req.base_url))


routes = [
    ArmRoute("GET", SUB + CLUSTERS, list_in_subscription, ACTION + "read", SUB),
    ArmRoute("GET", RG + CLUSTERS, list_in_group, ACTION + "read", RG),
    ArmRoute("PUT", ONE, put_cluster, ACTION + "write", ONE),
    ArmRoute("PATCH", ONE, patch_cluster, ACTION + "write", ONE),
    ArmRoute("GET", ONE, get_cluster, ACTION + "read", ONE),
    ArmRoute("DELETE", ONE, delete_cluster, ACTION + "delete", ONE),
    ArmRoute(
        "POST",
        ONE + "/listClusterUserCredential",
        user_credential,
        ACTION + "listClusterUserCredential/action",
        ONE,
    ),
    ArmRoute(
        "POST",
        ONE + "/listClusterAdminCredential",
        admin_credential,
        ACTION + "listClusterAdminCredential/action",
        ONE,
    ),
]

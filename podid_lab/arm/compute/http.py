"""HTTP for `Microsoft.Compute` reads: virtual machines and virtual machine scale sets.

The lab makes no standalone VMs (AKS nodes are scale-set instances), so VM lists are empty, as
they are in a real node resource group; that is what the demo pod's "vm count 0" shows.
"""

from __future__ import annotations

from starlette.responses import Response

from ... import ids
from ..errors import resource_not_found
from ..request import ArmRequest, json_response, page
from ..routing import ArmRoute
from ..table import public
from .models import SCALE_SET_TYPE, VM_TYPE

SUB = "/subscriptions/{subscriptionId}"
RG = SUB + "/resourceGroups/{resourceGroupName}"
VMS = "/providers/Microsoft.Compute/virtualMachines"
SCALE_SETS = "/providers/Microsoft.Compute/virtualMachineScaleSets"
VM_READ = "Microsoft.Compute/virtualMachines/read"
VMSS_READ = "Microsoft.Compute/virtualMachineScaleSets/read"


def _list(req: ArmRequest, scope: str, resource_type: str) -> Response:
    return page(req, [public(d) for d in req.lab.resources.list(scope, resource_type)])


def _get(req: ArmRequest, resource_type: str, name_param: str) -> Response:
    group = req.require_resource_group()
    name = req.param(name_param)
    doc = req.lab.resources.get(f"{group['id']}/providers/{resource_type}/{name}")
    if doc is None or doc["type"] != resource_type:
        raise resource_not_found(resource_type, name, group["name"])
    return json_response(public(doc))


async def list_vms(req: ArmRequest) -> Response:
    return _list(req, req.require_resource_group()["id"], VM_TYPE)


async def list_all_vms(req: ArmRequest) -> Response:
    return _list(req, f"/subscriptions/{ids.SUBSCRIPTION_ID}", VM_TYPE)


async def get_vm(req: ArmRequest) -> Response:
    return _get(req, VM_TYPE, "vmName")


async def list_scale_sets(req: ArmRequest) -> Response:
    return _list(req, req.require_resource_group()["id"], SCALE_SET_TYPE)


async def list_all_scale_sets(req: ArmRequest) -> Response:
    return _list(req, f"/subscriptions/{ids.SUBSCRIPTION_ID}", SCALE_SET_TYPE)


async def get_scale_set(req: ArmRequest) -> Response:
    return _get(req, SCALE_SET_TYPE, "vmScaleSetName")


routes = [
    ArmRoute("GET", SUB + VMS, list_all_vms, VM_READ, SUB),
    ArmRoute("GET", RG + VMS, list_vms, VM_READ, RG),
    ArmRoute("GET", RG + VMS + "/{vmName}", get_vm, VM_READ, RG + VMS + "/{vmName}"),
    ArmRoute("GET", SUB + SCALE_SETS, list_all_scale_sets, VMSS_READ, SUB),
    ArmRoute("GET", RG + SCALE_SETS, list_scale_sets, VMSS_READ, RG),
    ArmRoute(
        "GET",
        RG + SCALE_SETS + "/{vmScaleSetName}",
        get_scale_set,
        VMSS_READ,
        RG + SCALE_SETS + "/{vmScaleSetName}",
    ),
]

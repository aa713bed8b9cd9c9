"""HTTP for long-running operations: the Azure-AsyncOperation and Location URLs."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from .errors import ArmError
from .request import ArmRequest, json_response
from .routing import ArmRoute

SUB = "/subscriptions/{subscriptionId}"
LOC = SUB + "/providers/{namespace}/locations/{location}"


def read_action(resource_id: str) -> str:
    """The RBAC action a GET of `resource_id` needs (e.g. Microsoft.Compute/disks/read)."""
    parts = resource_id.strip("/").split("/")
    lower = [p.lower() for p in parts]
    if "providers" in lower:
        at = len(lower) - 1 - lower[::-1].index("providers")
        return "/".join([parts[at + 1], *parts[at + 2 :: 2], "read"])
    if len(parts) >= 4:
        return "Microsoft.Resources/subscriptions/resourceGroups/read"
    return "Microsoft.Resources/subscriptions/read"


def _operation(req: ArmRequest) -> dict:
    """The operation, if the caller may read the resource it works on."""
    op = req.lab.operations.get(req.param("operationId"))
    if op is None:
        raise ArmError(
            404,
            "OperationNotFound",
            f"The operation '{req.param('operationId')}' could not be found.",
        )
    req.authorize(read_action(op["resourceId"]), op["resourceId"])
    return op


async def operation_status(req: ArmRequest) -> Response:
    """Always 200 with the operation's status document (and Retry-After while it runs)."""
    op = _operation(req)
    # Without Retry-After the SDKs fall back to their own interval: 30 s for AKS.
    headers = (
        {"Retry-After": str(int(req.lab.knobs["retry_after_seconds"]))}
        if op["status"] == "InProgress"
        else None
    )
    return json_response(req.lab.operations.status_body(op, req.path), headers=headers)


async def operation_result(req: ArmRequest) -> Response:
    """202 while running; then the result (200), nothing (204), or the failure."""
    op = _operation(req)
    if op["status"] == "InProgress":
        return Response(
            status_code=202,
            headers={
                "Location": req.url(req.path),
                "Retry-After": str(int(req.lab.knobs["retry_after_seconds"])),
            },
        )
    if op["status"] == "Failed":
        error = op["error"]
        return JSONResponse({"error": error}, status_code=400)
    if "result" in op:
        return json_response(op["result"])
    return Response(status_code=200 if op["kind"].endswith("delete") else 204)


routes = [
    ArmRoute("GET", LOC + "/operations/{operationId}", operation_status, None),
    ArmRoute("GET", LOC + "/operationresults/{operationId}", operation_result, None),
    ArmRoute("GET", SUB + "/operationresults/{operationId}", operation_result, None),
]

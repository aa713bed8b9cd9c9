"""ARM's cloud metadata (`/metadata/endpoints`): where a stock `az` finds the lab's endpoints."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..graph import graph_resource

# Never "AzureCloud": az forces that cloud's sign-in endpoint back to Microsoft's.
CLOUD_NAME = "PodidLab"
# From this version on ARM answers with the cloud it belongs to; before it, with a list.
SINGLE_CLOUD_API_VERSION = "2022-09-01"


def cloud_doc(origin: str) -> dict[str, Any]:
    """The lab as a cloud: ARM, Entra ID and Graph all on the lab's origin."""
    return {
        "name": CLOUD_NAME,
        "resourceManager": f"{origin}/",
        "authentication": {
            "loginEndpoint": origin,
            "audiences": [
                "https://management.core.windows.net/",
                "https://management.azure.com/",
            ],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "microsoftGraphResourceId": graph_resource(origin),
        "suffixes": {},
    }


async def endpoints(request: Request) -> Response:
    """The lab cloud alone (2022-09-01 and later, or no version), else a list of clouds."""
    doc = cloud_doc(str(request.base_url).rstrip("/"))
    version = request.query_params.get("api-version", "")
    if version and version < SINGLE_CLOUD_API_VERSION:
        return JSONResponse([doc])
    return JSONResponse(doc)


# `az cloud register --endpoint-resource-manager https://…/` asks for `//metadata/endpoints`.
routes = [
    Route("/metadata/endpoints", endpoints, methods=["GET"]),
    Route("//metadata/endpoints", endpoints, methods=["GET"]),
]

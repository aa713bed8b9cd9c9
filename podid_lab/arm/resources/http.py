"""HTTP for subscriptions, tenants, providers, features and resource groups."""

from __future__ import annotations

from starlette.responses import Response

from ... import ids
from ..errors import resource_group_not_found
from ..request import ArmRequest, json_response, page
from ..routing import ArmRoute
from .models import (
    Features,
    ResourceGroups,
    check_location,
    check_resource_group_name,
    location_docs,
    subscription_doc,
    tenant_doc,
)

SUB = "/subscriptions/{subscriptionId}"
RG = SUB + "/resourceGroups/{resourceGroupName}"
FEATURES = SUB + "/providers/Microsoft.Features/providers/{namespace}/features"
RG_READ = "Microsoft.Resources/subscriptions/resourceGroups/read"


async def list_subscriptions(req: ArmRequest) -> Response:
    """Subscriptions in which the caller holds any role."""
    visible = any(
        ids.is_within(f"/subscriptions/{ids.SUBSCRIPTION_ID}", a["properties"]["scope"])
        or a["properties"]["scope"] in ("", "/")
        for a in req.lab.authorizer.assignments_for(req.principal.object_id)
    )
    return page(req, [subscription_doc()] if visible else [])


async def get_subscription(req: ArmRequest) -> Response:
    return json_response(subscription_doc())


async def list_tenants(req: ArmRequest) -> Response:
    return page(req, [tenant_doc()])


async def list_locations(req: ArmRequest) -> Response:
    return page(req, location_docs())


async def list_providers(req: ArmRequest) -> Response:
    providers = req.lab.providers
    return page(req, [providers.arm_doc(p) for p in providers.all()])


async def get_provider(req: ArmRequest) -> Response:
    providers = req.lab.providers
    return json_response(providers.arm_doc(providers.require(req.param("namespace"))))


async def register_provider(req: ArmRequest) -> Response:
    providers = req.lab.providers
    return json_response(providers.arm_doc(providers.register(req.param("namespace"))))


async def unregister_provider(req: ArmRequest) -> Response:
    providers = req.lab.providers
    return json_response(providers.arm_doc(providers.unregister(req.param("namespace"))))


async def list_all_features(req: ArmRequest) -> Response:
    return page(req, [Features.arm_doc(f) for f in req.lab.features.all()])


async def list_features(req: ArmRequest) -> Response:
    features = req.lab.features.all(req.param("namespace"))
    return page(req, [Features.arm_doc(f) for f in features])


async def get_feature(req: ArmRequest) -> Response:
    doc = req.lab.features.get(req.param("namespace"), req.param("featureName"))
    return json_response(Features.arm_doc(doc))


async def register_feature(req: ArmRequest) -> Response:
    doc = req.lab.features.register(req.param("namespace"), req.param("featureName"))
    return json_response(Features.arm_doc(doc))


async def unregister_feature(req: ArmRequest) -> Response:
    doc = req.lab.features.unregister(req.param("namespace"), req.param("featureName"))
    return json_response(Features.arm_doc(doc))


async def list_resource_groups(req: ArmRequest) -> Response:
    """Groups the caller may read (as in Azure, a narrower role shows fewer groups)."""
    allowed = req.lab.authorizer.allowed
    groups = [
        ResourceGroups.arm_doc(g)
        for g in req.lab.resource_groups.list(ids.SUBSCRIPTION_ID)
        if allowed(req.principal.object_id, RG_READ, g["id"])
    ]
    return page(req, groups)


async def put_resource_group(req: ArmRequest) -> Response:
    name = req.param("resourceGroupName")
    check_resource_group_name(name)
    body = req.json_body()
    location = check_location(body.get("location"))
    doc, created = req.lab.resource_groups.create_or_update(
        ids.SUBSCRIPTION_ID, name, location, body.get("tags"), body.get("managedBy")
    )
    return json_response(ResourceGroups.arm_doc(doc), 201 if created else 200)


async def get_resource_group(req: ArmRequest) -> Response:
    return json_response(ResourceGroups.arm_doc(req.require_resource_group()))


async def head_resource_group(req: ArmRequest) -> Response:
    found = req.lab.resource_groups.get(ids.SUBSCRIPTION_ID, req.param("resourceGroupName"))
    return Response(status_code=204 if found else 404)


async def patch_resource_group(req: ArmRequest) -> Response:
    return json_response(ResourceGroups.arm_doc(req.update_tags(req.require_resource_group())))


async def delete_resource_group(req: ArmRequest) -> Response:
    """202 + Location; the group and everything in it go when the operation finishes."""
    name = req.param("resourceGroupName")
    doc = req.lab.resource_groups.get(ids.SUBSCRIPTION_ID, name)
    if doc is None:
        raise resource_group_not_found(name)
    pending = req.lab.operations.pending_for(doc["id"])
    op = pending[0] if pending else req.lab.start_delete_scope(doc)
    headers = {
        "Location": req.url(f"/subscriptions/{ids.SUBSCRIPTION_ID}/operationresults/{op['id']}"),
        "Retry-After": str(int(req.lab.knobs["retry_after_seconds"])),
    }
    return Response(status_code=202, headers=headers)


routes = [
    ArmRoute("GET", "/subscriptions", list_subscriptions, None),
    ArmRoute("GET", "/tenants", list_tenants, None),
    ArmRoute("GET", SUB, get_subscription, None),
    ArmRoute("GET", SUB + "/locations", list_locations, None),
    ArmRoute("GET", SUB + "/providers", list_providers, None),
    ArmRoute(
        "GET",
        SUB + "/providers/Microsoft.Features/features",
        list_all_features,
        "Microsoft.Features/features/read",
        SUB,
    ),
    ArmRoute("GET", FEATURES, list_features, "Microsoft.Features/features/read", SUB),
    ArmRoute(
        "GET", FEATURES + "/{featureName}", get_feature, "Microsoft.Features/features/read", SUB
    ),
    ArmRoute(
        "POST",
        FEATURES + "/{featureName}/register",
        register_feature,
        "Microsoft.Features/providers/features/register/action",
        SUB,
    ),
    ArmRoute(
        "POST",
        FEATURES + "/{featureName}/unregister",
        unregister_feature,
        "Microsoft.Features/providers/features/unregister/action",
        SUB,
    ),
    ArmRoute("GET", SUB + "/providers/{namespace}", get_provider, None),
    ArmRoute(
        "POST",
        SUB + "/providers/{namespace}/register",
        register_provider,
        "{namespace}/register/action",
        SUB,
    ),
    ArmRoute(
        "POST",
        SUB + "/providers/{namespace}/unregister",
        unregister_provider,
        "{namespace}/unregister/action",
        SUB,
    ),
    ArmRoute("GET", SUB + "/resourceGroups", list_resource_groups, None),
    ArmRoute(
        "PUT", RG, put_resource_group, "Microsoft.Resources/subscriptions/resourceGroups/write", RG
    ),
    ArmRoute("GET", RG, get_resource_group, RG_READ, RG),
    ArmRoute("HEAD", RG, head_resource_group, RG_READ, RG),
    ArmRoute(
        "PATCH",
        RG,
        patch_resource_group,
        "Microsoft.Resources/subscriptions/resourceGroups/write",
        RG,
    ),
    ArmRoute(
        "DELETE",
        RG,
        delete_resource_group,
        "Microsoft.Resources/subscriptions/resourceGroups/delete",
        RG,
    ),
]

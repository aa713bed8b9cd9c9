"""One ARM request as providers see it: parameters, body, caller, and response helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import ids
from ..entra.models import Principal
from ..store import Document
from . import errors

if TYPE_CHECKING:
    from ..lab import Lab

_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-[A-Za-z0-9.]+)?$")


def parse_api_version(value: str | None) -> str:
    """Validate the api-version query parameter; every dated version is served the same."""
    if not value:
        raise errors.missing_api_version()
    if not _API_VERSION.match(value):
        raise errors.invalid_api_version(value)
    return value


@dataclass
class ArmRequest:
    """What a provider handler needs to answer one request."""

    http: Request
    lab: Lab
    params: dict[str, str]
    principal: Principal
    api_version: str
    body: Any

    @property
    def method(self) -> str:
        return self.http.method

    @property
    def path(self) -> str:
        return self.http.url.path

    @property
    def base_url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    def param(self, name: str) -> str:
        """A URL parameter by name."""
        return self.params[name]

    def json_body(self) -> dict[str, Any]:
        """The body as a JSON object, or 400 InvalidRequestContent."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise errors.invalid_request_content("the request body must be a JSON object")
        return self.body

    def url(self, path: str, **query: str) -> str:
        """An absolute URL on this lab, with this request's api-version."""
        query.setdefault("api-version", self.api_version)
        return f"{self.base_url}{path}?{urlencode(query)}"

    def require_subscription(self) -> str:
        """The subscription ID in the URL, checked to exist."""
        sub = self.params["subscriptionId"]
        if not re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", sub):
            raise errors.invalid_subscription_id(sub)
        if sub.lower() != ids.SUBSCRIPTION_ID:
            raise errors.subscription_not_found(sub)
        return ids.SUBSCRIPTION_ID

    def require_resource_group(self) -> Document:
        """The resource group in the URL, or 404 ResourceGroupNotFound."""
        sub = self.require_subscription()
        name = self.params["resourceGroupName"]
        group = self.lab.resource_groups.get(sub, name)
        if group is None:
            raise errors.resource_group_not_found(name)
        return group

    def update_tags(self, doc: Document) -> Document:
        """ARM's PATCH of a tracked resource: the body's tags replace the resource's, if given."""
        tags = self.json_body().get("tags")
        if tags is not None:
            doc["tags"] = tags
            self.lab.resources.put(doc)
        return doc

    def authorize(self, action: str, scope: str) -> None:
        """Check one more action beyond the route's own (e.g. a linked resource)."""
        self.lab.authorizer.require(self.principal.object_id, action, scope)


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with ARM's common headers."""
    return JSONResponse(doc, status_code=status, headers=headers)


def lro_response(req: ArmRequest, op: Document, body: Any | None, status: int) -> Response:
    """A 201/202 that starts a long-running operation, with ARM's polling headers."""
    sub, namespace, location = op["subscriptionId"], op["namespace"], op["location"]
    base = f"/subscriptions/{sub}/providers/{namespace}/locations/{location}"
    headers = {
        "Azure-AsyncOperation": req.url(f"{base}/operations/{op['id']}"),
        "Location": req.url(f"{base}/operationresults/{op['id']}"),
        "Retry-After": str(int(req.lab.knobs["retry_after_seconds"])),
    }
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def page(req: ArmRequest, items: list[Any]) -> Response:
    """A list response with `nextLink` paging ($skiptoken is the offset)."""
    size = int(req.lab.knobs["page_size"]) or len(items) or 1
    raw = req.http.query_params.get("$skiptoken", "0")
    start = int(raw) if raw.isdigit() else 0
    body: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        query = {k: v for k, v in req.http.query_params.items() if k != "$skiptoken"}
        query["$skiptoken"] = str(start + size)
        body["nextLink"] = f"{req.base_url}{req.path}?{urlencode(query)}"
    return JSONResponse(body)

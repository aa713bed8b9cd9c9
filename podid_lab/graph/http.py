"""Graph's HTTP surface: the principal look-ups `az role assignment` makes."""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import ids
from ..bodies import parse_json
from ..entra.models import TokenRejected
from ..store import Document
from . import GRAPH_PATH, graph_resource

if TYPE_CHECKING:
    from ..lab import Lab

V1 = f"{GRAPH_PATH}/v1.0"
_SPN_ANY = re.compile(r"^servicePrincipalNames/any\(\w+:\w+ eq '([^']*)'\)$", re.IGNORECASE)
_FIELD_EQ = re.compile(r"^(\w+) eq '([^']*)'$", re.IGNORECASE)


class GraphError(Exception):
    """An error as Graph returns it: status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _lab(request: Request) -> Lab:
    return request.app.state.lab  # type: ignore[no-any-return]


def _origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _error(exc: GraphError) -> Response:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    request_id = str(uuid.uuid4())
    return JSONResponse(
        {
            "error": {
                "code": exc.code,
                "message": exc.message,
                "innerError": {
                    "date": stamp,
                    "request-id": request_id,
                    "client-request-id": request_id,
                },
            }
        },
        status_code=exc.status,
    )


def _authenticate(request: Request) -> None:
    """Accept a bearer token the lab issued for Graph (its own Graph endpoint, or Azure's)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
    lab_graph = graph_resource(_origin(request))
    audiences = (
        lab_graph,
        lab_graph.rstrip("/"),
        "https://graph.microsoft.com",
        "https://graph.microsoft.com/",
    )
    try:
        _lab(request).directory.verify(token.strip(), audiences)
    except TokenRejected as exc:
        # Graph words every token failure the same way, whatever ARM would have said.
        raise GraphError(
            401,
            "InvalidAuthenticationToken",
            f"Access token validation failure. Invalid audience or signature. ({exc.message})",
        ) from None


def _graph_doc(doc: Document) -> dict[str, Any]:
    """A directory principal as Graph shows it."""
    if doc.get("objectType") == "User":
        return {
            "@odata.type": "#microsoft.graph.user",
            "id": doc["objectId"],
            "displayName": doc["displayName"],
            "userPrincipalName": doc["userPrincipalName"],
            "mail": None,
            "accountEnabled": True,
        }
    names = [doc["appId"], *doc.get("alternativeNames", [])]
    return {
        "@odata.type": "#microsoft.graph.servicePrincipal",
        "id": doc["objectId"],
        "appId": doc["appId"],
        "displayName": doc["displayName"],
        "servicePrincipalType": doc["servicePrincipalType"],
        "servicePrincipalNames": names,
        "alternativeNames": doc.get("alternativeNames", []),
        "appOwnerOrganizationId": ids.TENANT_ID,
        "accountEnabled": True,
    }


def _visible(lab: Lab) -> list[Document]:
    """Principals Graph can see: new ones only once the replication delay has passed."""
    directory = lab.directory
    return [doc for doc in directory.principals() if directory.is_replicated(doc["objectId"])]


def _filter(request: Request) -> tuple[str, str] | None:
    """The one `$filter` clause az sends, as (field, value); 400 for any other."""
    raw = request.query_params.get("$filter")
    if raw is None:
        return None
    text = raw.strip()
    if match := _SPN_ANY.match(text):
        return "servicePrincipalNames", match.group(1)
    if match := _FIELD_EQ.match(text):
        return match.group(1), match.group(2)
    raise GraphError(400, "Request_UnsupportedQuery", f"Unsupported query: '{raw}'.")


def _matches(item: dict[str, Any], clause: tuple[str, str] | None) -> bool:
    if clause is None:
        return True
    field, value = clause
    found = item.get(field)
    if isinstance(found, list):
        return any(str(v).lower() == value.lower() for v in found)
    return found is not None and str(found).lower() == value.lower()


def _collection(request: Request, kind: str, odata_type: str) -> Response:
    try:
        _authenticate(request)
        clause = _filter(request)
    except GraphError as exc:
        return _error(exc)
    items = [_graph_doc(doc) for doc in _visible(_lab(request))]
    value = [i for i in items if i["@odata.type"] == odata_type and _matches(i, clause)]
    return JSONResponse(
        {"@odata.context": f"{_origin(request)}{V1}/$metadata#{kind}", "value": value}
    )


async def list_service_principals(request: Request) -> Response:
    """GET /servicePrincipals, with `servicePrincipalNames/any(…)` or `field eq '…'`."""
    return _collection(request, "servicePrincipals", "#microsoft.graph.servicePrincipal")


async def list_users(request: Request) -> Response:
    """GET /users, with `userPrincipalName eq '…'` (az's look-up of a UPN assignee)."""
    return _collection(request, "users", "#microsoft.graph.user")


async def get_by_ids(request: Request) -> Response:
    """POST /directoryObjects/getByIds: the objects among `ids` of the given `types`."""
    try:
        _authenticate(request)
        try:
            body = parse_json(await request.body() or b"{}")
        except ValueError:
            raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
        wanted = [str(i).lower() for i in body.get("ids") or []]
        types = {f"#microsoft.graph.{t}".lower() for t in body.get("types") or []}
    except GraphError as exc:
        return _error(exc)
    by_id = {doc["objectId"].lower(): _graph_doc(doc) for doc in _visible(_lab(request))}
    value = [
        by_id[i]
        for i in wanted
        if i in by_id and (not types or by_id[i]["@odata.type"].lower() in types)
    ]
    return JSONResponse(
        {"@odata.context": f"{_origin(request)}{V1}/$metadata#directoryObjects", "value": value}
    )


routes = [
    Route(f"{V1}/servicePrincipals", list_service_principals, methods=["GET"]),
    Route(f"{V1}/users", list_users, methods=["GET"]),
    Route(f"{V1}/directoryObjects/getByIds", get_by_ids, methods=["POST"]),
]

"""The IMDS endpoint pods reach (plain HTTP, as IMDS is): NMI's routes, per pod.

A pod's requests arrive under its secret (`/pod/<secret>/metadata/...`, see `secrets`); a wrong
or missing secret gets NMI's 404. The owner may also ask as a pod through the HTTPS admin route
`/_lab/pods/<uid>/imds/...` with the admin key (the notebooks' exercises do).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..admin import denied
from ..kube.kinds import PODS
from .models import TOKEN_PATH, Reply, go_error, redact
from .secrets import PREFIX

if TYPE_CHECKING:
    from ..lab import Lab

# The names a pod reaches IMDS by; any other Host (a DNS-rebinding page's) is refused. What IMDS
# answers to a foreign Host is unpublished: this is Starlette's 400 "Invalid host header".
IMDS_HOSTS = ["169.254.169.254", "127.0.0.1", "localhost"]
# NMI answers 400 to anything that looks like the token path but is not exactly it.
_TOKENISH = re.compile(r"/(?i:metadata)/identity(.*?)oauth2(.*?)token")
INSTANCE_PATH = "/metadata/instance"


def _render(reply: Reply) -> Response:
    if reply.is_json:
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)
    headers = dict(reply.headers or {})
    media_type = headers.pop("Content-Type", "text/plain; charset=utf-8")
    return Response(reply.body, status_code=reply.status, headers=headers, media_type=media_type)


def _unknown_caller(path: str, query: dict[str, str]) -> Response:
    """NMI's 404 to a caller it cannot match with a pod: no identity for it, whatever it asks."""
    if _TOKENISH.search(path):
        client_id = redact(query.get("client_id", ""))
        return _render(go_error(404, f"no azure identity found for request clientID {client_id}"))
    return JSONResponse({"error": "Not found"}, status_code=404)


def _other(path: str) -> Response:
    if _TOKENISH.search(path):
        return PlainTextResponse("Invalid request\n", status_code=400)
    return JSONResponse({"error": "Not found"}, status_code=404)


def answer_as_pod(
    lab: Lab, pod: tuple[str, str, str] | None, request: Request, path: str
) -> Response:
    """Answer `path` for the pod (cluster key, namespace, name), or for an unknown caller."""
    query = dict(request.query_params)
    if pod is None:
        return _unknown_caller(path, query)
    if path in (TOKEN_PATH, INSTANCE_PATH) and request.method != "GET":
        return PlainTextResponse("Method Not Allowed", status_code=405)
    metadata = request.headers.get("metadata", "")
    if path == TOKEN_PATH:
        return _render(lab.nmi.token(*pod, query, metadata))
    if path == INSTANCE_PATH:
        return _render(lab.nmi.instance(*pod, query, metadata))
    return _other(path)


async def by_secret(request: Request) -> Response:
    lab: Lab = request.app.state.lab
    pod = lab.pod_secrets.find(lab.kube, request.path_params["secret"])
    return answer_as_pod(lab, pod, request, "/" + request.path_params["rest"])


async def without_secret(request: Request) -> Response:
    return _unknown_caller(request.url.path, dict(request.query_params))


def build_imds_app(lab: Lab) -> Starlette:
    """The plain-HTTP app that serves every pod's IMDS endpoint."""
    app = Starlette(
        routes=[
            Route(PREFIX + "/{secret}/{rest:path}", by_secret, methods=["GET", "POST", "HEAD"]),
            Route("/{rest:path}", without_secret, methods=["GET", "POST", "HEAD"]),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=IMDS_HOSTS)],
    )
    app.state.lab = lab
    return app


# -- the owner's way in: ask as a pod, with the admin key ----------------------------------------


def _pod_by_uid(lab: Lab, uid: str) -> tuple[str, str, str] | None:
    for cluster in lab.kube.all():
        for pod in cluster.items(PODS):
            meta = pod["metadata"]
            if meta.get("uid") == uid:
                return cluster.key, meta["namespace"], meta["name"]
    return None


async def as_pod(request: Request) -> Response:
    """`/_lab/pods/<uid>/imds/<path>`: what the pod with this UID would get from IMDS."""
    if (refused := denied(request)) is not None:
        return refused
    lab: Lab = request.app.state.lab
    pod = _pod_by_uid(lab, request.path_params["uid"])
    return answer_as_pod(lab, pod, request, "/" + request.path_params["rest"])


admin_routes = [Route("/_lab/pods/{uid}/imds/{rest:path}", as_pod, methods=["GET"])]

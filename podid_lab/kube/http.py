"""The Kubernetes API over HTTPS: `/k8s/<cluster key>/...` as kube-apiserver answers it.

Also the instructors' admin route `POST /_lab/kube/clusters` (admin key required), which makes
a cluster API without ARM and returns its kubeconfig; `DELETE` with `{"clusterId"}` removes one.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute

from .. import ids
from ..admin import denied as admin_denied
from ..bodies import parse_json, parse_yaml
from . import discovery, errors, protobuf, streams, tables
from .errors import KubeError
from .kinds import PODS, Kind
from .models import Cluster, cluster_key
from .objects import Obj
from .selectors import Requirement, matches, parse_fields, parse_labels
from .watch import Change

if TYPE_CHECKING:
    from ..lab import Lab

ALL_METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"]
# Without timeoutSeconds the API server ends a watch after a random 30-60 minutes.
DEFAULT_WATCH_SECONDS = 1800.0
MAX_BODY = 3 * 1024 * 1024


def _lab(request: Request) -> Lab:
    return request.app.state.lab  # type: ignore[no-any-return]


def _json(body: Any, status: int = 200, warnings: list[str] | None = None) -> Response:
    headers = {"Audit-Id": str(uuid.uuid4()), "Cache-Control": "no-cache, private"}
    response = Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )
    for warning in warnings or []:
        response.headers.append("Warning", f"299 - {json.dumps(warning)}")
    return response


def _error(exc: KubeError) -> Response:
    return _json(exc.status(), exc.code)


def _authenticate(request: Request, cluster: Cluster) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    tokens = cluster.doc["tokens"].values()
    if scheme.lower() != "bearer" or not any(hmac.compare_digest(token.strip(), t) for t in tokens):
        raise errors.UNAUTHORIZED


async def _body(request: Request) -> bytes:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise KubeError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")
    return raw


def _decode(raw: bytes, content_type: str) -> Any:
    """A POST/PUT body: JSON (also without a Content-Type, as the Python client sends), YAML or
    the protobuf kubectl's typed clients send."""
    if "protobuf" in content_type:
        # kubectl's typed clients (`kubectl create namespace`, ...) send protobuf.
        return protobuf.decode(raw)
    if not raw.strip():
        raise errors.bad_request("the body of the request was empty")
    try:
        if "yaml" in content_type:
            return parse_yaml(raw)
        return parse_json(raw)
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(
            f"the body of the request was in an unknown format: {exc}"
        ) from None


def _wants_table(request: Request) -> bool:
    return "as=Table" in request.headers.get("accept", "")


def _manager(request: Request) -> str:
    """The field manager: the parameter, else the client's name (as the server derives it)."""
    given = request.query_params.get("fieldManager")
    if given:
        return given
    agent = request.headers.get("user-agent", "unknown")
    return agent.split("/", 1)[0] or "unknown"


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true")


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise errors.bad_request(f"invalid value for {name}: {raw!r}") from None


# -- routing -----------------------------------------------------------------------------------


async def endpoint(request: Request) -> Response:
    """Serve one request to a cluster's API server."""
    lab = _lab(request)
    key = request.path_params["key"]
    cluster = lab.kube.by_key(key)
    try:
        if cluster is None:
            raise errors.server_not_found()
        _authenticate(request, cluster)
        return await _dispatch(request, cluster, request.path_params.get("path", "").strip("/"))
    except KubeError as exc:
        return _error(exc)


async def _dispatch(request: Request, cluster: Cluster, path: str) -> Response:
    parts = path.split("/") if path else []
    prefix = f"/k8s/{cluster.key}"
    if path in ("healthz", "livez", "readyz"):
        return PlainTextResponse("ok")
    if request.method not in ("GET", "HEAD") and parts[:1] != ["api"] and parts[:1] != ["apis"]:
        raise errors.method_not_allowed()
    if path == "version":
        return _json(discovery.version_info(cluster))
    if path == "api":
        return _json(discovery.api_versions())
    if path == "apis":
        return _json(discovery.api_groups(cluster))
    if parts[:2] == ["openapi", "v3"]:
        if len(parts) == 2:
            return _json(discovery.openapi_index(cluster, prefix))
        group, version = (
            (parts[3], parts[4]) if parts[2] == "apis" and len(parts) == 5 else ("", parts[-1])
        )
        doc = discovery.openapi_document(cluster, group, version)
        if doc is None or parts[2] not in ("api", "apis"):
            raise errors.server_not_found()
        return _json(doc)
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 2:
        if len(parts) == 2:
            group_doc = discovery.api_group(cluster, parts[1])
            if group_doc is None:
                raise errors.server_not_found()
            return _json(group_doc)
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise errors.server_not_found()
    if not rest:
        listing = discovery.resource_list(cluster, group, version)
        if listing is None or request.method != "GET":
            raise errors.server_not_found()
        return _json(listing)
    kind, namespace, name, sub = _resolve(cluster, group, version, rest)
    return await _resource(request, cluster, kind, namespace, name, sub)


def _resolve(
    cluster: Cluster, group: str, version: str, rest: list[str]
) -> tuple[Kind, str, str, str]:
    """(kind, namespace, name, subresource) of a resource path below a group version."""
    kinds = {k.resource: k for k in discovery.kinds_in(cluster, group, version)}
    if (
        rest[0] == "namespaces"
        and len(rest) >= 3
        and rest[2] in kinds
        and kinds[rest[2]].namespaced
    ):
        namespace, rest = rest[1], rest[2:]
    else:
        namespace = ""
    kind = kinds.get(rest[0])
    if kind is None or len(rest) > 3:
        raise errors.server_not_found()
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if sub and sub not in kind.subresources:
        raise errors.server_not_found()
    if kind.namespaced and name and not namespace:
        # `/api/v1/pods/<name>` is not a path; namespaced objects are read in their namespace.
        raise errors.server_not_found()
    return kind, namespace, name, sub


async def _resource(
    request: Request, cluster: Cluster, kind: Kind, namespace: str, name: str, sub: str
) -> Response:
    method = request.method
    if not name:
        if method == "GET":
            return await _read_collection(request, cluster, kind, namespace)
        if method == "POST" and (namespace or not kind.namespaced):
            return await _create(request, cluster, kind, namespace)
        if method == "DELETE" and "deletecollection" in kind.verbs:
            return _delete_collection(request, cluster, kind, namespace)
        raise errors.method_not_allowed()
    if sub in ("exec", "attach"):
        # A WebSocket upgrade is served by streams.stream; what reaches here is not one.
        if "spdy" in request.headers.get("upgrade", "").lower():
            raise streams.spdy_refused()
        raise errors.bad_request("Upgrade request required")
    if sub == "log":
        if method != "GET":
            raise errors.method_not_allowed()
        return await _log(request, cluster, namespace, name)
    if method == "GET":
        obj = cluster.get(kind, namespace, name)
        if _wants_table(request) and not sub:
            meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
            include = request.query_params.get("includeObject", "Metadata")
            return _json(tables.table(kind, [obj], meta, include))
        return _json(obj)
    if method == "PUT":
        if sub == "finalize":
            sub = ""
        body = _decode(await _body(request), request.headers.get("content-type", ""))
        obj, warnings = cluster.replace(
            kind,
            namespace,
            name,
            body,
            subresource=sub,
            manager=_manager(request),
            field_validation=request.query_params.get("fieldValidation", ""),
        )
        return _json(obj, 200, warnings)
    if method == "PATCH" and sub != "finalize":
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        obj, warnings, created = cluster.patch(
            kind,
            namespace,
            name,
            content_type,
            await _body(request),
            subresource=sub,
            manager=request.query_params.get("fieldManager", ""),
            field_validation=request.query_params.get("fieldValidation", ""),
            force=_flag(request, "force"),
        )
        return _json(obj, 201 if created else 200, warnings)
    if method == "DELETE" and not sub:
        raw = await _body(request)
        options = _decode(raw, "application/json") if raw.strip() else {}
        grace = _int_param(request, "gracePeriodSeconds")
        if grace is not None:
            options["gracePeriodSeconds"] = grace
        answer, _ = cluster.delete(kind, namespace, name, options)
        return _json(answer)
    raise errors.method_not_allowed()


async def _create(request: Request, cluster: Cluster, kind: Kind, namespace: str) -> Response:
    body = _decode(await _body(request), request.headers.get("content-type", ""))
    obj, warnings = cluster.create(
        kind,
        namespace,
        body,
        manager=_manager(request),
        field_validation=request.query_params.get("fieldValidation", ""),
        dry_run=bool(request.query_params.get("dryRun")),
    )
    return _json(obj, 201, warnings)


def _selectors(request: Request, kind: Kind) -> tuple[list[Requirement], list[Requirement]]:
    return (
        parse_labels(request.query_params.get("labelSelector", "")),
        parse_fields(request.query_params.get("fieldSelector", ""), kind),
    )


def _delete_collection(request: Request, cluster: Cluster, kind: Kind, namespace: str) -> Response:
    labels, fields = _selectors(request, kind)
    listing = cluster.list_objects(kind, namespace, labels=labels, fields=fields)
    for item in listing["items"]:
        meta = item["metadata"]
        cluster.delete(kind, meta.get("namespace", ""), meta["name"])
    return _json(listing)


async def _read_collection(
    request: Request, cluster: Cluster, kind: Kind, namespace: str
) -> Response:
    labels, fields = _selectors(request, kind)
    include = request.query_params.get("includeObject", "Metadata")
    if _flag(request, "watch"):
        stream = _watch(request, cluster, kind, namespace, labels, fields, include)
        return StreamingResponse(stream, media_type="application/json")
    listing = cluster.list_objects(
        kind,
        namespace,
        labels=labels,
        fields=fields,
        limit=_int_param(request, "limit") or 0,
        continue_token=request.query_params.get("continue", ""),
    )
    if _wants_table(request):
        items = [dict(i, apiVersion=kind.api_version, kind=kind.kind) for i in listing["items"]]
        return _json(tables.table(kind, items, listing["metadata"], include))
    return _json(listing)


# -- watch ------------------------------------------------------------------------------------


def _event_type(change: Change, labels: list[Requirement], fields: list[Requirement]) -> str:
    """The event a selective watch sees: objects entering or leaving the selection."""
    now_in = matches(change.obj, labels, fields)
    was_in = change.old is not None and matches(change.old, labels, fields)
    if change.type == "DELETED":
        return "DELETED" if now_in or was_in else ""
    if change.type == "ADDED":
        return "ADDED" if now_in else ""
    if now_in:
        return "MODIFIED" if was_in else "ADDED"
    return "DELETED" if was_in else ""


async def _watch(
    request: Request,
    cluster: Cluster,
    kind: Kind,
    namespace: str,
    labels: list[Requirement],
    fields: list[Requirement],
    include: str,
) -> AsyncIterator[bytes]:
    """Newline-delimited watch events, from `resourceVersion` (or the current state) onward."""
    hub = _lab(request).kube.hub
    table = _wants_table(request)
    timeout = _int_param(request, "timeoutSeconds")
    deadline = time.monotonic() + (DEFAULT_WATCH_SECONDS if timeout is None else timeout)
    since = request.query_params.get("resourceVersion", "")
    wake = hub.subscribe(cluster.key, cluster.resource_version())
    headers_sent = False

    def encode(event_type: str, obj: Obj) -> bytes:
        nonlocal headers_sent
        if table:
            meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
            obj = tables.table(kind, [obj], meta, include, headers=not headers_sent)
            headers_sent = True
        return (
            json.dumps({"type": event_type, "object": obj}, separators=(",", ":")).encode() + b"\n"
        )

    try:
        if since in ("", "0"):
            listing = cluster.list_objects(kind, namespace, labels=labels, fields=fields)
            last = int(listing["metadata"]["resourceVersion"])
            for item in listing["items"]:
                yield encode("ADDED", dict(item, apiVersion=kind.api_version, kind=kind.kind))
        else:
            try:
                last = int(since)
            except ValueError:
                raise errors.bad_request(f"invalid resource version: {since}") from None
        while True:
            if _lab(request).kube.by_key(cluster.key) is None:
                return
            for change in hub.since(cluster.key, last, cluster.resource_version()):
                last = change.rv
                if change.resource != kind.group_resource:
                    continue
                if namespace and change.namespace != namespace:
                    continue
                event_type = _event_type(change, labels, fields)
                if event_type:
                    yield encode(event_type, change.obj)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(wake.wait(), remaining)
            except asyncio.TimeoutError:
                return
            wake.clear()
    except KubeError as exc:
        yield json.dumps({"type": "ERROR", "object": exc.status()}).encode() + b"\n"
    finally:
        hub.unsubscribe(cluster.key, wake)


# -- logs ---------------------------------------------------------------------------------------


def _stamp(epoch: float) -> str:
    """RFC 3339 with nanoseconds, as the kubelet prefixes log lines."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{round(epoch % 1 * 1e9) % 10**9:09d}Z"


def _container(pod: Obj, requested: str) -> str:
    names = [c["name"] for c in pod["spec"].get("containers", [])]
    names += [c["name"] for c in pod["spec"].get("initContainers", [])]
    name = pod["metadata"]["name"]
    if not requested:
        if len(pod["spec"].get("containers", [])) != 1:
            raise errors.bad_request(
                f"a container name must be specified for pod {name}, choose one of: "
                f"[{' '.join(names)}]"
            )
        return str(names[0])
    if requested not in names:
        raise errors.bad_request(f"container {requested} is not valid for pod {name}")
    return requested


def _container_state(pod: Obj, container: str) -> dict[str, Any]:
    status = pod.get("status", {})
    for cs in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        if cs.get("name") == container:
            return cs.get("state") or {}
    return {}


async def _log(request: Request, cluster: Cluster, namespace: str, name: str) -> Response:
    pod = cluster.get(PODS, namespace, name)
    container = _container(pod, request.query_params.get("container", ""))
    lines = cluster.log_lines(namespace, name, container)
    state = _container_state(pod, container)
    if not lines and "running" not in state and "terminated" not in state:
        reason = (state.get("waiting") or {}).get("reason", "ContainerCreating")
        raise errors.bad_request(
            f'container "{container}" in pod "{name}" is waiting to start: {reason}'
        )
    tail = _int_param(request, "tailLines")
    since = _int_param(request, "sinceSeconds")
    with_stamps = _flag(request, "timestamps")
    if since is not None:
        cutoff = time.time() - since
        lines = [line for line in lines if line[1] >= cutoff]
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []

    def text(batch: list[tuple[str, float, str]]) -> bytes:
        return "".join(
            (f"{_stamp(t)} " if with_stamps else "") + line + "\n" for _, t, line in batch
        ).encode()

    if not _flag(request, "follow"):
        return Response(text(lines), media_type="text/plain")
    return StreamingResponse(
        _follow(request, cluster, namespace, name, container, lines, text),
        media_type="text/plain",
    )


async def _follow(
    request: Request,
    cluster: Cluster,
    namespace: str,
    name: str,
    container: str,
    first: list[tuple[str, float, str]],
    text: Any,
) -> AsyncIterator[bytes]:
    """The log so far, then each new line, until the container ends or the pod goes."""
    hub = _lab(request).kube.hub
    wake = hub.subscribe(cluster.key, cluster.resource_version())
    try:
        if first:
            yield text(first)
        cursor = first[-1][0] if first else ""
        if not first:
            existing = cluster.log_lines(namespace, name, container)
            cursor = existing[-1][0] if existing else ""
        while True:
            fresh = cluster.log_lines(namespace, name, container, cursor)
            if fresh:
                cursor = fresh[-1][0]
                yield text(fresh)
            pod = cluster.find(PODS, namespace, name)
            if pod is None or "terminated" in _container_state(pod, container):
                return
            await wake.wait()
            wake.clear()
    finally:
        hub.unsubscribe(cluster.key, wake)


# -- admin: cluster APIs without ARM ------------------------------------------------------------


# What each field of the admin route's body must look like (names end up in resource IDs).
_CLUSTER_FIELDS: dict[str, tuple[type, re.Pattern[str] | None]] = {
    "name": (str, re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")),
    "resourceGroup": (str, re.compile(r"[A-Za-z0-9_()-][A-Za-z0-9_().-]{0,88}[A-Za-z0-9_()-]?")),
    "location": (str, re.compile(r"[a-z0-9]{1,40}")),
    "agentPool": (str, re.compile(r"[a-z][a-z0-9]{0,11}")),
    "kubernetesVersion": (str, re.compile(r"\d+\.\d+(\.\d+)?")),
    "nodeCount": (int, None),
    "podIdentityCrds": (bool, None),
    "admin": (bool, None),
    "clusterId": (str, None),
}


def _admin_error(message: str) -> Response:
    return JSONResponse({"error": {"code": "InvalidClusterSpec", "message": message}}, 400)


def _cluster_spec_problem(spec: Any, required: str | None) -> str | None:
    """What is wrong with an admin cluster body, or None."""
    if not isinstance(spec, dict):
        return "the body must be a JSON object"
    if required and required not in spec:
        return f"{required!r} is required"
    for field, value in spec.items():
        if field not in _CLUSTER_FIELDS:
            return f"unknown field {field!r}; known: {', '.join(sorted(_CLUSTER_FIELDS))}"
        kind, pattern = _CLUSTER_FIELDS[field]
        if type(value) is not kind or (pattern is not None and not pattern.fullmatch(str(value))):
            return f"{field!r} is not valid: {value!r}"
    if not 1 <= spec.get("nodeCount", 1) <= 100:
        return "'nodeCount' must be 1 to 100"
    return None


async def admin_clusters(request: Request) -> Response:
    """POST: create a cluster API and return its kubeconfig; DELETE: remove one."""
    if (denied := admin_denied(request)) is not None:
        return denied
    lab = _lab(request)
    raw = await request.body()
    try:
        spec = parse_json(raw) if raw.strip() else {}
    except ValueError as exc:
        return _admin_error(f"the body is not valid JSON: {exc}")
    required = "clusterId" if request.method == "DELETE" else None
    if (problem := _cluster_spec_problem(spec, required)) is not None:
        return _admin_error(problem)
    if request.method == "DELETE":
        lab.kube.remove(spec["clusterId"])
        return JSONResponse({"status": "removed"})
    name = spec.get("name", "aks-lab")
    group = spec.get("resourceGroup", "rg-lab")
    location = spec.get("location", "westeurope")
    cluster_id = (
        f"/subscriptions/{ids.SUBSCRIPTION_ID}/resourceGroups/{group}"
        f"/providers/Microsoft.ContainerService/managedClusters/{name}"
    )
    pool = spec.get("agentPool", "nodepool1")
    digits = int(ids.stable_guid("vmss", cluster_id).replace("-", ""), 16) % 10**8
    nodes = [f"aks-{pool}-{digits:08d}-vmss{i:06d}" for i in range(int(spec.get("nodeCount", 2)))]
    lab.kube.ensure(
        cluster_id,
        name=name,
        kubernetes_version=spec.get("kubernetesVersion", "1.31"),
        nodes=nodes,
        location=location,
        node_resource_group=f"MC_{group}_{name}_{location}",
    )
    if spec.get("podIdentityCrds"):
        lab.kube.install_pod_identity_crds(cluster_id)
    origin = str(request.base_url).rstrip("/")
    kubeconfig = lab.kube.kubeconfig(
        cluster_id,
        origin=origin,
        ca_pem=lab.home.ca_cert.read_bytes(),
        admin=bool(spec.get("admin")),
    )
    return JSONResponse(
        {
            "clusterId": cluster_id,
            "server": f"{origin}/k8s/{cluster_key(cluster_id)}",
            "kubeconfig": kubeconfig,
        }
    )


routes = [
    Route("/_lab/kube/clusters", admin_clusters, methods=["POST", "DELETE"]),
    Route("/k8s/{key}", endpoint, methods=ALL_METHODS),
    Route("/k8s/{key}/{path:path}", endpoint, methods=ALL_METHODS),
    WebSocketRoute("/k8s/{key}/{path:path}", streams.stream),
]

"""Discovery (`/api`, `/apis`, group versions) and the OpenAPI v3 documents kubectl reads."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from .kinds import BUILTIN_GROUPS, Kind
from .models import Cluster
from .objects import Obj

# Subresource verbs, as the API server lists them.
SUBRESOURCE_VERBS = {
    "status": ["get", "patch", "update"],
    "log": ["get"],
    "finalize": ["update"],
    "attach": ["create", "get"],
    "exec": ["create", "get"],
}


def _hash(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()[:8]).decode()


def version_info(cluster: Cluster) -> Obj:
    """`/version`: the cluster's Kubernetes version, as AKS reports it."""
    git = cluster.git_version
    major, minor = git.lstrip("v").split(".")[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": git,
        "gitCommit": hashlib.sha1(git.encode()).hexdigest(),
        "gitTreeState": "clean",
        "buildDate": "2025-02-12T21:32:18Z",
        "goVersion": "go1.23.6",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def group_versions(cluster: Cluster) -> list[tuple[str, str]]:
    """Every (group, version) served, built-in groups first, then the CRDs' in name order."""
    custom = sorted({(k.group, k.version) for k in cluster.kinds() if not k.strategic})
    return [*BUILTIN_GROUPS, *(gv for gv in custom if gv not in BUILTIN_GROUPS)]


def api_versions() -> Obj:
    """`/api`."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:443"}
        ],
    }


def _group(name: str, versions: list[str]) -> Obj:
    listed = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": listed, "preferredVersion": listed[0]}


def api_groups(cluster: Cluster) -> Obj:
    """`/apis`."""
    groups: dict[str, list[str]] = {}
    for group, version in group_versions(cluster):
        groups.setdefault(group, []).append(version)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(name, versions) for name, versions in groups.items()],
    }


def api_group(cluster: Cluster, name: str) -> Obj | None:
    """`/apis/<group>`, or None if no such group is served."""
    versions = [v for g, v in group_versions(cluster) if g == name]
    return dict(kind="APIGroup", apiVersion="v1", **_group(name, versions)) if versions else None


def kinds_in(cluster: Cluster, group: str, version: str) -> list[Kind]:
    """The kinds of one group version."""
    return [k for k in cluster.kinds() if (k.group, k.version) == (group, version)]


def resource_list(cluster: Cluster, group: str, version: str) -> Obj | None:
    """`/api/v1` or `/apis/<group>/<version>`, or None if not served."""
    kinds = kinds_in(cluster, group, version)
    if not kinds:
        return None
    resources: list[Obj] = []
    for kind in kinds:
        entry: Obj = {
            "name": kind.resource,
            "singularName": kind.singular,
            "namespaced": kind.namespaced,
            "kind": kind.kind,
            "verbs": list(kind.verbs),
        }
        if kind.short_names:
            entry["shortNames"] = list(kind.short_names)
        if kind.categories:
            entry["categories"] = list(kind.categories)
        entry["storageVersionHash"] = _hash(f"{kind.group}/{kind.version}/{kind.kind}")
        resources.append(entry)
        for sub in kind.subresources:
            resources.append(
                {
                    "name": f"{kind.resource}/{sub}",
                    "singularName": "",
                    "namespaced": kind.namespaced,
                    "kind": kind.kind,
                    "verbs": SUBRESOURCE_VERBS[sub],
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


# -- OpenAPI v3 --------------------------------------------------------------------------------


def openapi_index(cluster: Cluster, prefix: str) -> Obj:
    """`/openapi/v3`: one document per group version (URLs are relative to the host)."""
    paths = {}
    for group, version in [("", "v1"), *group_versions(cluster)]:
        path = f"apis/{group}/{version}" if group else f"api/{version}"
        doc = json.dumps(openapi_document(cluster, group, version))
        digest = hashlib.sha512(doc.encode()).hexdigest().upper()
        paths[path] = {"serverRelativeURL": f"{prefix}/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}


def _query(name: str, description: str, kind: str = "string") -> Obj:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": kind},
        "uniqueItems": True,
    }


WRITE_PARAMS = [
    _query("dryRun", "When present, indicates that modifications should not be persisted."),
    _query(
        "fieldManager",
        "The name of the actor making these changes.",
    ),
    _query(
        "fieldValidation",
        "How to treat unknown or duplicate fields: Ignore, Warn or Strict.",
    ),
]
PATCH_PARAMS = [
    *WRITE_PARAMS,
    _query("force", 'Force is going to "force" Apply requests.', "boolean"),
]


def _schema_name(kind: Kind) -> str:
    group = kind.group or "core"
    return f"{group}.{kind.version}.{kind.kind}"


def openapi_document(cluster: Cluster, group: str, version: str) -> Obj | None:
    """The OpenAPI v3 document of one group version: its paths with their GVK and parameters."""
    kinds = kinds_in(cluster, group, version)
    if not kinds:
        return None
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for kind in kinds:
        gvk = {"group": kind.group, "version": kind.version, "kind": kind.kind}
        ref = {"$ref": f"#/components/schemas/{_schema_name(kind)}"}
        body = {"content": {"application/json": {"schema": ref}}, "required": True}
        patch_types = [
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/apply-patch+yaml",
        ]
        if kind.strategic:
            patch_types.append("application/strategic-merge-patch+json")
        ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}

        def op(action: str, op_id: str, ok: Obj = ok, gvk: Obj = gvk, **extra: Any) -> Obj:
            return {
                "operationId": op_id,
                "responses": ok,
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
                **extra,
            }

        name = kind.kind
        collection = (
            f"{base}/namespaces/{{namespace}}/{kind.resource}"
            if kind.namespaced
            else f"{base}/{kind.resource}"
        )
        paths[collection] = {
            "get": op("list", f"list{name}"),
            "post": op("post", f"create{name}", requestBody=body, parameters=WRITE_PARAMS),
        }
        paths[collection + "/{name}"] = {
            "get": op("get", f"read{name}"),
            "put": op("put", f"replace{name}", requestBody=body, parameters=WRITE_PARAMS),
            "patch": op(
                "patch",
                f"patch{name}",
                parameters=PATCH_PARAMS,
                requestBody={
                    "content": {t: {"schema": {"type": "object"}} for t in patch_types},
                    "required": True,
                },
            ),
            "delete": op("delete", f"delete{name}"),
        }
        if kind.strategic:
            # No schema names the built-in GVKs: kubectl then computes strategic patches from
            # its compiled-in types, which know every merge key.
            schemas[_schema_name(kind)] = {"type": "object"}
        else:
            schema = kind.schema or {"type": "object"}
            schemas[_schema_name(kind)] = dict(schema, **{"x-kubernetes-group-version-kind": [gvk]})
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": cluster.git_version},
        "paths": paths,
        "components": {"schemas": schemas},
    }

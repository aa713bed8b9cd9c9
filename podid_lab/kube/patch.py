"""JSON patch, JSON merge patch and strategic merge patch (with kubectl's directives).

Strategic merge needs each list's merge key. A real server reads them from the Go types; the
lab keys them by field name, which is unambiguous for the kinds it serves.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import KubeError

# Lists merged by a key field (patchStrategy "merge" with patchMergeKey in the Go types).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "conditions": "type",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "ownerReferences": "uid",
    "resourceClaims": "name",
}
# Lists of scalars merged as sets (patchStrategy "merge" without a key).
MERGED_SCALAR_LISTS = {"finalizers"}


def _invalid_patch(message: str) -> KubeError:
    return KubeError(422, "Invalid", message)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: Any, patch: Any) -> Any:
    """Apply a strategic-merge patch (directives `$patch`, `$setElementOrder/`, `$retainKeys`,
    `$deleteFromPrimitiveList/`)."""
    if not isinstance(patch, dict) or not isinstance(target, dict):
        return _strip_directives(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return _strip_directives({k: v for k, v in patch.items() if k != "$patch"})
    if directive == "delete":
        return None
    result = dict(target)
    retain = patch.get("$retainKeys")
    if retain is not None:
        result = {k: v for k, v in result.items() if k in retain}
    orders = {k.split("/", 1)[1]: v for k, v in patch.items() if k.startswith("$setElementOrder/")}
    for key, value in patch.items():
        if key.startswith("$"):
            if key.startswith("$deleteFromPrimitiveList/"):
                field = key.split("/", 1)[1]
                result[field] = [v for v in result.get(field, []) if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and key in MERGE_KEYS:
            result[key] = _merge_list(result.get(key) or [], value, MERGE_KEYS[key])
        elif isinstance(value, list) and key in MERGED_SCALAR_LISTS:
            current = list(result.get(key) or [])
            result[key] = current + [v for v in value if v not in current]
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            merged = strategic_merge(result[key], value)
            if merged is None:
                result.pop(key)
            else:
                result[key] = merged
        else:
            result[key] = _strip_directives(value)
    for key, order in orders.items():
        if key in result and key in MERGE_KEYS:
            result[key] = _reorder(result[key], order, MERGE_KEYS[key])
    return result


def _merge_list(current: list[Any], patch: list[Any], key: str) -> list[Any]:
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return [_strip_directives(p) for p in patch if not (isinstance(p, dict) and "$patch" in p)]
    result = [copy.deepcopy(item) for item in current]
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise _invalid_patch(f"map: {item} does not contain declared merge key: {key}")
        index = next((i for i, c in enumerate(result) if c.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
        elif index is None:
            result.append(_strip_directives(item))
        else:
            result[index] = strategic_merge(result[index], item)
    return result


def _reorder(items: list[Any], order: list[Any], key: str) -> list[Any]:
    """Sort `items` by their key's position in `order`; unlisted items keep their place after."""
    position = {o.get(key): i for i, o in enumerate(order) if isinstance(o, dict)}
    listed = sorted((i for i in items if i.get(key) in position), key=lambda i: position[i[key]])
    return listed + [i for i in items if i.get(key) not in position]


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip_directives(v)
            for k, v in value.items()
            if not k.startswith("$patch")
            and not k.startswith("$setElementOrder/")
            and k != "$retainKeys"
            and not k.startswith("$deleteFromPrimitiveList/")
        }
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise _invalid_patch("the server rejected our request due to an error in our request")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str]) -> tuple[Any, str]:
    node = doc
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, parts[-1]


def json_patch(doc: Any, operations: Any) -> Any:
    """RFC 6902: add, remove, replace, move, copy and test."""
    if not isinstance(operations, list):
        raise KubeError(
            400, "BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        )
    result = copy.deepcopy(doc)
    for op in operations:
        try:
            result = _apply_op(result, op)
        except (KeyError, IndexError, ValueError, TypeError):
            raise _invalid_patch(
                "the server rejected our request due to an error in our request"
            ) from None
    return result


def _apply_op(doc: Any, op: dict[str, Any]) -> Any:
    kind, parts = op["op"], _pointer(op["path"])
    if kind in ("move", "copy"):
        source_parent, source_key = _parent(doc, _pointer(op["from"]))
        value = (
            source_parent[int(source_key)]
            if isinstance(source_parent, list)
            else source_parent[source_key]
        )
        if kind == "move":
            _remove(source_parent, source_key)
        return _apply_op(doc, {"op": "add", "path": op["path"], "value": copy.deepcopy(value)})
    if not parts:
        if kind == "test":
            if doc != op["value"]:
                raise ValueError("test failed")
            return doc
        return copy.deepcopy(op["value"]) if kind in ("add", "replace") else None
    parent, key = _parent(doc, parts)
    if kind == "add":
        if isinstance(parent, list):
            parent.insert(len(parent) if key == "-" else int(key), copy.deepcopy(op["value"]))
        else:
            parent[key] = copy.deepcopy(op["value"])
    elif kind == "remove":
        _remove(parent, key)
    elif kind == "replace":
        if isinstance(parent, list):
            parent[int(key)] = copy.deepcopy(op["value"])
        else:
            parent[key]
            parent[key] = copy.deepcopy(op["value"])
    elif kind == "test":
        current = parent[int(key)] if isinstance(parent, list) else parent[key]
        if current != op["value"]:
            raise ValueError("test failed")
    else:
        raise ValueError(kind)
    return doc


def _remove(parent: Any, key: str) -> None:
    if isinstance(parent, list):
        parent.pop(int(key))
    else:
        del parent[key]

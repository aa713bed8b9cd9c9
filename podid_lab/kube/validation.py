"""Validation with the API server's wording: names, pods, and custom resources' schemas."""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import KubeError, bad_request, invalid
from .kinds import Kind

Cause = tuple[str, str, str]

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_MESSAGE = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
# Pod spec fields an update may change (the rest of a pod's spec is immutable).
POD_UPDATE_MESSAGE = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)"
)


def _quote(value: Any) -> str:
    return json.dumps(value)


def value_invalid(field: str, value: Any, detail: str) -> Cause:
    """A FieldValueInvalid cause."""
    return field, "FieldValueInvalid", f"Invalid value: {_quote(value)}: {detail}"


def required(field: str, detail: str = "") -> Cause:
    """A FieldValueRequired cause."""
    return field, "FieldValueRequired", "Required value" + (f": {detail}" if detail else "")


def name_causes(name: str, *, label: bool, field: str = "metadata.name") -> list[Cause]:
    """Causes against a DNS-1123 label (namespaces) or subdomain (most other names)."""
    if label:
        if len(name) > 63:
            return [value_invalid(field, name, "must be no more than 63 characters")]
        return [] if DNS1123_LABEL.match(name) else [value_invalid(field, name, LABEL_MESSAGE)]
    if len(name) > 253:
        return [value_invalid(field, name, "must be no more than 253 characters")]
    return [] if DNS1123_SUBDOMAIN.match(name) else [value_invalid(field, name, SUBDOMAIN_MESSAGE)]


def pod_causes(spec: Any) -> list[Cause]:
    """What the server rejects in a new pod's spec (the checks a learner's manifest can trip)."""
    if not isinstance(spec, dict):
        return [required("spec")]
    containers = spec.get("containers")
    if not containers:
        return [required("spec.containers")]
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, container in enumerate(containers):
        path = f"spec.containers[{i}]"
        name = container.get("name")
        if not name:
            causes.append(required(f"{path}.name"))
        elif not DNS1123_LABEL.match(name):
            causes.append(value_invalid(f"{path}.name", name, LABEL_MESSAGE))
        elif name in seen:
            causes.append(
                (f"{path}.name", "FieldValueDuplicate", f"Duplicate value: {_quote(name)}")
            )
        seen.add(name or "")
        if not container.get("image"):
            causes.append(required(f"{path}.image"))
        for j, env in enumerate(container.get("env") or []):
            if not env.get("name"):
                causes.append(required(f"{path}.env[{j}].name"))
    policy = spec.get("restartPolicy", "Always")
    if policy not in ("Always", "OnFailure", "Never"):
        causes.append(
            (
                "spec.restartPolicy",
                "FieldValueNotSupported",
                f'Unsupported value: {_quote(policy)}: supported values: "Always", "OnFailure", '
                '"Never"',
            )
        )
    return causes


def pod_update_causes(old: dict[str, Any], new: dict[str, Any]) -> list[Cause]:
    """Forbidden if an update changes more of a pod's spec than the server allows."""

    def mutable_stripped(spec: dict[str, Any]) -> dict[str, Any]:
        stripped = {
            k: v
            for k, v in spec.items()
            if k not in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds")
        }
        for field in ("containers", "initContainers"):
            stripped[field] = [
                {k: v for k, v in c.items() if k != "image"} for c in spec.get(field, [])
            ]
        return stripped

    if mutable_stripped(old.get("spec", {})) == mutable_stripped(new.get("spec", {})):
        return []
    return [("spec", "FieldValueForbidden", f"Forbidden: {POD_UPDATE_MESSAGE}")]


# -- custom resources: pruning and validation against the CRD's structural schema -------------

_TYPES = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _type_name(value: Any) -> str:
    for name, kinds in (
        ("boolean", (bool,)),
        ("integer", (int,)),
        ("number", (float,)),
        ("string", (str,)),
        ("array", (list,)),
        ("object", (dict,)),
    ):
        if isinstance(value, kinds):
            return name
    return "null"


def check_custom(kind: Kind, obj: dict[str, Any]) -> tuple[list[str], list[Cause]]:
    """Prune fields the schema does not declare (in place); return (unknown fields, causes)."""
    unknown: list[str] = []
    causes: list[Cause] = []
    if kind.schema:
        for key in list(obj):
            if key in ("apiVersion", "kind", "metadata"):
                continue
            _walk(obj, key, kind.schema.get("properties", {}).get(key), key, unknown, causes)
    return unknown, causes


def _walk(
    parent: Any,
    key: Any,
    schema: dict[str, Any] | None,
    path: str,
    unknown: list[str],
    causes: list[Cause],
) -> None:
    value = parent[key]
    if schema is None:
        unknown.append(path)
        del parent[key]
        return
    if value is None:
        if not schema.get("nullable"):
            # The server drops nulls for non-nullable fields rather than failing.
            del parent[key]
        return
    expected = schema.get("type")
    if (
        expected
        and _type_name(value) != expected
        and not (expected == "number" and isinstance(value, int) and not isinstance(value, bool))
    ):
        causes.append(
            (
                path,
                "FieldValueTypeInvalid",
                f"Invalid value: {_quote(_type_name(value))}: {path} in body must be of type "
                f"{expected}: {_quote(_type_name(value))}",
            )
        )
        return
    if isinstance(value, dict) and not schema.get("x-kubernetes-preserve-unknown-fields"):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is None and extra is None:
            return
        for child in list(value):
            if schema.get("x-kubernetes-embedded-resource") and child in (
                "apiVersion",
                "kind",
                "metadata",
            ):
                continue
            child_schema = (props or {}).get(child, extra if isinstance(extra, dict) else None)
            _walk(value, child, child_schema, f"{path}.{child}", unknown, causes)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i in range(len(value)):
            _walk(value, i, schema["items"], f"{path}[{i}]", unknown, causes)


def unknown_field_error(kind: Kind, unknown: list[str]) -> KubeError:
    """The 400 a Strict field validation gives for undeclared fields."""
    fields = ", ".join(f'unknown field "{u}"' for u in unknown)
    return bad_request(
        f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: '
        f"strict decoding error: {fields}"
    )


def raise_if(kind: Kind, name: str, causes: list[Cause]) -> None:
    """Raise 422 Invalid for `causes`, if any."""
    if causes:
        raise invalid(kind, name, causes)

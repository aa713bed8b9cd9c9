"""The official REST specs in `../shared/specs`, resolved with prance, and response validation.

The specs are read in place (nothing is copied into the repo); tests that need them skip with a
clear message when `shared/` is not beside the clone.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from prance.util.resolver import RESOLVE_FILES, RESOLVE_INTERNAL, RefResolver

SPEC_ROOT = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "specs"
    / "azure-rest-api-specs"
    / "specification"
)
SPECS = {
    "aks": "containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2026-08-01/"
    "managedClusters.json",
    "msi": "msi/resource-manager/Microsoft.ManagedIdentity/ManagedIdentity/stable/2024-11-30/"
    "ManagedIdentity.json",
    "assignments": "authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/"
    "authorization-RoleAssignmentsCalls.json",
    "definitions": "authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/"
    "authorization-RoleDefinitionsCalls.json",
    "compute": "compute/resource-manager/Microsoft.Compute/Compute/stable/2026-04-01/"
    "ComputeRP.VirtualMachines_List.excerpt.json",
}


def require_specs() -> None:
    """Skip the calling test when the shared specs are not beside the clone."""
    if not SPEC_ROOT.is_dir():
        pytest.skip(f"official specs not found at {SPEC_ROOT} (CI puts shared/ beside the clone)")


def _walk(node: Any, visit: Any) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _drop_examples(node: dict[str, Any]) -> None:
    # `x-ms-examples` point at many example files that were not saved; they are not schemas.
    node.pop("x-ms-examples", None)


def _stub_dangling(spec: dict[str, Any]) -> None:
    """The compute excerpt's refs to sub-objects that were not copied dangle on purpose
    (see specs/README.md); they become 'anything', so only the copied parts are checked."""
    known = spec.get("definitions", {})

    def visit(node: dict[str, Any]) -> None:
        ref = node.get("$ref", "")
        if ref.startswith("#/definitions/") and ref.split("/")[-1] not in known:
            node.pop("$ref")
            node["description"] = f"dangling in the excerpt: {ref}"

    _walk(spec, visit)


@functools.cache
def resolved(name: str) -> dict[str, Any]:
    """A spec with every `$ref` (local and cross-file) resolved by prance."""
    require_specs()
    path = SPEC_ROOT / SPECS[name]
    spec = json.loads(path.read_text())
    _walk(spec, _drop_examples)
    if name == "compute":
        _stub_dangling(spec)
    resolver = RefResolver(
        spec,
        str(path),
        resolve_types=RESOLVE_FILES | RESOLVE_INTERNAL,
        # Recursive types (error details inside error details) stop at one level.
        recursion_limit_handler=lambda limit, ref, recursions: {"description": f"recursive {ref}"},
    )
    resolver.resolve_references()
    return resolver.specs  # type: ignore[no-any-return]


def without_nulls(value: Any) -> Any:
    """`value` with null members removed: ARM sends null for unset properties (a role
    assignment's `condition`, for one) where the specs, lacking `x-nullable`, say string; the
    SDKs read null as absent, and so does this check."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def response_schema(name: str, path: str, method: str, status: int | str) -> dict[str, Any]:
    """The schema of one operation's response (`status` "default" for its error body)."""
    responses = resolved(name)["paths"][path][method.lower()]["responses"]
    return responses[str(status)]["schema"]  # type: ignore[no-any-return]


def definition(name: str, definition_name: str) -> dict[str, Any]:
    """One resolved definition of a spec."""
    return resolved(name)["definitions"][definition_name]  # type: ignore[no-any-return]


def check(body: Any, schema: dict[str, Any]) -> None:
    """Validate a response body (Swagger 2.0 schemas are JSON Schema draft 4)."""
    jsonschema.Draft4Validator(schema).validate(without_nulls(body))


def example(spec: str, name: str) -> dict[str, Any]:
    """An official example file saved beside a spec."""
    require_specs()
    path = SPEC_ROOT / Path(SPECS[spec]).parent / "examples" / name
    return json.loads(path.read_text())  # type: ignore[no-any-return]

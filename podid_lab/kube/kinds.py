"""The resource types a cluster serves: the built-in ones, and those its CRDs define."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
# Every kind accepts these field selectors; each kind adds its own (as the API server does).
COMMON_FIELDS = ("metadata.name", "metadata.namespace")


@dataclass(frozen=True)
class Kind:
    """One REST resource: where it lives, what it is called and what it accepts."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[str, ...] = ()
    field_labels: tuple[str, ...] = ()
    # Built-in kinds take strategic-merge patches; custom resources only JSON and merge patches.
    strategic: bool = True
    printer_columns: tuple[dict[str, Any], ...] = ()
    schema: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        """The discovery path of the kind's group version (`api/v1`, `apis/apps/v1`)."""
        return f"apis/{self.group}/{self.version}" if self.group else f"api/{self.version}"

    @property
    def group_resource(self) -> str:
        """`pods`, `daemonsets.apps`: how messages and store keys name the resource."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def qualified_kind(self) -> str:
        """`Pod`, `DaemonSet.apps`: how validation messages name the kind."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def accepts_field(self, label: str) -> bool:
        """True if `label` may be used in a field selector on this kind."""
        return label in COMMON_FIELDS or label in self.field_labels


NAMESPACES = Kind(
    "",
    "v1",
    "namespaces",
    "Namespace",
    False,
    ("ns",),
    verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    subresources=("finalize", "status"),
    field_labels=("status.phase",),
)
NODES = Kind(
    "",
    "v1",
    "nodes",
    "Node",
    False,
    ("no",),
    subresources=("status",),
    field_labels=("spec.unschedulable",),
)
PODS = Kind(
    "",
    "v1",
    "pods",
    "Pod",
    True,
    ("po",),
    ("all",),
    subresources=("attach", "exec", "log", "status"),
    field_labels=(
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
)
EVENTS = Kind(
    "",
    "v1",
    "events",
    "Event",
    True,
    ("ev",),
    field_labels=(
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
)
SERVICE_ACCOUNTS = Kind("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",))
DAEMON_SETS = Kind(
    "apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), ("all",), subresources=("status",)
)
CRDS = Kind(
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    False,
    ("crd", "crds"),
    ("api-extensions",),
    subresources=("status",),
)

BUILTIN: tuple[Kind, ...] = (NAMESPACES, NODES, PODS, EVENTS, SERVICE_ACCOUNTS, DAEMON_SETS, CRDS)
# Group versions in the order a real API server lists them (core first, CRD groups last).
BUILTIN_GROUPS: tuple[tuple[str, str], ...] = (("apps", "v1"), ("apiextensions.k8s.io", "v1"))


def from_crd(crd: dict[str, Any]) -> list[Kind]:
    """The kinds an established CRD serves, one per served version."""
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    kinds = []
    for version in spec.get("versions", []):
        if not version.get("served", True):
            continue
        status = version.get("subresources") or {}
        kinds.append(
            Kind(
                group=spec["group"],
                version=version["name"],
                resource=names["plural"],
                kind=names["kind"],
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames", ())),
                categories=tuple(names.get("categories", ())),
                subresources=("status",) if "status" in status else (),
                strategic=False,
                printer_columns=tuple(version.get("additionalPrinterColumns", ())),
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
            )
        )
    return kinds

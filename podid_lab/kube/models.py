"""Each cluster's API state, durable in the lab's store, and the controllers AKS would run.

Objects live in the `kube.objects` collection under `<cluster key>/<group resource>/<namespace
or _>/<name>`, so a namespace, a resource type or a whole cluster is one key range. Every write
takes the cluster's next resourceVersion from a durable counter and is published to the watch
cache after the store has it.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import secrets
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import yaml

from .. import ids
from ..bodies import parse_json, parse_yaml
from ..store import Document, Store
from . import errors, objects, validation
from .errors import KubeError
from .kinds import (
    BUILTIN,
    CRDS,
    DAEMON_SETS,
    EVENTS,
    NAMESPACES,
    NODES,
    PODS,
    SERVICE_ACCOUNTS,
    Kind,
    from_crd,
)
from .objects import Obj
from .patch import json_patch, merge_patch, strategic_merge
from .selectors import Requirement, matches
from .watch import Change, Hub

CLUSTERS = "kube.clusters"
OBJECTS = "kube.objects"
LOGS = "kube.logs"
PENDING = "kube.pending"

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
# Server-set metadata a client cannot choose when it creates an object.
SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "managedFields",
    "selfLink",
)
# Kinds whose spec changes bump metadata.generation.
GENERATION_KINDS = {DAEMON_SETS.group_resource, CRDS.group_resource}

PodHook = Callable[[str, Obj], None]
# Mutating admission for a new pod, after the built-in plugins (a webhook's place).
AdmissionHook = Callable[["Cluster", Obj], None]


def cluster_key(cluster_id: str) -> str:
    """The cluster's URL key: its name (readable) plus a hash of its ID (unique)."""
    name = cluster_id.rstrip("/").rsplit("/", 1)[-1].lower()
    slug = re.sub(r"[^a-z0-9-]+", "-", name).strip("-")[:40] or "cluster"
    return f"{slug}-{ids.stable_guid('kube-cluster', cluster_id)[:8]}"


def _resource_group(cluster_id: str) -> str:
    parts = cluster_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else ""


def pod_identity_crds() -> list[Obj]:
    """The four aadpodidentity.k8s.io CRDs, as the add-on's chart installs them."""
    text = resources.files("podid_lab").joinpath("data/aad-pod-identity-crds.yaml").read_text()
    return [doc for doc in yaml.safe_load_all(text) if doc]


class Clusters:
    """Every cluster's API: create or update one for a managed cluster, hand out tokens."""

    def __init__(self, store: Store, knobs: dict[str, Any]) -> None:
        self.store = store
        self.knobs = knobs
        self.hub = Hub()
        # Called with (cluster key, pod) when a pod is finally gone (part 4 stops its process).
        self.pod_removed_hooks: list[PodHook] = []
        # Called with (cluster, pod) as a pod is created; may change it or raise KubeError.
        self.pod_admission_hooks: list[AdmissionHook] = []

    def ensure(
        self,
        cluster_id: str,
        *,
        name: str,
        kubernetes_version: str,
        nodes: list[str],
        location: str,
        node_resource_group: str,
        vm_size: str = objects.DEFAULT_VM_SIZE,
        max_pods: int = objects.DEFAULT_MAX_PODS,
    ) -> str:
        """Create or update the cluster's API state (idempotent); return its path prefix."""
        key = cluster_key(cluster_id)
        with self.store.transaction():
            doc = self.store.get(CLUSTERS, key) or {
                "key": key,
                "clusterId": cluster_id,
                # AKS's static kubeconfig tokens are 64 hex characters.
                "tokens": {"admin": secrets.token_hex(32), "user": secrets.token_hex(32)},
            }
            doc.update(
                name=name,
                kubernetesVersion=kubernetes_version,
                location=location,
                nodeResourceGroup=node_resource_group,
                vmSize=vm_size,
                maxPods=max_pods,
            )
            self.store.put(CLUSTERS, key, doc)
            cluster = Cluster(self, doc)
            for namespace in objects.SYSTEM_NAMESPACES:
                if cluster.find(NAMESPACES, "", namespace) is None:
                    cluster.create(NAMESPACES, "", objects.namespace_doc(namespace))
            cluster.sync_nodes(nodes)
        return f"/k8s/{key}"

    def token(self, cluster_id: str, *, admin: bool) -> str:
        """The bearer token of the cluster's user or admin kubeconfig."""
        return self.of(cluster_id).doc["tokens"]["admin" if admin else "user"]  # type: ignore[no-any-return]

    def remove(self, cluster_id: str) -> None:
        """Delete the cluster's whole API state; its watches end."""
        key = cluster_key(cluster_id)
        with self.store.transaction():
            doc = self.store.get(CLUSTERS, key)
            if doc is not None:
                cluster = Cluster(self, doc)
                for _, pod in self.store.scan(OBJECTS, cluster.prefix(PODS)):
                    for hook in self.pod_removed_hooks:
                        hook(key, pod)
            for collection in (OBJECTS, LOGS, PENDING):
                self.store.delete_tree(collection, key)
            self.store.delete(CLUSTERS, key)
        self.hub.forget(key)

    def forget_all(self) -> None:
        """Drop every watch cache (after the lab's state was wiped)."""
        self.hub.forget()

    def all(self) -> list[Cluster]:
        """Every cluster that has an API."""
        return [Cluster(self, doc) for _, doc in self.store.scan(CLUSTERS)]

    def by_key(self, key: str) -> Cluster | None:
        """The cluster served under `/k8s/<key>`, or None."""
        doc = self.store.get(CLUSTERS, key)
        return None if doc is None else Cluster(self, doc)

    def of(self, cluster_id: str) -> Cluster:
        """The cluster for a managed cluster's ID (KeyError if it has no API)."""
        cluster = self.by_key(cluster_key(cluster_id))
        if cluster is None:
            raise KeyError(cluster_id)
        return cluster

    def kubeconfig(self, cluster_id: str, *, origin: str, ca_pem: bytes, admin: bool) -> str:
        """A kubeconfig as `az aks get-credentials` writes it (user or admin), as YAML."""
        cluster = self.of(cluster_id)
        name = cluster.doc["name"]
        user = f"{'clusterAdmin' if admin else 'clusterUser'}_{_resource_group(cluster_id)}_{name}"
        context = f"{name}-admin" if admin else name
        config: Obj = {
            "apiVersion": "v1",
            "clusters": [
                {
                    "cluster": {
                        "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                        "server": f"{origin.rstrip('/')}/k8s/{cluster.key}",
                    },
                    "name": name,
                }
            ],
            "contexts": [{"context": {"cluster": name, "user": user}, "name": context}],
            "current-context": context,
            "kind": "Config",
            "preferences": {},
            "users": [{"name": user, "user": {"token": self.token(cluster_id, admin=admin)}}],
        }
        return yaml.safe_dump(config, sort_keys=False)

    def install_pod_identity_crds(self, cluster_id: str) -> None:
        """Install (or update) the aadpodidentity.k8s.io CRDs in the cluster."""
        cluster = self.of(cluster_id)
        for crd in pod_identity_crds():
            name = crd["metadata"]["name"]
            current = cluster.find(CRDS, "", name)
            if current is None:
                cluster.create(CRDS, "", crd)
            else:
                crd["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                cluster.replace(CRDS, "", name, crd)

    def tick(self) -> None:
        """Finish deletions that fell due (terminated pods, finalized namespaces)."""
        now = time.time()
        for key, entry in self.store.scan(PENDING):
            if entry["due"] > now:
                continue
            cluster = self.by_key(key.split("/", 1)[0])
            if cluster is None:
                self.store.delete(PENDING, key)
                continue
            cluster.finish_deletion(entry)
            self.store.delete(PENDING, key)


class Cluster:
    """One cluster's API objects and the operations the API server offers on them."""

    def __init__(self, clusters: Clusters, doc: Document) -> None:
        self._clusters = clusters
        self._store = clusters.store
        self.doc = doc
        self.key: str = doc["key"]
        self._reconciling: set[str] = set()

    @property
    def git_version(self) -> str:
        return objects.git_version(self.doc["kubernetesVersion"])

    # -- kinds and keys -----------------------------------------------------------------------

    def kinds(self) -> list[Kind]:
        """The built-in kinds and those of the cluster's established CRDs."""
        found = list(BUILTIN)
        for _, crd in self._store.scan(OBJECTS, self.prefix(CRDS)):
            if _established(crd) and not crd["metadata"].get("deletionTimestamp"):
                found.extend(from_crd(crd))
        return found

    def kind(self, group: str, version: str, resource: str) -> Kind | None:
        """The kind served at group/version/resource, or None."""
        for kind in self.kinds():
            if (kind.group, kind.version, kind.resource) == (group, version, resource):
                return kind
        return None

    def prefix(self, kind: Kind, namespace: str = "") -> str:
        """The store prefix of a kind's objects (in one namespace, or all)."""
        base = f"{self.key}/{kind.group_resource}/"
        if not kind.namespaced:
            return base + "_/"
        return base + (f"{namespace}/" if namespace else "")

    def _object_key(self, kind: Kind, namespace: str, name: str) -> str:
        return f"{self.key}/{kind.group_resource}/{namespace if kind.namespaced else '_'}/{name}"

    @property
    def _counter(self) -> str:
        return f"kube.rv/{self.key}"

    def resource_version(self) -> int:
        """The cluster's current resourceVersion."""
        return self._store.value(self._counter)

    # -- reads -------------------------------------------------------------------------------

    def find(self, kind: Kind, namespace: str, name: str) -> Obj | None:
        """The object, or None."""
        return self._store.get(OBJECTS, self._object_key(kind, namespace, name))

    def get(self, kind: Kind, namespace: str, name: str) -> Obj:
        """The object, or 404."""
        obj = self.find(kind, namespace, name)
        if obj is None:
            raise errors.not_found(kind, name)
        return obj

    def items(self, kind: Kind, namespace: str = "") -> list[Obj]:
        """Every object of a kind (in one namespace, or all), in key order."""
        return [obj for _, obj in self._store.scan(OBJECTS, self.prefix(kind, namespace))]

    def list_objects(
        self,
        kind: Kind,
        namespace: str,
        *,
        labels: list[Requirement],
        fields: list[Requirement],
        limit: int = 0,
        continue_token: str = "",
    ) -> Obj:
        """A `<Kind>List` with selectors applied, paged by `limit` and `continue`."""
        rv = self.resource_version()
        start = _decode_continue(continue_token) if continue_token else ""
        prefix = self.prefix(kind, namespace)
        selected = [
            (key[len(prefix) :], obj)
            for key, obj in self._store.scan(OBJECTS, prefix)
            if key[len(prefix) :] > start and matches(obj, labels, fields)
        ]
        meta: Obj = {"resourceVersion": str(rv)}
        if limit and len(selected) > limit:
            last = selected[limit - 1][0]
            token = {"v": "meta.k8s.io/v1", "rv": rv, "start": last + "\x00"}
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
            if not labels and not fields:
                meta["remainingItemCount"] = len(selected) - limit
            selected = selected[:limit]
        items = [obj for _, obj in selected]
        if kind.strategic:
            # Typed lists carry apiVersion and kind once, not on every item.
            items = [
                {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")} for obj in items
            ]
        return {
            "kind": f"{kind.kind}List",
            "apiVersion": kind.api_version,
            "metadata": meta,
            "items": items,
        }

    # -- writes ------------------------------------------------------------------------------

    def _save(self, kind: Kind, obj: Obj, change: str, old: Obj | None) -> Obj:
        rv = self._store.next_value(self._counter)
        meta = obj["metadata"]
        meta["resourceVersion"] = str(rv)
        key = self._object_key(kind, meta.get("namespace", ""), meta["name"])
        if change == "DELETED":
            self._store.delete(OBJECTS, key)
        else:
            self._store.put(OBJECTS, key, obj)
        namespace = meta.get("namespace", "")
        self._clusters.hub.publish(
            self.key, Change(rv, change, kind.group_resource, namespace, obj, old), rv
        )
        return obj

    def create(
        self,
        kind: Kind,
        namespace: str,
        body: Any,
        *,
        manager: str = "",
        field_validation: str = "",
        dry_run: bool = False,
    ) -> tuple[Obj, list[str]]:
        """Create an object (POST); returns it and any warnings."""
        obj = self._new_object(kind, namespace, body)
        name = obj["metadata"]["name"]
        warnings = self._admit(kind, obj, None, field_validation)
        if self.find(kind, namespace, name) is not None:
            raise errors.already_exists(kind, name)
        if dry_run:
            return obj, warnings
        with self._store.transaction():
            now = time.time()
            meta = obj["metadata"]
            meta["uid"] = ids.stable_guid(
                "kube-object",
                self.doc["clusterId"],
                kind.group_resource,
                namespace,
                name,
                str(self.resource_version() + 1),
            )
            meta["creationTimestamp"] = objects.timestamp(now)
            if kind.group_resource in GENERATION_KINDS or not kind.strategic:
                meta["generation"] = 1
            if kind is PODS:
                self._schedule(obj)
            meta["managedFields"] = [_managed_entry(manager or "unknown", "Update", kind, obj, now)]
            saved = self._save(kind, obj, "ADDED", None)
            self._after_write(kind, saved, None)
        return saved, warnings

    def _new_object(self, kind: Kind, namespace: str, body: Any) -> Obj:
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        obj = copy.deepcopy(body)
        if obj.get("kind", kind.kind) != kind.kind:
            raise errors.bad_request(
                f'{obj["kind"]} in version "{kind.version}" cannot be handled as a {kind.kind}: '
                f"the object kind does not match the resource"
            )
        obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
        meta = obj.setdefault("metadata", {}) or {}
        obj["metadata"] = meta
        for field in SERVER_METADATA:
            meta.pop(field, None)
        if kind.namespaced:
            if meta.get("namespace", namespace) != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the "
                    "request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            seed = f"{self.key}/{meta['generateName']}/{self.resource_version()}"
            meta["name"] = meta["generateName"] + objects.random_suffix(seed)
        name = meta.get("name") or ""
        if not name:
            raise errors.invalid(
                kind, "", [validation.required("metadata.name", "name or generateName is required")]
            )
        validation.raise_if(kind, name, validation.name_causes(name, label=kind is NAMESPACES))
        if kind.namespaced:
            ns = self.find(NAMESPACES, "", namespace)
            if ns is None:
                raise errors.not_found(NAMESPACES, namespace)
            if ns["status"].get("phase") == "Terminating":
                raise errors.forbidden(
                    kind,
                    name,
                    f"unable to create new content in namespace {namespace} because it is being "
                    "terminated",
                )
        return obj

    def _admit(self, kind: Kind, obj: Obj, old: Obj | None, field_validation: str) -> list[str]:
        """Defaults and validation for a new or changed object; returns warnings."""
        name = obj["metadata"]["name"]
        if kind is NAMESPACES:
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["status"] = (old or {}).get("status") or {"phase": "Active"}
        elif kind is PODS:
            if old is None:
                validation.raise_if(kind, name, validation.pod_causes(obj.get("spec")))
                seed = f"{self.key}/{name}/{self.resource_version()}"
                token = f"kube-api-access-{objects.random_suffix(seed)}"
                mount = obj["spec"].get("automountServiceAccountToken", True)
                objects.default_pod_spec(obj["spec"], token_volume=token if mount else None)
                for hook in self._clusters.pod_admission_hooks:
                    hook(self, obj)
                obj["status"] = {"phase": "Pending", "qosClass": objects.qos_class(obj["spec"])}
            else:
                validation.raise_if(kind, name, validation.pod_update_causes(old, obj))
        elif kind is DAEMON_SETS:
            self._admit_daemon_set(obj)
        elif kind is CRDS:
            _admit_crd(obj)
        elif not kind.strategic:
            unknown, causes = validation.check_custom(kind, obj)
            validation.raise_if(kind, name, causes)
            if unknown and field_validation == "Strict":
                raise validation.unknown_field_error(kind, unknown)
            if field_validation != "Ignore":
                return [f'unknown field "{u}"' for u in unknown]
        return []

    def _admit_daemon_set(self, obj: Obj) -> None:
        name = obj["metadata"]["name"]
        spec = obj.setdefault("spec", {})
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        template = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        if not selector:
            raise errors.invalid(DAEMON_SETS, name, [validation.required("spec.selector")])
        if any(labels.get(k) != v for k, v in selector.items()):
            raise errors.invalid(
                DAEMON_SETS,
                name,
                [
                    validation.value_invalid(
                        "spec.template.metadata.labels",
                        labels,
                        "`selector` does not match template `labels`",
                    )
                ],
            )
        validation.raise_if(
            DAEMON_SETS,
            name,
            [
                (f"spec.template.{field}", reason, message)
                for field, reason, message in validation.pod_causes(template.get("spec"))
            ],
        )
        objects.default_pod_spec(template["spec"], token_volume=None)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault(
            "updateStrategy",
            {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
        )
        zero = (
            "currentNumberScheduled",
            "numberMisscheduled",
            "desiredNumberScheduled",
            "numberReady",
        )
        obj["status"] = {field: 0 for field in zero}

    def replace(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        body: Any,
        *,
        subresource: str = "",
        manager: str = "",
        field_validation: str = "",
        operation: str = "Update",
    ) -> tuple[Obj, list[str]]:
        """Update an object (PUT, or the result of a PATCH); returns it and any warnings."""
        old = self.get(kind, namespace, name)
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was in an unknown format")
        new = copy.deepcopy(body)
        meta = new.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL "
                f"({name})"
            )
        given_rv = meta.get("resourceVersion")
        if given_rv and given_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(kind, name)
        new["apiVersion"], new["kind"] = kind.api_version, kind.kind
        for field in (
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
        ):
            if field in old["metadata"]:
                meta[field] = old["metadata"][field]
            else:
                meta.pop(field, None)
        has_status = "status" in kind.subresources
        if subresource == "status":
            new = dict(copy.deepcopy(old), status=new.get("status", {}))
            warnings: list[str] = []
        else:
            if has_status and "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            warnings = self._admit(kind, new, old, field_validation)
        if _comparable(new) == _comparable(old):
            return old, warnings
        now = time.time()
        if "generation" in meta and new.get("spec") != old.get("spec"):
            meta["generation"] += 1
        meta["managedFields"] = _merge_managed(
            meta.get("managedFields", []),
            manager or "unknown",
            operation,
            kind,
            new,
            now,
            subresource,
        )
        with self._store.transaction():
            saved = self._save(kind, new, "MODIFIED", old)
            self._after_write(kind, saved, old)
        return saved, warnings

    def patch(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        content_type: str,
        raw: bytes,
        *,
        subresource: str = "",
        manager: str = "",
        field_validation: str = "",
        force: bool = False,
    ) -> tuple[Obj, list[str], bool]:
        """Apply a PATCH; returns (object, warnings, created) — apply patches may create."""
        accepted = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH] + (
            [STRATEGIC_PATCH] if kind.strategic else []
        )
        if content_type not in accepted:
            raise errors.unsupported_media_type(accepted)
        try:
            body = parse_yaml(raw) if content_type == APPLY_PATCH else parse_json(raw or b"null")
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(f"error decoding patch: {exc}") from None
        current = self.find(kind, namespace, name)
        if content_type == APPLY_PATCH:
            if not manager:
                raise KubeError(
                    422,
                    "Invalid",
                    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                    "required for apply patch",
                )
            if not isinstance(body, dict):
                raise errors.bad_request("error decoding YAML: the apply patch must be an object")
            if current is None:
                body.setdefault("metadata", {}).setdefault("name", name)
                obj, warnings = self.create(
                    kind, namespace, body, manager=manager, field_validation=field_validation
                )
                return obj, warnings, True
            merged = (
                strategic_merge(current, body) if kind.strategic else merge_patch(current, body)
            )
            obj, warnings = self.replace(
                kind,
                namespace,
                name,
                merged,
                subresource=subresource,
                manager=manager,
                field_validation=field_validation,
                operation="Apply",
            )
            return obj, warnings, False
        if current is None:
            raise errors.not_found(kind, name)
        if content_type == JSON_PATCH:
            patched = json_patch(current, body)
        elif content_type == MERGE_PATCH:
            patched = merge_patch(current, body)
        else:
            patched = strategic_merge(current, body)
        if isinstance(patched, dict):
            # A patch without a resourceVersion is not a precondition.
            given = (
                (body or {}).get("metadata", {}).get("resourceVersion")
                if isinstance(body, dict)
                else None
            )
            patched.setdefault("metadata", {})["resourceVersion"] = (
                given or current["metadata"]["resourceVersion"]
            )
        obj, warnings = self.replace(
            kind,
            namespace,
            name,
            patched,
            subresource=subresource,
            manager=manager,
            field_validation=field_validation,
        )
        return obj, warnings, False

    def delete(
        self, kind: Kind, namespace: str, name: str, options: Obj | None = None
    ) -> tuple[Obj, bool]:
        """Delete an object; returns (what the server answers with, whether it is gone now)."""
        options = options or {}
        obj = self.get(kind, namespace, name)
        preconditions = options.get("preconditions") or {}
        if preconditions.get("uid") and preconditions["uid"] != obj["metadata"]["uid"]:
            raise KubeError(
                409,
                "Conflict",
                f"Precondition failed: UID in precondition: {preconditions['uid']}, "
                f"UID in object meta: {obj['metadata']['uid']}",
            )
        if preconditions.get("resourceVersion") not in (None, obj["metadata"]["resourceVersion"]):
            raise errors.conflict(kind, name)
        if kind is NAMESPACES:
            return self._delete_namespace(obj), False
        if kind is PODS:
            grace = options.get("gracePeriodSeconds")
            if grace is None:
                grace = obj["spec"].get("terminationGracePeriodSeconds", 30)
            if grace > 0 and _has_running_containers(obj):
                return self._terminate_pod(obj, int(grace)), False
        with self._store.transaction():
            gone = self.remove_object(kind, obj)
        return gone, True

    def _delete_namespace(self, obj: Obj) -> Obj:
        name = obj["metadata"]["name"]
        if name in objects.PROTECTED_NAMESPACES:
            raise errors.forbidden(NAMESPACES, name, "this namespace may not be deleted")
        if obj["metadata"].get("deletionTimestamp"):
            return obj
        old = copy.deepcopy(obj)
        obj["metadata"]["deletionTimestamp"] = objects.timestamp()
        obj["status"] = {"phase": "Terminating"}
        with self._store.transaction():
            saved = self._save(NAMESPACES, obj, "MODIFIED", old)
            self._schedule_finish(
                NAMESPACES, obj, float(self._clusters.knobs.get("namespace_delete_seconds", 0.5))
            )
        return saved

    def _terminate_pod(self, obj: Obj, grace: int) -> Obj:
        if obj["metadata"].get("deletionTimestamp"):
            return obj
        old = copy.deepcopy(obj)
        now = time.time()
        obj["metadata"]["deletionTimestamp"] = objects.timestamp(now + grace)
        obj["metadata"]["deletionGracePeriodSeconds"] = grace
        with self._store.transaction():
            saved = self._save(PODS, obj, "MODIFIED", old)
            seconds = min(
                float(grace), float(self._clusters.knobs.get("pod_termination_seconds", 1.0))
            )
            self._schedule_finish(PODS, obj, seconds)
        return saved

    def _schedule_finish(self, kind: Kind, obj: Obj, seconds: float) -> None:
        meta = obj["metadata"]
        key = self._object_key(kind, meta.get("namespace", ""), meta["name"])
        entry = {
            "resource": kind.group_resource,
            "namespace": meta.get("namespace", ""),
            "name": meta["name"],
        }
        self._store.put(PENDING, key, dict(entry, due=time.time() + seconds))

    def finish_deletion(self, entry: Document) -> None:
        """Remove an object whose graceful deletion fell due (a namespace takes its contents)."""
        kind = NAMESPACES if entry["resource"] == "namespaces" else PODS
        obj = self.find(kind, entry["namespace"], entry["name"])
        if obj is None:
            return
        with self._store.transaction():
            if kind is NAMESPACES:
                namespace = entry["name"]
                for each in self.kinds():
                    if each.namespaced:
                        for item in self.items(each, namespace):
                            self.remove_object(each, item)
                self._store.delete_tree(LOGS, f"{self.key}/{namespace}")
            self.remove_object(kind, obj)

    def remove_object(self, kind: Kind, obj: Obj) -> Obj:
        """Delete an object now (with what depends on it); returns what DELETE answers."""
        old = copy.deepcopy(obj)
        meta = obj["metadata"]
        meta.setdefault("deletionTimestamp", objects.timestamp())
        if kind is PODS:
            meta.setdefault("deletionGracePeriodSeconds", 0)
        self._save(kind, obj, "DELETED", old)
        self._store.delete(PENDING, self._object_key(kind, meta.get("namespace", ""), meta["name"]))
        if kind is PODS:
            self._store.delete_tree(LOGS, f"{self.key}/{meta['namespace']}/{meta['name']}")
            for hook in self._clusters.pod_removed_hooks:
                hook(self.key, obj)
            self._reconcile_owner(obj)
            return obj
        if kind is DAEMON_SETS:
            for pod in self._owned_pods(obj):
                self.remove_object(PODS, pod)
        if kind is CRDS:
            for custom in from_crd(obj)[:1]:
                for item in self.items(custom):
                    self.remove_object(custom, item)
        details: Obj = {"name": meta["name"]}
        if kind.group:
            details["group"] = kind.group
        details.update(kind=kind.resource, uid=meta["uid"])
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": details,
        }

    def _after_write(self, kind: Kind, obj: Obj, old: Obj | None) -> None:
        if kind is NAMESPACES and old is None:
            name = obj["metadata"]["name"]
            self.create(
                SERVICE_ACCOUNTS,
                name,
                objects.service_account_doc(name),
                manager="kube-controller-manager",
            )
        elif kind is PODS:
            if old is None and obj["spec"].get("nodeName"):
                node = obj["spec"]["nodeName"]
                self.record_event(
                    obj,
                    "Scheduled",
                    f"Successfully assigned {obj['metadata']['namespace']}/"
                    f"{obj['metadata']['name']} to {node}",
                    component="default-scheduler",
                )
            self._reconcile_owner(obj)
        elif kind is DAEMON_SETS:
            self.reconcile_daemon_set(obj)

    # -- scheduling and the DaemonSet controller ---------------------------------------------

    def _schedule(self, pod: Obj) -> None:
        """Bind a new pod to the least-loaded node its nodeSelector allows."""
        spec = pod["spec"]
        if not spec.get("nodeName"):
            selector = spec.get("nodeSelector") or {}
            nodes = [n for n in self.items(NODES) if _labels_match(n, selector)]
            if not nodes:
                return
            load = {n["metadata"]["name"]: 0 for n in nodes}
            for other in self.items(PODS):
                if other["spec"].get("nodeName") in load:
                    load[other["spec"]["nodeName"]] += 1
            spec["nodeName"] = min(load, key=lambda n: (load[n], n))
        pod["status"]["conditions"] = [
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": objects.timestamp(),
            },
        ]

    def sync_nodes(self, names: list[str]) -> None:
        """Make the Node objects match the pool's instances (adds, upgrades, removes)."""
        version = self.git_version
        wanted: set[str] = set(names)
        for node in self.items(NODES):
            if node["metadata"]["name"] not in wanted:
                self.remove_object(NODES, node)
        for index, name in enumerate(names):
            doc = objects.node_doc(
                name,
                index,
                cluster_name=self.doc["name"],
                location=self.doc["location"],
                node_resource_group=self.doc["nodeResourceGroup"],
                version=version,
                vm_size=self.doc["vmSize"],
                max_pods=self.doc["maxPods"],
            )
            current = self.find(NODES, "", name)
            if current is None:
                self.create(NODES, "", doc, manager="kubelet")
            elif current["status"]["nodeInfo"]["kubeletVersion"] != version:
                current["status"]["nodeInfo"].update(
                    kubeletVersion=version, kubeProxyVersion=version
                )
                self.replace(NODES, "", name, current, subresource="status", manager="kubelet")
        for daemon_set in self.items(DAEMON_SETS):
            self.reconcile_daemon_set(daemon_set)

    def _owned_pods(self, owner: Obj) -> list[Obj]:
        uid = owner["metadata"]["uid"]
        return [
            pod
            for pod in self.items(PODS, owner["metadata"]["namespace"])
            if any(ref.get("uid") == uid for ref in pod["metadata"].get("ownerReferences", []))
        ]

    def _reconcile_owner(self, pod: Obj) -> None:
        for ref in pod["metadata"].get("ownerReferences", []):
            if ref.get("kind") == "DaemonSet":
                owner = self.find(DAEMON_SETS, pod["metadata"]["namespace"], ref["name"])
                if owner is not None and owner["metadata"]["uid"] == ref.get("uid"):
                    self.reconcile_daemon_set(owner)

    def reconcile_daemon_set(self, ds: Obj) -> None:
        """One pod per eligible node, and the DaemonSet's status counts (the DS controller)."""
        uid = ds["metadata"]["uid"]
        # Its own pod and status writes call back here; one pass at a time sees them all.
        if uid in self._reconciling or ds["metadata"].get("deletionTimestamp"):
            return
        self._reconciling.add(uid)
        try:
            self._sync_daemon_set(ds)
        finally:
            self._reconciling.discard(uid)

    def _sync_daemon_set(self, ds: Obj) -> None:
        meta, spec = ds["metadata"], ds["spec"]
        template = spec["template"]
        selector = template["spec"].get("nodeSelector") or {}
        nodes = {n["metadata"]["name"] for n in self.items(NODES) if _labels_match(n, selector)}
        pods = self._owned_pods(ds)
        placed = {
            p["spec"].get("nodeName"): p for p in pods if not p["metadata"].get("deletionTimestamp")
        }
        for pod in pods:
            if pod["spec"].get("nodeName") not in nodes:
                self.remove_object(PODS, pod)
        for node in sorted(nodes - set(placed)):
            pod_spec = copy.deepcopy(template["spec"])
            pod_spec["nodeName"] = node
            pod_spec["affinity"] = {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchFields": [
                                    {"key": "metadata.name", "operator": "In", "values": [node]}
                                ]
                            }
                        ]
                    }
                }
            }
            labels = dict(template.get("metadata", {}).get("labels", {}))
            labels["controller-revision-hash"] = objects.random_suffix(
                meta["uid"] + str(meta.get("generation")), 10
            )
            labels["pod-template-generation"] = str(meta.get("generation", 1))
            pod = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "generateName": f"{meta['name']}-",
                    "labels": labels,
                    "annotations": dict(template.get("metadata", {}).get("annotations", {})),
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "DaemonSet",
                            "name": meta["name"],
                            "uid": meta["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "spec": pod_spec,
            }
            created, _ = self.create(
                PODS, meta["namespace"], pod, manager="kube-controller-manager"
            )
            placed[node] = created
        current = self.get(DAEMON_SETS, meta["namespace"], meta["name"])
        ready = sum(1 for node, pod in placed.items() if node in nodes and _pod_ready(pod))
        status = {
            "currentNumberScheduled": len(set(placed) & nodes),
            "desiredNumberScheduled": len(nodes),
            "numberAvailable": ready,
            "numberMisscheduled": 0,
            "numberReady": ready,
            "observedGeneration": meta.get("generation", 1),
            "updatedNumberScheduled": len(set(placed) & nodes),
        }
        if len(nodes) > ready:
            status["numberUnavailable"] = len(nodes) - ready
        if not ready:
            del status["numberAvailable"]
        if current.get("status") != status:
            updated = dict(current, status=status)
            self.replace(
                DAEMON_SETS,
                meta["namespace"],
                meta["name"],
                updated,
                subresource="status",
                manager="kube-controller-manager",
            )

    # -- what the node side (part 4) drives ------------------------------------------------

    def update_status(
        self, kind: Kind, namespace: str, name: str, changes: Obj, *, manager: str = "kubelet"
    ) -> Obj:
        """Strategic-merge `changes` into an object's status (the kubelet's status updates)."""
        current = self.get(kind, namespace, name)
        updated = dict(current, status=strategic_merge(current.get("status", {}), changes))
        obj, _ = self.replace(kind, namespace, name, updated, subresource="status", manager=manager)
        return obj

    def record_event(
        self,
        involved: Obj,
        reason: str,
        message: str,
        *,
        event_type: str = "Normal",
        component: str = "kubelet",
        host: str = "",
    ) -> Obj:
        """Record a core/v1 Event about `involved` in its namespace (or `default`)."""
        namespace = involved["metadata"].get("namespace") or "default"
        doc = objects.event_doc(
            namespace=namespace,
            involved=involved,
            reason=reason,
            message=message,
            event_type=event_type,
            component=component,
            host=host,
            seq=self.resource_version(),
            now=time.time(),
        )
        obj, _ = self.create(EVENTS, namespace, doc, manager=component)
        return obj

    def append_log(
        self, namespace: str, pod: str, container: str, line: str, *, at: float | None = None
    ) -> None:
        """Add a line to a container's log (followers see it at once)."""
        seq = self._store.next_value(f"kube.log/{self.key}")
        key = f"{self.key}/{namespace}/{pod}/{container}/{seq:012d}"
        self._store.put(
            LOGS, key, {"t": time.time() if at is None else at, "line": line.rstrip("\n")}
        )
        self._clusters.hub.publish(self.key, None, self.resource_version())

    def log_lines(
        self, namespace: str, pod: str, container: str, after: str = ""
    ) -> list[tuple[str, float, str]]:
        """(cursor, time, text) of a container's log lines after `cursor`."""
        prefix = f"{self.key}/{namespace}/{pod}/{container}/"
        return [
            (key, doc["t"], doc["line"])
            for key, doc in self._store.scan(LOGS, prefix)
            if key > after
        ]


# -- helpers ------------------------------------------------------------------------------------


def _established(crd: Obj) -> bool:
    conditions = crd.get("status", {}).get("conditions", [])
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def _admit_crd(obj: Obj) -> None:
    """Check a CRD's names and mark it accepted and established (as the CRD controller does)."""
    name = obj["metadata"]["name"]
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    expected = f"{names.get('plural', '')}.{spec.get('group', '')}"
    if name != expected:
        raise errors.invalid(
            CRDS,
            name,
            [
                validation.value_invalid(
                    "metadata.name", name, 'must be spec.names.plural+"."+spec.group'
                )
            ],
        )
    if not spec.get("versions"):
        raise errors.invalid(
            CRDS,
            name,
            [
                validation.required(
                    "spec.versions", "must have exactly one version marked as storage version"
                )
            ],
        )
    now = objects.timestamp()
    accepted = dict(names)
    accepted.setdefault("singular", names.get("kind", "").lower())
    accepted.setdefault("listKind", names.get("kind", "") + "List")
    obj["status"] = {
        "acceptedNames": accepted,
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "NoConflicts",
                "message": "no conflicts found",
            },
            {
                "type": "Established",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
            },
        ],
        "storedVersions": [v["name"] for v in spec["versions"] if v.get("storage")],
    }


def _labels_match(obj: Obj, selector: dict[str, str]) -> bool:
    labels = obj["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _pod_ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in pod.get("status", {}).get("conditions", [])
    )


def _has_running_containers(pod: Obj) -> bool:
    statuses = pod.get("status", {}).get("containerStatuses") or []
    return any("running" in (s.get("state") or {}) for s in statuses)


def _comparable(obj: Obj) -> Obj:
    """An object without the fields every write changes (to spot no-op updates)."""
    meta = {
        k: v
        for k, v in obj.get("metadata", {}).items()
        if k not in ("resourceVersion", "managedFields")
    }
    return dict(obj, metadata=meta)


def _decode_continue(token: str) -> str:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(data["start"]).rstrip("\x00")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise errors.bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion "
            "(version meta.k8s.io/v1)"
        ) from None


def fields_v1(value: Any) -> Obj:
    """The managed-fields set (FieldsV1) covering every field of `value`."""
    if isinstance(value, dict):
        return {f"f:{k}": fields_v1(v) for k, v in value.items()}
    if isinstance(value, list):
        out: Obj = {}
        for item in value:
            if isinstance(item, dict) and "name" in item:
                out[f'k:{{"name":"{item["name"]}"}}'] = dict(fields_v1(item), **{".": {}})
            elif not isinstance(item, (dict, list)):
                out[f"v:{json.dumps(item)}"] = {}
        return out
    return {}


def _owned_fields(obj: Obj, subresource: str) -> Obj:
    if subresource == "status":
        return {"status": obj.get("status", {})}
    meta = {
        k: v
        for k, v in obj.get("metadata", {}).items()
        if k in ("labels", "annotations", "ownerReferences", "finalizers", "generateName")
    }
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata", "status")}
    return dict(body, metadata=meta) if meta else body


def _managed_entry(
    manager: str, operation: str, kind: Kind, obj: Obj, now: float, subresource: str = ""
) -> Obj:
    entry: Obj = {
        "manager": manager,
        "operation": operation,
        "apiVersion": kind.api_version,
        "time": objects.timestamp(now),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1(_owned_fields(obj, subresource)),
    }
    if subresource:
        entry["subresource"] = subresource
    return entry


def _merge_managed(
    entries: list[Obj],
    manager: str,
    operation: str,
    kind: Kind,
    obj: Obj,
    now: float,
    subresource: str,
) -> list[Obj]:
    """Replace this manager's entry (same operation and subresource) with a fresh one."""
    kept = [
        e
        for e in entries
        if (e.get("manager"), e.get("operation"), e.get("subresource", ""))
        != (manager, operation, subresource)
    ]
    return [*kept, _managed_entry(manager, operation, kind, obj, now, subresource)]

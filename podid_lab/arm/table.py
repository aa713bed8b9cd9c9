"""ARM resources by ID: the one table every provider stores its resources in."""

from __future__ import annotations

import time
from typing import Any

from ..ids import resource_key
from ..store import Document, Store

RESOURCES = "resources"


class ResourceTable:
    """Resources keyed by their (case-insensitive) ID, so a scope is a key range."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, resource_id: str) -> Document | None:
        """The resource, or None."""
        return self._store.get(RESOURCES, resource_key(resource_id))

    def put(self, doc: Document) -> Document:
        """Insert or replace a resource (its `id` is the key)."""
        self._store.put(RESOURCES, resource_key(doc["id"]), doc)
        return doc

    def delete(self, resource_id: str) -> bool:
        """Delete one resource."""
        return self._store.delete(RESOURCES, resource_key(resource_id))

    def delete_tree(self, scope: str) -> int:
        """Delete a resource and everything whose ID lies below it."""
        return self._store.delete_tree(RESOURCES, resource_key(scope))

    def list(self, scope: str, resource_type: str) -> list[Document]:
        """Resources of `resource_type` anywhere below `scope`, in ID order."""
        wanted = resource_type.lower()
        return [
            doc
            for _, doc in self._store.scan(RESOURCES, resource_key(scope) + "/")
            if doc.get("type", "").lower() == wanted
        ]


def settle(doc: Document, field: str, now: float | None = None) -> bool:
    """Apply a timed transition stored on `doc` if it has fallen due; True if it changed.

    A transition is `{"to": <value>, "at": <epoch>}` under `doc["_pending"][field]`; the value
    lives at the dotted path `field`. Reads settle lazily, so no timer is needed and a restart
    loses nothing.
    """
    pending = doc.get("_pending", {}).get(field)
    if pending is None or (time.time() if now is None else now) < pending["at"]:
        return False
    target: Any = doc
    *parents, leaf = field.split(".")
    for part in parents:
        target = target[part]
    target[leaf] = pending["to"]
    del doc["_pending"][field]
    if not doc["_pending"]:
        del doc["_pending"]
    return True


def schedule(doc: Document, field: str, to: Any, after: float) -> None:
    """Arrange for `field` to become `to` after `after` seconds (see `settle`)."""
    doc.setdefault("_pending", {})[field] = {"to": to, "at": time.time() + after}


def public(doc: Document) -> Document:
    """The resource as ARM returns it (bookkeeping fields removed)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}

"""Long-running operations: durable records that a ticker finishes when they fall due.

An operation is stored before the 201/202 is sent, so a lab killed mid-operation finishes it
after restart. Providers register a finisher per operation kind; the finisher does the work
(or raises ArmError to fail the operation) and may return a result document.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..ids import stable_guid
from ..store import Document, Store
from .errors import ArmError

OPERATIONS = "operations"
PENDING = "operations.pending"

Finisher = Callable[[Document], Document | None]


def iso(epoch: float) -> str:
    """ARM's timestamp format (UTC, 7 fractional digits, Z)."""
    stamp = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}0Z"


class Operations:
    """Starts, finishes and reports long-running operations."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._finishers: dict[str, Finisher] = {}

    def register(self, kind: str, finisher: Finisher) -> None:
        """Name the function that completes operations of `kind`."""
        self._finishers[kind] = finisher

    def start(
        self,
        kind: str,
        *,
        resource_id: str,
        namespace: str,
        location: str,
        subscription_id: str,
        duration: float,
        payload: Document | None = None,
    ) -> Document:
        """Record a new operation that falls due after `duration` seconds."""
        seq = self._store.next_value("operation")
        now = time.time()
        op: Document = {
            "id": stable_guid("operation", kind, resource_id, str(seq)),
            "kind": kind,
            "resourceId": resource_id,
            "namespace": namespace,
            "location": location,
            "subscriptionId": subscription_id,
            "status": "InProgress",
            "started": now,
            "due": now + duration,
            "payload": payload or {},
        }
        with self._store.transaction():
            self._store.put(OPERATIONS, op["id"], op)
            self._store.put(PENDING, op["id"], {"due": op["due"]})
        return op

    def get(self, op_id: str) -> Document | None:
        """The operation record, after finishing anything that is due."""
        self.tick()
        return self._store.get(OPERATIONS, op_id.lower())

    def pending_for(self, resource_id: str) -> list[Document]:
        """Unfinished operations on a resource."""
        key = resource_id.lower()
        out = []
        for op_id, _ in self._store.scan(PENDING):
            op = self._store.get(OPERATIONS, op_id)
            if op is not None and op["resourceId"].lower() == key:
                out.append(op)
        return out

    def tick(self, now: float | None = None) -> int:
        """Finish every operation that has fallen due; returns how many."""
        now = time.time() if now is None else now
        due = [op_id for op_id, doc in self._store.scan(PENDING) if doc["due"] <= now]
        for op_id in due:
            self._finish(op_id)
        return len(due)

    def finish_now(self, op_id: str) -> None:
        """Finish one operation immediately (a knob of 0 seconds, or a dependent step)."""
        if self._store.get(PENDING, op_id) is not None:
            self._finish(op_id)

    def _finish(self, op_id: str) -> None:
        op = self._store.get(OPERATIONS, op_id)
        if op is None:
            self._store.delete(PENDING, op_id)
            return
        finisher = self._finishers[op["kind"]]
        with self._store.transaction():
            try:
                result = finisher(op)
                op["status"] = "Succeeded"
                if result is not None:
                    op["result"] = result
            except ArmError as exc:
                op["status"] = "Failed"
                op["error"] = {"code": exc.code, "message": exc.message}
            except Exception as exc:  # a lab bug must fail the operation, not wedge the ticker
                op["status"] = "Failed"
                op["error"] = {"code": "InternalOperationError", "message": str(exc)}
            op["ended"] = time.time()
            self._store.put(OPERATIONS, op_id, op)
            self._store.delete(PENDING, op_id)

    def status_body(self, op: Document, path: str) -> dict[str, Any]:
        """The Azure-AsyncOperation status document."""
        body: dict[str, Any] = {
            "id": path,
            "name": op["id"],
            "status": op["status"],
            "startTime": iso(op["started"]),
        }
        if op["status"] != "InProgress":
            body["endTime"] = iso(op["ended"])
            body["percentComplete"] = 100.0
        if "error" in op:
            body["error"] = op["error"]
        return body

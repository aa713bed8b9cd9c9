"""Secrets: versions per name per vault, kept in the lab's state (soft-deleted with their vault)."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from ..store import Document

if TYPE_CHECKING:
    from ..lab import Lab

SECRETS = "kvSecrets"


class Secrets:
    """Set and read secret versions; the newest version is the current one."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab

    @staticmethod
    def _key(vault: str, name: str, version: str = "") -> str:
        return f"{vault.lower()}/{name.lower()}/{version}"

    def set(self, vault: str, name: str, body: dict[str, Any]) -> Document:
        """Store a new version; returns it."""
        now = int(time.time())
        seq = self._lab.store.next_value(f"kv-secret-seq:{vault.lower()}")
        doc: Document = {
            "name": name,
            "version": uuid.uuid4().hex,
            "seq": seq,
            "value": str(body.get("value", "")),
            "contentType": body.get("contentType"),
            "tags": body.get("tags") or {},
            "attributes": {
                "enabled": bool((body.get("attributes") or {}).get("enabled", True)),
                "created": now,
                "updated": now,
                "recoveryLevel": "Recoverable+Purgeable",
                "recoverableDays": 90,
            },
        }
        self._lab.store.put(SECRETS, self._key(vault, name, doc["version"]), doc)
        return doc

    def versions(self, vault: str, name: str) -> list[Document]:
        """Every version of a secret, oldest first."""
        docs = [d for _, d in self._lab.store.scan(SECRETS, self._key(vault, name))]
        return sorted(docs, key=lambda d: d["seq"])

    def get(self, vault: str, name: str, version: str = "") -> Document | None:
        """One version, or the current one when `version` is empty."""
        if version:
            return self._lab.store.get(SECRETS, self._key(vault, name, version.lower()))
        versions = self.versions(vault, name)
        return versions[-1] if versions else None

    def names(self, vault: str) -> list[str]:
        """The names of the vault's secrets."""
        seen: dict[str, str] = {}
        for _, doc in self._lab.store.scan(SECRETS, f"{vault.lower()}/"):
            seen.setdefault(doc["name"].lower(), doc["name"])
        return sorted(seen.values())

    def forget_vault(self, vault: str) -> None:
        """Drop every secret of a purged vault."""
        self._lab.store.delete_tree(SECRETS, vault.lower())

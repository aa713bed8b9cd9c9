"""Durable state: JSON documents in SQLite, committed before the lab answers.

Every service keeps its state here, in named collections of `key -> JSON document`. Keys that
are resource IDs are lower-cased (Azure IDs are case-insensitive), so a subtree of IDs is a key
range and a cascade delete is one statement. Writes are committed with `synchronous=FULL` before
a response is sent, so a `kill -9` loses no acknowledged write.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Document = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (collection, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Store:
    """Collections of JSON documents with prefix scans, backed by one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the
        # database's mode, and the documents hold tokens and secret values.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one atomic commit; nests (the outermost block commits)."""
        if self._depth == 0:
            self._db.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._db.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self._db.execute("COMMIT")

    def get(self, collection: str, key: str) -> Document | None:
        """The document at `key`, or None."""
        row = self._db.execute(
            "SELECT value FROM docs WHERE collection=? AND key=?", (collection, key)
        ).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, collection: str, key: str, value: Document) -> None:
        """Insert or replace the document at `key`."""
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO docs(collection, key, value) VALUES (?, ?, ?)",
                (collection, key, json.dumps(value, separators=(",", ":"))),
            )

    def delete(self, collection: str, key: str) -> bool:
        """Delete one document; True if it existed."""
        with self.transaction():
            cur = self._db.execute(
                "DELETE FROM docs WHERE collection=? AND key=?", (collection, key)
            )
        return cur.rowcount > 0

    def scan(self, collection: str, prefix: str = "") -> list[tuple[str, Document]]:
        """All documents whose key starts with `prefix`, in key order."""
        if not prefix:
            rows = self._db.execute(
                "SELECT key, value FROM docs WHERE collection=? ORDER BY key", (collection,)
            )
        else:
            rows = self._db.execute(
                "SELECT key, value FROM docs WHERE collection=? AND key>=? AND key<? ORDER BY key",
                (collection, prefix, _prefix_end(prefix)),
            )
        return [(key, json.loads(value)) for key, value in rows.fetchall()]

    def delete_tree(self, collection: str, key: str) -> int:
        """Delete `key` and every key below it (`key/...`); returns how many went."""
        with self.transaction():
            cur = self._db.execute(
                "DELETE FROM docs WHERE collection=? AND (key=? OR (key>=? AND key<?))",
                (collection, key, key + "/", _prefix_end(key + "/")),
            )
        return cur.rowcount

    def collections(self) -> list[str]:
        """Names of the collections that hold documents."""
        rows = self._db.execute("SELECT DISTINCT collection FROM docs ORDER BY collection")
        return [row[0] for row in rows.fetchall()]

    def next_value(self, name: str) -> int:
        """Increment and return a durable counter (starts at 1)."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO counters(name, value) VALUES (?, 1) "
                "ON CONFLICT(name) DO UPDATE SET value = value + 1",
                (name,),
            )
            row = self._db.execute("SELECT value FROM counters WHERE name=?", (name,)).fetchone()
        return int(row[0])

    def value(self, name: str) -> int:
        """A durable counter's current value (0 before its first increment)."""
        row = self._db.execute("SELECT value FROM counters WHERE name=?", (name,)).fetchone()
        return 0 if row is None else int(row[0])

    def wipe(self) -> None:
        """Remove every document and counter."""
        with self.transaction():
            self._db.execute("DELETE FROM docs")
            self._db.execute("DELETE FROM counters")


def _prefix_end(prefix: str) -> str:
    """The smallest string greater than every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)

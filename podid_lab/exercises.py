"""Which troubleshooting exercises the learner has passed, as their verify cells report them.

The lab keeps only what it is told (an exercise's id and title, when it first and last passed);
what an exercise is and how it is checked belongs to the notebooks' helpers.
"""

from __future__ import annotations

import re
import time
from typing import Any

from .store import Document, Store

COLLECTION = "exercises"
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_TITLE_MAX = 200


class InvalidPassError(ValueError):
    """A reported pass the lab cannot keep (bad id or title)."""


def _order(doc: Document) -> tuple[int, str]:
    # Ids are usually exercise numbers: "2" sorts before "10".
    head = re.match(r"\d+", doc["exercise"])
    return (int(head.group()) if head else 1 << 30, doc["exercise"])


class ExercisePasses:
    """Passes in the durable store, one document per exercise."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record(self, exercise: Any, title: Any) -> Document:
        """Record a pass of `exercise` now; returns its updated record."""
        if not isinstance(exercise, str) or not _ID.fullmatch(exercise):
            raise InvalidPassError(
                "exercise must be 1-40 lowercase letters, digits or '-', such as '3' or "
                f"'3-wrong-scope', not {exercise!r}"
            )
        if not isinstance(title, str) or not 0 < len(title.strip()) <= _TITLE_MAX:
            raise InvalidPassError(f"title must be a non-empty string of at most {_TITLE_MAX}")
        now = time.time()
        doc = self._store.get(COLLECTION, exercise) or {
            "exercise": exercise,
            "firstPassed": now,
            "passes": 0,
        }
        doc.update(title=title.strip(), lastPassed=now, passes=int(doc["passes"]) + 1)
        self._store.put(COLLECTION, exercise, doc)
        return doc

    def all(self) -> list[Document]:
        """Every recorded exercise, in exercise order."""
        return sorted((doc for _, doc in self._store.scan(COLLECTION)), key=_order)

    def restore(self, docs: list[Document]) -> None:
        """Put back records saved with `all()` (a lab reset keeps the learner's progress)."""
        with self._store.transaction():
            for doc in docs:
                self._store.put(COLLECTION, doc["exercise"], doc)

    def clear(self) -> int:
        """Forget every pass (a new learner at this machine); returns how many went."""
        docs = self.all()
        with self._store.transaction():
            for doc in docs:
                self._store.delete(COLLECTION, doc["exercise"])
        return len(docs)

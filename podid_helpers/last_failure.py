"""The last ✗ a learner's verify cell raised, kept beside the settings for the room view.

An instructor's room view shows each learner's last failed check; the learner's own Jupyter
server reads it from here (the hub never reads learners' files). Only the check's text is
kept: it already masks secrets, as it does in the notebook.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from typing import Any

from .settings import settings_path

__all__ = ["last_failure", "remember_failure"]

_FILE_NAME = "last-failure.json"
_MAX_CHARS = 2000


def remember_failure(text: str) -> None:
    """Keep ``text`` as the last failed check, owner-only (0600); never fails the caller."""
    path = settings_path().parent / _FILE_NAME
    record = json.dumps({"message": text[:_MAX_CHARS], "at": time.time()})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".last-failure-")
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(record)
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except OSError:
        # A read-only home must not turn a ✗ into a traceback: the room view just misses it.
        return


def last_failure() -> dict[str, Any] | None:
    """Return ``{"message", "at"}`` of the last failed check, or None if none was kept."""
    try:
        record = json.loads((settings_path().parent / _FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("message"), str):
        return None
    return {"message": record["message"], "at": float(record.get("at") or 0)}

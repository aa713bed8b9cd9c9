"""Where each learner stands: a row per learner, a column per notebook step, who is stuck.

Pure bookkeeping over the progress readings the room view collects (no I/O), so it is tested
on its own. "Stuck" means: the same step has been the learner's next one for at least
``stuck_after_s`` while their server runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXERCISES_COLUMN", "LearnerRow", "Standing"]

EXERCISES_COLUMN = "08-troubleshooting"


@dataclass
class LearnerRow:
    """One learner's line in the room view."""

    name: str
    server: str  # "running", "stopped" or "unreachable"
    steps: dict[str, bool]
    current: str | None
    since: float | None
    stuck: bool
    last_failure: str | None
    exercises: int

    def as_json(self) -> dict[str, Any]:
        """The row as the view's JSON sends it."""
        return {
            "name": self.name,
            "server": self.server,
            "steps": self.steps,
            "current": self.current,
            "since": self.since,
            "stuck": self.stuck,
            "lastFailure": self.last_failure,
            "exercises": self.exercises,
        }


def notebook_steps(readings: Iterable[dict[str, Any]]) -> dict[str, bool]:
    """Fold milestones into notebooks: a notebook is done when all its milestones are."""
    steps: dict[str, bool] = {}
    for item in readings:
        notebook = str(item["notebook"])
        steps[notebook] = steps.get(notebook, True) and bool(item["done"])
    return steps


@dataclass
class Standing:
    """Rows of the room, remembering since when each learner has faced their current step."""

    stuck_after_s: float
    columns: list[str] = field(default_factory=list)
    _facing: dict[str, tuple[str | None, float]] = field(default_factory=dict)
    _last: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _add_columns(self, names: Iterable[str]) -> None:
        for name in names:
            if name not in self.columns:
                self.columns.append(name)

    def update(
        self, name: str, server: str, reading: dict[str, Any] | None, now: float
    ) -> LearnerRow:
        """Record learner ``name``'s ``reading`` taken at ``now`` (None: keep the last one)."""
        if reading is not None:
            self._last[name] = reading
        known = self._last.get(name) or {}
        steps = notebook_steps(known.get("steps") or ())
        self._add_columns(steps)
        current = next((notebook for notebook, done in steps.items() if not done), None)
        previous, since = self._facing.get(name, (current, now))
        if previous != current:
            since = now
        self._facing[name] = (current, since)
        failure = known.get("lastFailure") or None
        return LearnerRow(
            name=name,
            server=server,
            steps=steps,
            current=current,
            since=since if current else None,
            stuck=bool(current) and server == "running" and now - since >= self.stuck_after_s,
            last_failure=failure["message"] if failure else None,
            exercises=len(known.get("exercises") or ()),
        )

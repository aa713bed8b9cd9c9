"""What a step returns: what it did (or that it was already done), in one deterministic block."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .i18n import _

__all__ = ["DemoLog", "KubeconfigResult", "StepResult"]


@dataclass(frozen=True, repr=False, kw_only=True)
class StepResult:
    """The outcome of one step: ``changed`` is False when a re-run found it already done."""

    step: str
    changed: bool
    summary: str
    details: tuple[str, ...] = ()

    @property
    def already_done(self) -> bool:
        """True when the step found everything in place and changed nothing."""
        return not self.changed

    def text(self) -> str:
        """Return the plain-text rendering (the same on every run with the same outcome)."""
        head = (
            f"✓ {self.summary}"
            if self.changed
            else _("✓ already done: {summary}").format(summary=self.summary)
        )
        return "\n".join([head, *(f"  {line}" for line in self.details)])

    def __repr__(self) -> str:
        return self.text()

    __str__ = __repr__


@dataclass(frozen=True, repr=False, kw_only=True)
class KubeconfigResult(StepResult):
    """The kubeconfig step's outcome, with the file and the line for a terminal."""

    path: Path
    export: str


@dataclass(frozen=True, repr=False, kw_only=True)
class DemoLog(StepResult):
    """The demo pod's log lines, read until the success lines appeared (or time ran out)."""

    lines: tuple[str, ...]
    succeeded: bool

    def text(self) -> str:
        """Return the summary, ✓ or ✗, then the log lines without their timestamps."""
        head = f"{'✓' if self.succeeded else '✗'} {self.summary}"
        return "\n".join([head, *(f"  {line}" for line in self.details)])

"""08's second round: one of the eight causes, broken at random, with a story that does not name it.

``m = mystery(session, seed=7)`` breaks the cause the seed picks (the same one for the same
seed, so a stored notebook compares across runs) and shows what a user reported. The learner
investigates and fixes it; ``m.verify(session)`` judges the state and names the cause only
once it passes. ``m.fix(session)`` is the solution.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .checks import CheckReport
from .exercise_kit import Symptom
from .exercises import EXERCISES, Exercise
from .i18n import _
from .results import StepResult

if TYPE_CHECKING:
    from .session import Session

__all__ = ["Mystery", "mystery", "mystery_cause"]

# In Azure mode: no second cluster (billed), and nothing that needs the lab (6, 8).
AZURE_CAUSES = (1, 2, 3, 4, 7)


def mystery_cause(seed: int, mode: str = "lab") -> int:
    """The exercise whose cause ``seed`` picks (1-8 in the lab; 1-4 and 7 in Azure mode)."""
    numbers = [e.number for e in EXERCISES] if mode == "lab" else list(AZURE_CAUSES)
    return random.Random(seed).choice(numbers)


@dataclass(frozen=True, repr=False)
class Mystery:
    """One broken cause, named only once it is fixed."""

    seed: int
    cause: Exercise

    def story(self) -> str:
        """What a user tells you (the same words as one of the eight exercises, or close)."""
        return _(
            "Mystery (seed {seed}). A message from a teammate: {reported}. "
            "Nobody remembers changing anything."
        ).format(seed=self.seed, reported=_(self.cause.reported))

    def report(self, session: Session) -> Symptom:
        """What the user showed you."""
        return self.cause.report(session)

    def fix(self, session: Session) -> StepResult:
        """The solution: what a learner who found the cause would do."""
        return self.cause.fix(session)

    def verify(self, session: Session) -> CheckReport:
        """Judge the state; name the cause only when it passes."""
        report = self.cause.verify(session)
        if not report.passed:
            return CheckReport(_("mystery (seed {seed})").format(seed=self.seed), report.results)
        title = _("mystery (seed {seed}) was {cause}").format(seed=self.seed, cause=report.title)
        return CheckReport(title, report.results)

    def __repr__(self) -> str:
        return self.story()

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.story(), quote=False)}</p>"


def mystery(session: Session, *, seed: int) -> Mystery:
    """Break the cause ``seed`` picks among those this mode can break; say only the story."""
    cause = next(e for e in EXERCISES if e.number == mystery_cause(seed, session.mode))
    cause.breaks(session)
    return Mystery(seed, cause)

"""08-troubleshooting: break one thing on purpose, meet the real symptom, fix it, verify.

``ex = exercise(3)`` gives ``ex.break_it(session)``, ``ex.symptom(session)``,
``ex.fix(session)`` and ``ex.verify(session)``. Verify passes once the symptom is gone, puts
back whatever the exercise made beside the learner's resources, and records the pass in the
lab (``podid-lab exercises`` lists them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import exercises_azure as az
from . import exercises_pods as pods
from .checks import CheckReport, CheckResult
from .errors import PodidError
from .exercise_kit import Symptom, lab_admin
from .results import StepResult

if TYPE_CHECKING:
    from .session import Session

__all__ = ["EXERCISES", "Exercise", "Symptom", "exercise", "exercises_passed", "restore_exercises"]

Restore = Callable[["Session"], list[str]]


@dataclass(frozen=True, repr=False)
class Exercise:
    """One troubleshooting exercise: its number, its title and what each of its cells runs."""

    number: int
    title: str
    breaks: Callable[[Session], StepResult]
    shows: Callable[[Session], Symptom]
    fixes: Callable[[Session], StepResult]
    checks: Callable[[Session], list[CheckResult]]
    restores: Restore | None = None

    def __repr__(self) -> str:
        return f"exercise {self.number}: {self.title}"

    def break_it(self, session: Session) -> StepResult:
        """Break one thing on purpose (re-running it changes nothing more)."""
        return self.breaks(session)

    def symptom(self, session: Session) -> Symptom:
        """What a learner meets now: the log line, NMI's answer, Azure's error, kubectl."""
        return self.shows(session)

    def fix(self, session: Session) -> StepResult:
        """The solution: what a learner who found the cause would do."""
        return self.fixes(session)

    def verify(self, session: Session) -> CheckReport:
        """Check the symptom is gone; then tidy up and record the pass in the lab."""
        try:
            results = self.checks(session)
        except PodidError as exc:
            results = [
                CheckResult(
                    "the checks could run",
                    passed=False,
                    observed=str(exc).splitlines()[0],
                    expected="no error",
                    hint="run the catch-up cell at the top, then this exercise's cells in order",
                )
            ]
        if all(r.passed for r in results):
            if self.restores is not None:
                undone = self.restores(session)
                results.append(
                    CheckResult(
                        "the lab is as the exercise found it",
                        passed=True,
                        observed="; ".join(undone) or "nothing to undo",
                        expected="nothing left behind",
                    )
                )
            results.append(_record(session, self))
        return CheckReport(f"exercise {self.number}: {self.title}", results)


def _record(session: Session, done: Exercise) -> CheckResult:
    name = "pass recorded"
    if session.mode != "lab":
        return CheckResult(
            name, passed=True, observed="not recorded (Azure mode has no lab)", expected="-"
        )
    try:
        lab_admin(
            session, "POST", "/_lab/exercises", {"exercise": str(done.number), "title": done.title}
        )
    except PodidError as exc:
        return CheckResult(
            name,
            passed=False,
            observed=str(exc).splitlines()[0],
            expected="recorded in the lab",
            hint="run connect() again (it starts the lab), then this cell",
        )
    return CheckResult(name, passed=True, observed="podid-lab exercises lists it", expected="-")


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        1,
        "the pod's label does not match the binding's selector",
        pods.break_label,
        pods.symptom_label,
        pods.fix_label,
        pods.checks_label,
    ),
    Exercise(
        2,
        "the pod runs in another namespace than its pod identity",
        pods.break_namespace,
        pods.symptom_namespace,
        pods.fix_namespace,
        pods.checks_namespace,
        pods.restore_namespace,
    ),
    Exercise(
        3,
        "the role is assigned on the wrong resource group",
        pods.break_scope,
        pods.symptom_scope,
        pods.fix_scope,
        pods.checks_scope,
    ),
    Exercise(
        4,
        "the cluster identity lacks Managed Identity Operator",
        az.break_operator,
        az.symptom_operator,
        az.fix_operator,
        az.checks_operator,
    ),
    Exercise(
        5,
        "pod identity on a kubenet cluster without consent",
        az.break_kubenet,
        az.symptom_kubenet,
        az.fix_kubenet,
        az.checks_kubenet,
        az.restore_kubenet,
    ),
    Exercise(
        6,
        "the preview feature is not registered",
        az.break_feature,
        az.symptom_feature,
        az.fix_feature,
        az.checks_feature,
        az.restore_feature,
    ),
    Exercise(
        7,
        "a token request without the Metadata header",
        pods.break_header,
        pods.symptom_header,
        pods.fix_header,
        pods.checks_header,
        pods.restore_header,
    ),
    Exercise(
        8,
        "a role assignment right after creating the identity",
        az.break_replication,
        az.symptom_replication,
        az.fix_replication,
        az.checks_replication,
        az.restore_replication,
    ),
)


def exercise(number: int) -> Exercise:
    """Exercise ``number`` (1-8)."""
    for candidate in EXERCISES:
        if candidate.number == number:
            return candidate
    raise PodidError(f"there is no exercise {number}; they are numbered 1-{len(EXERCISES)}")


def restore_exercises(session: Session) -> StepResult:
    """Undo what any exercise left beside the learner's resources (idempotent)."""
    done = [line for e in EXERCISES if e.restores is not None for line in e.restores(session)]
    return StepResult(
        step="restore_exercises",
        changed=bool(done),
        summary="undid what the exercises left behind" if done else "no exercise left anything",
        details=tuple(done),
    )


def exercises_passed(session: Session) -> CheckReport:
    """Which exercises the lab has recorded as passed (what ``podid-lab exercises`` lists)."""
    passed = {d["exercise"] for d in lab_admin(session, "GET", "/_lab/exercises")["value"]}
    return CheckReport(
        "troubleshooting exercises passed",
        [
            CheckResult(
                repr(e),
                passed=str(e.number) in passed,
                observed="passed" if str(e.number) in passed else "not yet",
                expected="passed",
                hint="run its cells, ending with the verify cell",
            )
            for e in EXERCISES
        ],
    )

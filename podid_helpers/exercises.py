"""08-troubleshooting: one thing broken on purpose; the learner diagnoses it, fixes it, verifies.

``ex = exercise(3)`` gives ``ex.start(session)`` (breaks it without saying what),
``ex.report(session)`` (what a user would show you), ``ex.symptom(session)`` (the evidence an
investigation finds), ``ex.fix(session)`` (the solution) and ``ex.verify(session)``. Verify
judges the state, however it was reached: it passes once the symptom is gone, puts back
whatever the exercise made beside the learner's resources, and records the pass in the lab
(``podid-lab exercises`` lists them). Until then it does not name the cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import exercises_azure as az
from . import exercises_pods as pods
from . import exercises_workload_identity as wi
from .checks import CheckReport, CheckResult
from .errors import PodidError
from .exercise_kit import Symptom, lab_admin
from .i18n import N_, _
from .results import StepResult

if TYPE_CHECKING:
    from .session import Session

__all__ = ["EXERCISES", "Exercise", "Symptom", "exercise", "exercises_passed", "restore_exercises"]

Restore = Callable[["Session"], list[str]]
_CHECKS_RAN = N_("the checks could run")
STILL_BROKEN = N_(
    "investigate with read-only calls (Where to look), fix what you find, then run this cell "
    "again; ph.show_solutions() lets the collapsed solution cells run"
)


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
    # title and reported are English (the lab records the title); they are translated when shown.
    reported: str = ""

    def __repr__(self) -> str:
        return _("exercise {number}: {title}").format(number=self.number, title=_(self.title))

    def break_it(self, session: Session) -> StepResult:
        """Break one thing on purpose (re-running it changes nothing more)."""
        return self.breaks(session)

    def start(self, session: Session) -> StepResult:
        """Break it without saying what was broken (the story says what a user noticed)."""
        changed = self.breaks(session).changed
        return StepResult(
            step=f"exercise {self.number}",
            changed=changed,
            summary=_("exercise {number} is set up: {reported}").format(
                number=self.number, reported=_(self.reported)
            ),
        )

    def symptom(self, session: Session) -> Symptom:
        """The evidence: the log line, NMI's answer, Azure's error, what kubectl shows."""
        return self.shows(session)

    def report(self, session: Session) -> Symptom:
        """Only what a user would show you: the first thing they saw, not the evidence."""
        found = self.shows(session)
        return Symptom(found.sections[:1], found.seen)

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
                    _(_CHECKS_RAN),
                    passed=False,
                    observed=str(exc).splitlines()[0],
                    expected=_("no error"),
                    hint=_("run the catch-up cell at the top, then this exercise's cells in order"),
                )
            ]
        if not all(r.passed for r in results):
            return self._still_broken(results)
        if self.restores is not None:
            undone = self.restores(session)
            results.append(
                CheckResult(
                    _("the lab is as the exercise found it"),
                    passed=True,
                    observed="; ".join(undone) or _("nothing to undo"),
                    expected=_("nothing left behind"),
                )
            )
        results.append(_record(session, self))
        return CheckReport(repr(self), results)

    def _still_broken(self, results: list[CheckResult]) -> CheckReport:
        # The failing checks' names would name the cause, so only say how many still fail
        # (an error on the way, which names no cause, is shown as it is).
        failed = [r for r in results if not r.passed]
        title = _("exercise {number}").format(number=self.number)
        if failed[0].name == _(_CHECKS_RAN):
            return CheckReport(title, failed)
        still = CheckResult(
            _("what the user reported is gone"),
            passed=False,
            observed=_("{failed} of {count} checks of the state still fail").format(
                failed=len(failed), count=len(results)
            ),
            expected=_("every check passes"),
            hint=_(STILL_BROKEN),
        )
        return CheckReport(title, [still])


def _record(session: Session, done: Exercise) -> CheckResult:
    name = _("pass recorded")
    if session.mode != "lab":
        return CheckResult(
            name, passed=True, observed=_("not recorded (Azure mode has no lab)"), expected="-"
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
            expected=_("recorded in the lab"),
            hint=_("run connect() again (it starts the lab), then this cell"),
        )
    return CheckResult(name, passed=True, observed=_("podid-lab exercises lists it"), expected="-")


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        1,
        N_("the pod's label does not match the binding's selector"),
        pods.break_label,
        pods.symptom_label,
        pods.fix_label,
        pods.checks_label,
        reported=N_("the demo pod runs, but its log says it cannot get a token"),
    ),
    Exercise(
        2,
        N_("the pod runs in another namespace than its pod identity"),
        pods.break_namespace,
        pods.symptom_namespace,
        pods.fix_namespace,
        pods.checks_namespace,
        pods.restore_namespace,
        reported=N_("the demo pod, deployed again from a copied manifest, cannot get a token"),
    ),
    Exercise(
        3,
        N_("the role is assigned on the wrong resource group"),
        pods.break_scope,
        pods.symptom_scope,
        pods.fix_scope,
        pods.checks_scope,
        reported=N_("the demo gets tokens, but listing the VMs fails"),
    ),
    Exercise(
        4,
        N_("the cluster identity lacks Managed Identity Operator"),
        az.break_operator,
        az.symptom_operator,
        az.fix_operator,
        az.checks_operator,
        reported=N_("the template that adds the pod identity back is refused"),
    ),
    Exercise(
        5,
        N_("pod identity on a kubenet cluster without consent"),
        az.break_kubenet,
        az.symptom_kubenet,
        az.fix_kubenet,
        az.checks_kubenet,
        az.restore_kubenet,
        reported=N_("enabling pod identity on the platform team's other cluster fails"),
    ),
    Exercise(
        6,
        N_("the preview feature is not registered"),
        az.break_feature,
        az.symptom_feature,
        az.fix_feature,
        az.checks_feature,
        az.restore_feature,
        reported=N_("every az aks update that keeps the add-on on is refused"),
    ),
    Exercise(
        7,
        N_("a token request without the Metadata header"),
        pods.break_header,
        pods.symptom_header,
        pods.fix_header,
        pods.checks_header,
        pods.restore_header,
        reported=N_("asking for a token by hand from inside the pod is refused"),
    ),
    Exercise(
        8,
        N_("a role assignment right after creating the identity"),
        az.break_replication,
        az.symptom_replication,
        az.fix_replication,
        az.checks_replication,
        az.restore_replication,
        reported=N_("a script that creates an identity and grants it a role fails at the grant"),
    ),
)


# 09's break-and-fix: Workload ID's own failures (not part of 08's list or its mystery round).
WORKLOAD_ID_EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        9,
        N_("the federated credential names another service account"),
        wi.break_subject,
        wi.symptom_subject,
        wi.fix_subject,
        wi.checks_subject,
        wi.restore_subject,
        N_("a new pod for the reports job cannot read the secret"),
    ),
    Exercise(
        10,
        N_("the pod lacks the azure.workload.identity/use label"),
        wi.break_label,
        wi.symptom_label,
        wi.fix_label,
        wi.checks_label,
        wi.restore_label,
        N_("a pod with the right service account gets no token"),
    ),
    Exercise(
        11,
        N_("the federated credential expects another audience"),
        wi.break_audience,
        wi.symptom_audience,
        wi.fix_audience,
        wi.checks_audience,
        wi.restore_audience,
        N_("the audit job's pod cannot read the secret"),
    ),
    Exercise(
        12,
        N_("the service account names an identity without the credential"),
        wi.break_other_identity,
        wi.symptom_other_identity,
        wi.fix_other_identity,
        wi.checks_other_identity,
        wi.restore_other_identity,
        N_("the billing job's pod cannot read the secret"),
    ),
)


def exercise(number: int) -> Exercise:
    """Exercise ``number``: 1-8 are 08's, 9-12 are 09's (Workload ID)."""
    for candidate in EXERCISES + WORKLOAD_ID_EXERCISES:
        if candidate.number == number:
            return candidate
    last = len(EXERCISES) + len(WORKLOAD_ID_EXERCISES)
    raise PodidError(
        _("there is no exercise {number}; they are numbered 1-{last}").format(
            number=number, last=last
        )
    )


def restore_exercises(session: Session) -> StepResult:
    """Undo what any exercise left beside the learner's resources (idempotent)."""
    done = [
        line
        for e in EXERCISES + WORKLOAD_ID_EXERCISES
        if e.restores is not None
        for line in e.restores(session)
    ]
    return StepResult(
        step="restore_exercises",
        changed=bool(done),
        summary=(
            _("undid what the exercises left behind") if done else _("no exercise left anything")
        ),
        details=tuple(done),
    )


def exercises_passed(session: Session) -> CheckReport:
    """Which exercises the lab has recorded as passed (what ``podid-lab exercises`` lists)."""
    passed = {d["exercise"] for d in lab_admin(session, "GET", "/_lab/exercises")["value"]}
    return CheckReport(
        _("troubleshooting exercises passed"),
        [
            CheckResult(
                repr(e),
                passed=str(e.number) in passed,
                observed=_("passed") if str(e.number) in passed else _("not yet"),
                expected=_("passed"),
                hint=_("run its cells, ending with the verify cell"),
            )
            for e in EXERCISES
        ],
    )

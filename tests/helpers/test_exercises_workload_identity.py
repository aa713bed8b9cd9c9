"""09's break-and-fix on a real lab: the real symptom, the fix, verify, nothing left behind."""

from __future__ import annotations

from typing import Any

import pytest

import podid_helpers as ph

from .test_steps_workload_identity import migrated, settings

__all__ = ["migrated", "settings"]  # fixtures: a lab through 09's steps 1-7, a vault of its own

NO_MATCH = "No matching federated identity record found for presented assertion"
SYMPTOMS = {
    9: f"AADSTS700213: {NO_MATCH} subject",
    10: "The workload options are not fully configured",
    11: f"AADSTS700212: {NO_MATCH} audience",
    12: f"AADSTS70021: {NO_MATCH}.",
}


@pytest.mark.parametrize("number", sorted(SYMPTOMS))
def test_each_exercise_shows_its_symptom_and_the_fix_passes(migrated: Any, number: int) -> None:
    session = migrated
    ex = ph.exercise(number)
    assert ex.start(session).changed
    report = ex.report(session)
    symptom = ex.symptom(session)
    assert symptom.seen, symptom.text()
    assert "Trace ID" not in symptom.text()
    assert SYMPTOMS[number] in symptom.text(), symptom.text()
    assert len(report.sections) == 1
    still = ex.verify(session)
    assert not still.passed and "still fail" in still.text()
    ex.fix(session)
    passed = ex.verify(session)
    assert passed.passed, passed.text()
    assert ph.restore_exercises(session).summary == "no exercise left anything"
    # The learner's own pod still reads the secret.
    ph.check_workload_identity_logs(session).raise_if_failed()


def test_your_turn_subject_passes_the_right_answer_only(migrated: Any) -> None:
    s = migrated.settings
    right = f"system:serviceaccount:{s.namespace}:{s.service_account_name}"
    assert ph.check_subject_answer(migrated, right).passed
    for wrong in (
        ...,
        s.service_account_name,
        right.upper(),
        f"system:serviceaccount:x:{s.namespace}",
    ):
        report = ph.check_subject_answer(migrated, wrong)
        assert not report.passed and right not in report.text()

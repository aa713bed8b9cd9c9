"""catch_up() runs the earlier notebooks' steps in order; only_in_lab() guards lab-only cells."""

from types import SimpleNamespace
from typing import Any

import pytest

import podid_helpers as ph

from .flow import ORDER


def test_catch_up_steps_follow_the_tutorial_order() -> None:
    steps = [step for n in sorted(ph.CATCH_UP_STEPS) for step in ph.CATCH_UP_STEPS[n]]
    assert steps == [*ORDER, ph.deploy_demo]


def test_catch_up_before_the_first_steps_does_nothing() -> None:
    result = ph.catch_up(SimpleNamespace(), "01-prepare-subscription")  # type: ignore[arg-type]
    assert result.results == ()
    assert result.text() == "catch-up for 01-prepare-subscription: nothing to do"


def test_catch_up_needs_a_notebook_name() -> None:
    with pytest.raises(ph.PodidError, match="'06-deploy-demo'"):
        ph.catch_up(SimpleNamespace(), "deploy demo")  # type: ignore[arg-type]


def test_catch_up_runs_every_earlier_step(session: Any) -> None:
    first = ph.catch_up(session, "05-pod-identity")
    assert first.changed
    assert [r.step for r in first.results][-1] == "assign_vm_contributor"
    again = ph.catch_up(session, "05-pod-identity")
    assert not again.changed
    assert again.text().startswith("catch-up for 05-pod-identity: everything was already")


def test_only_in_lab(capsys: pytest.CaptureFixture[str]) -> None:
    assert ph.only_in_lab(SimpleNamespace(mode="lab"))  # type: ignore[arg-type]
    assert capsys.readouterr().out == ""
    assert not ph.only_in_lab(SimpleNamespace(mode="azure"))  # type: ignore[arg-type]
    assert "skipped" in capsys.readouterr().out

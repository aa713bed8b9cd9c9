"""The solutions switch: a learner's kernel runs no solution until asked; headless runs do."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import podid_helpers as ph


@pytest.fixture(autouse=True)
def hidden() -> Iterator[None]:
    """Every test starts and ends with the switch off, as a fresh kernel has it."""
    ph.hide_solutions()
    yield
    ph.hide_solutions()


def test_a_learners_kernel_runs_no_solution() -> None:
    assert ph.solutions_run() is False


def test_a_jupyter_front_end_without_a_session_name_is_still_a_learner() -> None:
    # form.is_headless() guesses "headless" when JPY_SESSION_NAME is missing (VS Code);
    # the solutions switch must not.
    assert "JPY_SESSION_NAME" not in os.environ
    assert ph.is_headless() is True
    assert ph.solutions_run() is False


@pytest.mark.parametrize("value", ["1", "true", "yes", "TRUE"])
def test_headless_runs_run_every_solution(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PODID_HEADLESS", value)
    assert ph.solutions_run() is True
    assert "still run" in ph.hide_solutions()
    assert ph.solutions_run() is True


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_a_headless_flag_of_no_is_a_learner(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PODID_HEADLESS", value)
    assert ph.solutions_run() is False


def test_show_then_hide() -> None:
    assert "from now on" in ph.show_solutions()
    assert ph.solutions_run() is True
    assert "do nothing again" in ph.hide_solutions()
    assert ph.solutions_run() is False

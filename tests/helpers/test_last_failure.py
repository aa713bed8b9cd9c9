"""A failed verify cell leaves its text for the room view: owner-only, the latest one, capped."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from podid_helpers.checks import CheckReport, CheckResult
from podid_helpers.errors import CheckFailedError
from podid_helpers.last_failure import last_failure, remember_failure

FAILED = CheckResult("cluster exists", passed=False, observed="none", expected="found", hint="h")
PASSED = CheckResult("lab reachable", passed=True, observed="yes", expected="yes")


def test_nothing_is_kept_until_a_check_fails(home: Path) -> None:
    assert last_failure() is None
    PASSED.raise_if_failed()
    CheckReport("02", [PASSED]).raise_if_failed()
    assert last_failure() is None


def test_a_failed_check_keeps_the_text_the_learner_saw(home: Path) -> None:
    with pytest.raises(CheckFailedError) as raised:
        CheckReport("02 cluster", [PASSED, FAILED]).raise_if_failed()
    kept = last_failure()
    assert kept is not None and kept["message"] == str(raised.value)
    assert kept["message"].startswith("02 cluster: 1 of 2 checks passed\n✗ cluster exists")
    path = home / ".podid" / "last-failure.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(CheckFailedError):
        CheckResult("other", passed=False, observed=1, expected=2).raise_if_failed()
    assert last_failure()["message"].startswith("✗ other")  # type: ignore[index]


def test_a_long_text_is_capped_and_a_broken_file_reads_as_none(home: Path) -> None:
    remember_failure("x" * 10_000)
    assert len(last_failure()["message"]) == 2000  # type: ignore[index]
    (home / ".podid" / "last-failure.json").write_text("{not json")
    assert last_failure() is None


def test_an_unwritable_place_never_turns_a_failure_into_a_traceback(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = home / "file"
    blocker.write_text("")
    monkeypatch.setenv("PODID_SETTINGS", str(blocker / "settings.json"))  # parent is a file
    with pytest.raises(CheckFailedError):
        FAILED.raise_if_failed()
    assert last_failure() is None

"""`podid-room` refuses bad input with a clear message and creates nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from podid_room.cli import main


@pytest.fixture
def room_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "room"
    monkeypatch.setenv("PODID_ROOM_HOME", str(home))
    return home


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--learners", "0"], "--learners must be 1-200, not 0"),
        (["--learners", "2", "--prefix", "Bad"], "'Bad01' is not a usable user name"),
        (["--learners", "2", "--instructor", "x y"], "'x y' is not a usable user name"),
        (["--learners", "2", "--notebooks", "/nonexistent"], "no notebooks at /nonexistent"),
        (["--learners", "2", "--learner-python", "/nonexistent/python"], "make room-venv"),
    ],
)
def test_bad_start_options_are_refused_and_nothing_is_made(
    room_home: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    # Any existing Python passes the first look; the run-as-learner check comes after users exist.
    with pytest.raises(SystemExit) as exited:
        main(["start", "--learner-python", sys.executable, *args])
    assert exited.value.code == 1
    assert message in capsys.readouterr().err
    assert not room_home.exists()


def test_a_malformed_learner_variable_is_refused(room_home: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["start", "--learners", "1", "--learner-env", "NOEQUALS"])
    assert exited.value.code == 2
    assert not room_home.exists()


def test_status_and_stop_without_a_room_say_so(
    room_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["status"])
    main(["stop"])
    assert capsys.readouterr().out == "no room here\nno room here\n"
    assert not room_home.exists()

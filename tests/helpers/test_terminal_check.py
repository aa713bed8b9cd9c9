"""`podid-check`: a notebook's verify checks from a terminal, on a real lab."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

import podid_helpers as ph
from podid_helpers.terminal_check import CHECKS, main


def test_every_notebook_up_to_cleanup_has_its_checks() -> None:
    assert list(CHECKS) == ["00", "01", "02", "03", "04", "05", "06", "07"]


def test_a_passing_notebook_exits_0_with_ticks(
    settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["00"]) == 0
    out = capsys.readouterr().out
    assert "✓ settings saved and valid" in out and "✗" not in out


def test_a_failing_step_exits_1_with_the_notebooks_hint(
    settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["02"]) == 1
    out = capsys.readouterr().out
    assert "✗" in out and "hint:" in out
    assert settings.cluster_name in out


def test_json_output(settings: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["02", "--json"]) == 1
    reports = json.loads(capsys.readouterr().out)
    assert reports and all(set(r) == {"title", "passed", "results"} for r in reports)
    first = reports[0]["results"][0]
    assert set(first) == {"name", "passed", "observed", "expected", "hint"}
    assert first["passed"] is False


def test_init_saves_the_podid_variables_owner_only(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / "settings.json"
    monkeypatch.setenv("PODID_SETTINGS", str(path))
    monkeypatch.setenv("PODID_CLUSTER_NAME", "aks-terminal")
    assert main(["init"]) == 0
    assert "cluster_name = aks-terminal" in capsys.readouterr().out
    assert ph.saved_settings(path=path).cluster_name == "aks-terminal"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("PODID_CLUSTER_NAME", "-bad-")
    assert main(["init"]) == 1
    assert "cluster_name '-bad-' is invalid" in capsys.readouterr().err
    assert ph.saved_settings(path=path).cluster_name == "aks-terminal"  # unchanged


def test_an_unknown_notebook_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["42"])
    assert exit_.value.code == 2
    assert "invalid choice: '42'" in capsys.readouterr().err

"""00-introduction's checks: settings saved, the lab answers, a secret vs no secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import podid_helpers as ph
from podid_lab.home import LabHome
from podid_lab.server import start, stop


def test_settings_check_wants_a_saved_valid_file(home: Path, monkeypatch: Any) -> None:
    path = home / "s.json"
    missing = ph.check_settings_saved(path)
    assert not missing.passed
    assert "no file at ~/s.json" in missing.text() and "click Save" in missing.text()
    path.write_text(json.dumps({"cluster_name": "-bad-"}))
    invalid = ph.check_settings_saved(path)
    assert not invalid.passed and "cluster_name '-bad-' is invalid" in invalid.text()
    ph.save_settings(ph.Settings(), path=path)
    assert ph.check_settings_saved(path).text() == "✓ settings saved and valid — saved in ~/s.json"
    monkeypatch.setenv("PODID_SETTINGS", str(path))
    assert ph.check_settings_saved().passed


def test_lab_reachable_passes_then_fails_plainly_when_the_lab_stops(
    settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    root = tmp_path / "short-lived"
    monkeypatch.setenv("PODID_LAB_HOME", str(root))
    start(LabHome(root), port=0)
    try:
        session = ph.connect(settings)
        ok = ph.check_lab_reachable(session)
        assert ok.passed and session.subscription_id in ok.text()
    finally:
        stop(LabHome(root))
    down = ph.check_lab_reachable(session)
    assert not down.passed
    assert "Cannot reach Azure Resource Manager" in down.text()
    assert "Traceback" not in down.text() and "127.0.0.1" not in down.text()


def test_a_secret_gets_a_token_and_no_secret_gets_a_refusal(session: Any) -> None:
    report = ph.check_secret_vs_no_secret(session)
    assert report.passed, report.text()
    text = report.text()
    assert "✓ with the client secret: token issued — eyJ****" in text
    assert "✓ without a secret: refused — HTTP 401 invalid_client (AADSTS7000216)" in text
    assert str(session.sign_in.client_secret) not in text
    assert str(session.sign_in.client_secret) not in report._repr_html_()


def test_secret_check_without_a_service_principal_says_what_to_set(session: Any) -> None:
    session.sign_in = None
    report = ph.check_secret_vs_no_secret(session)
    assert not report.passed and "AZURE_CLIENT_SECRET" in report.text()

"""connect(): modes, the lab started on demand, lazy clients, and a repr safe to show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import podid_helpers as ph
from podid_lab.home import LabHome
from podid_lab.server import status, stop


def test_lab_mode_is_the_default_and_uses_the_lab_subscription(session: Any) -> None:
    assert session.mode == "lab"
    group = ph.create_resource_group(session)
    assert group.changed
    assert session.resources.resource_groups.get(session.settings.resource_group).tags == ph.TAGS


def test_repr_shows_no_secret_port_pid_or_absolute_home(session: Any, home: Path) -> None:
    text = repr(session)
    port = status(LabHome.from_env()).port
    assert str(session.sign_in.client_secret) not in text
    assert str(port) not in text
    assert str(home) not in text
    assert "~/.podid/kube/" in text
    assert "Secret('" in repr(session.sign_in)


def test_clients_are_built_once_and_poll_briskly(session: Any) -> None:
    assert session.containerservice is session.containerservice
    # The lab is local, so its operations are polled faster than Azure's would be.
    assert session.mode == "lab"
    assert session.containerservice._config.polling_interval == pytest.approx(0.1)
    for name in ("msi", "authorization", "resources", "features", "compute"):
        assert getattr(session, name) is getattr(session, name)


def test_kubernetes_clients_need_the_kubeconfig_first(session: Any) -> None:
    with pytest.raises(ph.StepOrderError) as caught:
        _ = session.core_v1
    assert str(caught.value).startswith("run 02-create-cluster (get_credentials) first:")
    assert "~/.podid/kube/" in str(caught.value)


def test_connect_starts_a_stopped_lab(settings: Any, tmp_path: Path, monkeypatch: Any) -> None:
    root = tmp_path / "cold-lab"
    monkeypatch.setenv("PODID_LAB_HOME", str(root))
    monkeypatch.setenv("PODID_LAB_PORT", "0")
    try:
        session = ph.connect(settings)
        assert status(LabHome(root)).running
        assert ph.check_lab_reachable(session).passed
    finally:
        stop(LabHome(root))


def test_connect_reads_the_saved_settings(session: Any, settings: Any) -> None:
    assert ph.connect().settings == settings


def test_an_unknown_mode_is_refused(settings: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PODID_MODE", "cloud")
    with pytest.raises(ph.PodidError, match="PODID_MODE must be 'lab' or 'azure'"):
        ph.connect(settings)


def test_azure_mode_warns_about_cost_once_and_uses_real_endpoints(
    settings: Any, monkeypatch: Any, capsys: Any
) -> None:
    from podid_helpers import session as module

    monkeypatch.setattr(module, "_warned_about_cost", False)
    monkeypatch.setenv("PODID_MODE", "azure")
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000001")
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    first = ph.connect(settings)
    second = ph.connect(settings)
    err = capsys.readouterr().err
    assert err.count("billable") == 1
    assert first.mode == second.mode == "azure"
    assert first.subscription_id == "00000000-0000-0000-0000-000000000001"
    assert first.arm_endpoint == "https://management.azure.com"
    assert first.sign_in is None
    assert type(first.credential).__name__ == "DefaultAzureCredential"


def test_azure_mode_takes_a_service_principal_from_the_environment(
    settings: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PODID_MODE", "azure")
    monkeypatch.setenv("PODID_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000002")
    monkeypatch.setenv("AZURE_TENANT_ID", "t")
    monkeypatch.setenv("AZURE_CLIENT_ID", "c")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "a-very-long-client-secret-value")
    session = ph.connect(ph.load_settings())
    assert session.subscription_id == "00000000-0000-0000-0000-000000000002"
    assert session.sign_in.client_secret == "a-very-long-client-secret-value"
    assert "a-very-long" not in repr(session.sign_in)

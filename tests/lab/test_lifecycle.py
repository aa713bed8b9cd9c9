"""The lab process: start/stop/status/reset/env/config, durability across kill -9, files."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.mgmt.resource.resources import ResourceManagementClient
from cryptography import x509

from podid_lab.home import LabHome
from podid_lab.server import start, status, stop

from .conftest import azure_for


def cli(home: LabHome, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PODID_LAB_HOME": str(home.root), "PODID_LAB_PORT": "0"}
    return subprocess.run(
        [sys.executable, "-m", "podid_lab", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def own_lab(tmp_path: Path) -> Iterator[LabHome]:
    """A lab of the test's own, which the test may kill and restart."""
    home = LabHome(tmp_path / "lab")
    start(home, port=0)
    yield home
    stop(home)


def client(home: LabHome) -> ResourceManagementClient:
    """The learner's resource client for the lab at `home` (as it runs now)."""
    return azure_for(home).resources


def restart_on_same_port(home: LabHome) -> None:
    port = int(home.port_file.read_text())
    start(home, port=port)


def test_start_is_idempotent_and_status_tells(own_lab: LabHome) -> None:
    first = status(own_lab)
    assert first.running
    again = start(own_lab, port=0)
    assert (again.pid, again.port) == (first.pid, first.port)
    result = cli(own_lab, "status")
    assert result.returncode == 0 and result.stdout.startswith("running")


def test_status_and_health_report_the_time_scale(own_lab: LabHome) -> None:
    result = cli(own_lab, "status")
    assert result.stdout.splitlines()[1] == (
        "time scale 0.0625: adal's IMDS retry waits (112 s per failed call on Azure) take 7 s here"
    )
    assert cli(own_lab, "config", "set", "time_scale", "1").returncode == 0
    assert cli(own_lab, "status").stdout.splitlines()[1].endswith("take 112 s here")
    health = azure_for(own_lab).admin("GET", "/_lab/health").json()
    assert health["knobs"]["time_scale"] == 1.0
    assert health["time_scale"].startswith("time scale 1: ")
    bad = cli(own_lab, "config", "set", "time_scale", "-1")
    assert bad.returncode == 1 and "must not be negative" in bad.stderr


def test_stop_then_status(tmp_path: Path) -> None:
    home = LabHome(tmp_path / "lab")
    start(home, port=0)
    assert cli(home, "stop").stdout.strip() == "lab stopped"
    result = cli(home, "status")
    assert (result.returncode, result.stdout.strip()) == (3, "stopped")
    assert cli(home, "stop").stdout.strip() == "lab was not running"


def test_secret_files_are_private_and_the_ca_names_both_hosts(own_lab: LabHome) -> None:
    for path in (
        own_lab.ca_key,
        own_lab.server_key,
        own_lab.signing_key,
        own_lab.learner_secret_file,
        own_lab.admin_key_file,
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    cert = x509.load_pem_x509_certificate(own_lab.server_cert.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_env_prints_exports_and_json(own_lab: LabHome) -> None:
    exports = cli(own_lab, "env").stdout
    assert "export AZURE_TENANT_ID=" in exports
    assert "export REQUESTS_CA_BUNDLE=" in exports
    info = json.loads(cli(own_lab, "env", "--json").stdout)
    for key in (
        "tenant_id",
        "subscription_id",
        "client_id",
        "client_secret",
        "authority_host",
        "arm_endpoint",
        "ca_bundle",
    ):
        assert info[key], key
    assert info["authority_host"].startswith("https://127.0.0.1:")


def test_config_get_set_and_bad_input(own_lab: LabHome) -> None:
    assert cli(own_lab, "config", "set", "retry_after_seconds", "2").returncode == 0
    assert cli(own_lab, "config", "get", "retry_after_seconds").stdout.strip() == "2"
    bad = cli(own_lab, "config", "set", "no_such_knob", "1")
    assert bad.returncode == 1 and "unknown knob" in bad.stderr
    bad = cli(own_lab, "config", "set", "page_size", "lots")
    assert bad.returncode == 1 and "takes a number" in bad.stderr
    assert cli(own_lab, "config", "get", "page_size").stdout.strip() == "100"


def test_reset_forgets_resources_and_keeps_ca_keys_secret_and_port(own_lab: LabHome) -> None:
    client(own_lab).resource_groups.create_or_update("keep-me-not", {"location": "japaneast"})
    kept = {
        p: p.read_bytes()
        for p in (
            own_lab.ca_cert,
            own_lab.signing_key,
            own_lab.learner_secret_file,
            own_lab.port_file,
        )
    }
    assert cli(own_lab, "reset").returncode == 0
    assert {p: p.read_bytes() for p in kept} == kept
    assert client(own_lab).resource_groups.check_existence("keep-me-not") is False


def test_same_names_give_the_same_ids_after_reset(own_lab: LabHome) -> None:
    first = client(own_lab).resource_groups.create_or_update("ids", {"location": "japaneast"}).id
    cli(own_lab, "reset")
    second = client(own_lab).resource_groups.create_or_update("ids", {"location": "japaneast"}).id
    assert first == second


def test_acknowledged_writes_survive_kill_9(own_lab: LabHome) -> None:
    rm = client(own_lab)
    for i in range(5):
        rm.resource_groups.create_or_update(f"durable-{i}", {"location": "japaneast"})
    pid = status(own_lab).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    assert not status(own_lab).running
    restart_on_same_port(own_lab)
    names = {g.name for g in client(own_lab).resource_groups.list()}
    assert {f"durable-{i}" for i in range(5)} <= names


def test_an_interrupted_operation_finishes_after_restart(own_lab: LabHome) -> None:
    rm = client(own_lab)
    assert cli(own_lab, "config", "set", "resource_group_delete_seconds", "1.5").returncode == 0
    rm.resource_groups.create_or_update("interrupted", {"location": "japaneast"})
    rm.resource_groups.begin_delete("interrupted")  # 202 received: the operation is recorded
    pid = status(own_lab).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    restart_on_same_port(own_lab)
    deadline = time.time() + 10
    while client(own_lab).resource_groups.check_existence("interrupted"):
        assert time.time() < deadline, "the delete never finished after restart"
        time.sleep(0.2)


def test_lab_listens_on_loopback_only(own_lab: LabHome) -> None:
    port = int(own_lab.port_file.read_text())
    out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("ss is not available")
    assert out.stdout.strip(), "nothing listens on the lab port"
    assert all("127.0.0.1:" in line for line in out.stdout.strip().splitlines())

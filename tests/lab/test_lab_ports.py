"""Ports on a shared host: a restart on a fixed port takes its derived ports as a first start
does, and `podid-lab start` says on the terminal which port is busy and what to do."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from podid_lab.home import LabHome
from podid_lab.server import start, status, stop


@pytest.fixture
def busy() -> Iterator[socket.socket]:
    """A port another program listens on (127.0.0.1)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock
    sock.close()


def test_restart_on_a_fixed_port_survives_a_taken_imds_port(
    tmp_path: Path, busy: socket.socket
) -> None:
    home = LabHome(tmp_path / "lab")
    start(home, port=0)
    try:
        port = int(home.port_file.read_text())
        stop(home)
        # Someone else now holds the port after the HTTPS one, and the one the lab had.
        with socket.socket() as plus_one, socket.socket() as previous:
            for sock, taken in (
                (plus_one, port + 1),
                (previous, int(home.imds_port_file.read_text())),
            ):
                try:
                    sock.bind(("127.0.0.1", taken))
                    sock.listen()
                except OSError:
                    pass  # already taken by another program: all the better
            started = start(home, port=port)
            assert started.running and started.port == port
            imds = int(home.imds_port_file.read_text())
            assert imds not in (port, port + 1)
    finally:
        stop(home)


def test_a_restart_keeps_its_imds_port_when_it_is_free(tmp_path: Path) -> None:
    home = LabHome(tmp_path / "lab")
    start(home, port=0)
    try:
        port, imds = int(home.port_file.read_text()), int(home.imds_port_file.read_text())
        stop(home)
        start(home, port=port)
        assert int(home.imds_port_file.read_text()) == imds
    finally:
        stop(home)


@pytest.mark.parametrize("variable", ["PODID_LAB_PORT", "PODID_LAB_IMDS_PORT"])
def test_start_reports_a_busy_port_and_its_fix_on_the_terminal(
    tmp_path: Path, busy: socket.socket, variable: str
) -> None:
    taken = busy.getsockname()[1]
    env = {**os.environ, "PODID_LAB_HOME": str(tmp_path / "lab"), "PODID_LAB_PORT": "0"}
    env[variable] = str(taken)
    result = subprocess.run(
        [sys.executable, "-m", "podid_lab", "start"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{taken}: Address already in use" in result.stderr
    assert f"Set {variable} to another port, or 0 for any free one." in result.stderr
    assert not status(LabHome(tmp_path / "lab")).running

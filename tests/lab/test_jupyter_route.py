"""The inside page through the learner's own Jupyter server (`<jupyter>/podid/ui/`): behind
Jupyter's login, the page's paths only, the event stream relayed as it comes."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from podid_lab.home import LabHome

TOKEN = "podid-route-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def jupyter_server(home: LabHome, root: Path) -> Iterator[str]:
    """A Jupyter server with the podid route, as the lab's owner; yields its base URL."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "server",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.jpserver_extensions={'podid_lab.jupyter_route': True}",
        "--ServerApp.base_url=/user/learner/",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = {**os.environ, "PODID_LAB_HOME": str(home.root), "JUPYTER_CONFIG_DIR": str(root)}
    log = open(root / "jupyter.log", "wb")  # noqa: SIM115 - the server writes it until stopped
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/user/learner"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/api/status", params={"token": TOKEN}, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise AssertionError((root / "jupyter.log").read_text())
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def jupyter(lab_home: LabHome, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Jupyter server beside the session's lab."""
    with jupyter_server(lab_home, tmp_path_factory.mktemp("jupyter-route")) as base:
        yield base


def test_the_page_needs_jupyters_login(jupyter: str) -> None:
    answer = requests.get(f"{jupyter}/podid/ui/", allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 403)
    assert "/login" in answer.headers.get("Location", "/login")
    assert requests.get(f"{jupyter}/podid/events", timeout=10).url.split("?")[0].endswith("/login")


def test_the_page_and_its_data_through_jupyter(
    jupyter: str, admin: Any, lab_info: dict[str, Any]
) -> None:
    auth = {"Authorization": f"token {TOKEN}"}
    page = requests.get(f"{jupyter}/podid/ui/", headers=auth, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert 'src="app.js"' in page.text and "127.0.0.1" not in page.text
    for script in ("app.js", "i18n.js"):
        assert requests.get(f"{jupyter}/podid/ui/{script}", headers=auth, timeout=10).ok
    admin("POST", "/_lab/reset")
    requests.post(  # a refused token request: one entra event
        f"{lab_info['authority_host']}/organizations/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": "nobody"},
        verify=lab_info["ca_bundle"],
        timeout=10,
    )
    events = requests.get(f"{jupyter}/podid/events", headers=auth, timeout=10).json()
    assert [e["kind"] for e in events["value"]] == ["entra"]
    with requests.get(
        f"{jupyter}/podid/events/stream", headers=auth, stream=True, timeout=10
    ) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        lines = stream.iter_lines(decode_unicode=True)
        data = next(line for line in lines if line.startswith("data: "))
        assert '"kind": "entra"' in data


def test_nothing_else_of_the_lab_is_reachable(jupyter: str) -> None:
    auth = {"Authorization": f"token {TOKEN}"}
    for path in ("ui/link", "ui/signin?code=x", "reset", "settings", "exercises", "../_lab/health"):
        answer = requests.get(f"{jupyter}/podid/{path}", headers=auth, timeout=10)
        assert answer.status_code == 404, path

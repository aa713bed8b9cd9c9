"""The sign-in page in the learner's own Jupyter server: behind Jupyter's login, it approves or
declines a device code through the lab's keyed route, and the lab names it in device codes."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from podid_lab.entra.signin import AZURE_CLI_APP_ID, DEVICE_CODE_GRANT

from .aks_steps import wait_for
from .conftest import Azure

pytestmark = pytest.mark.slow
ARM = "https://management.core.windows.net//.default"


@dataclass
class Jupyter:
    url: str
    token: str

    def page(self, method: str, token: str | None = None, **form: str) -> requests.Response:
        headers = {"Authorization": f"token {token}"} if token else {}
        return requests.request(
            method,
            f"{self.url}/podid/signin",
            data=form or None,
            headers=headers,
            allow_redirects=False,
            timeout=30,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def jupyter(own_azure: Azure, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jupyter]:
    """A Jupyter server with the podid sign-in extension, next to the module's own lab."""
    port, token = _free_port(), secrets.token_hex(16)
    root = tmp_path_factory.mktemp("jupyter")
    args = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        f"--port={port}",
        "--ip=localhost",
        f"--IdentityProvider.token={token}",
        "--ServerApp.jpserver_extensions={'podid_lab.jupyter_signin': True}",
        f"--ServerApp.root_dir={root}",
    ]
    if os.geteuid() == 0:
        args.append("--allow-root")
    env = {**os.environ, "PODID_LAB_HOME": str(own_azure.home.root), "HOME": str(root)}
    server = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root
    )
    try:
        url = f"http://localhost:{port}"

        def up() -> bool:
            try:
                return requests.get(f"{url}/api", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(up, timeout=60)
        yield Jupyter(url, token)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _device_code(az: Azure) -> dict[str, Any]:
    resp = requests.post(
        f"{az.info['authority_host']}/organizations/oauth2/v2.0/devicecode",
        data={"client_id": AZURE_CLI_APP_ID, "scope": ARM},
        verify=az.info["ca_bundle"],
        timeout=30,
    )
    return dict(resp.json())


def _redeem(az: Azure, device_code: str) -> requests.Response:
    return requests.post(
        f"{az.info['authority_host']}/organizations/oauth2/v2.0/token",
        data={
            "grant_type": DEVICE_CODE_GRANT,
            "client_id": AZURE_CLI_APP_ID,
            "device_code": device_code,
        },
        verify=az.info["ca_bundle"],
        timeout=30,
    )


def test_the_device_code_names_the_jupyter_page(own_azure: Azure, jupyter: Jupyter) -> None:
    flow = _device_code(own_azure)
    assert flow["verification_uri"] == f"{jupyter.url}/podid/signin"
    assert flow["verification_uri"] in flow["message"]


def test_the_page_is_behind_jupyters_login(own_azure: Azure, jupyter: Jupyter) -> None:
    flow = _device_code(own_azure)
    for token in (None, "not-the-token"):
        shown = jupyter.page("GET", token)
        assert shown.status_code in (302, 403) and "user_code" not in shown.text
        answered = jupyter.page("POST", token, user_code=flow["user_code"], answer="approve")
        assert answered.status_code in (302, 403)
    assert _redeem(own_azure, flow["device_code"]).json()["error"] == "authorization_pending"


def test_the_owner_approves_and_declines_on_the_page(own_azure: Azure, jupyter: Jupyter) -> None:
    shown = jupyter.page("GET", jupyter.token)
    assert shown.status_code == 200 and "name='user_code'" in shown.text
    flow = _device_code(own_azure)
    approved = jupyter.page("POST", jupyter.token, user_code=flow["user_code"], answer="approve")
    assert approved.status_code == 200
    assert f"sign-in with the code {flow['user_code']} approved" in approved.text
    assert _redeem(own_azure, flow["device_code"]).status_code == 200
    declined_flow = _device_code(own_azure)
    declined = jupyter.page(
        "POST", jupyter.token, user_code=declined_flow["user_code"], answer="decline"
    )
    assert "declined" in declined.text
    assert _redeem(own_azure, declined_flow["device_code"]).json()["error"] == (
        "authorization_declined"
    )
    typo = jupyter.page("POST", jupyter.token, user_code="<b>NOPE</b>", answer="approve")
    assert typo.status_code == 404 and "No sign-in is waiting" in typo.text
    assert "<b>NOPE</b>" not in typo.text  # what the user typed is escaped
    odd = jupyter.page("POST", jupyter.token, user_code=flow["user_code"], answer="maybe")
    assert odd.status_code == 400


def test_the_lab_stops_naming_a_page_whose_server_is_gone(
    own_azure: Azure, jupyter: Jupyter
) -> None:
    written = own_azure.home.signin_url_file.read_text()
    gone = subprocess.Popen(["true"])
    gone.wait()
    try:
        page = {"url": f"{jupyter.url}/podid/signin", "pid": gone.pid}
        own_azure.home.signin_url_file.write_text(json.dumps(page))
        uri = _device_code(own_azure)["verification_uri"]
        assert uri == f"{own_azure.info['authority_host']}/devicelogin"
    finally:
        own_azure.home.signin_url_file.write_text(written)

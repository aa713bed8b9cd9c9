"""Done when (issue 17): the article's commands, as typed, with a stock az and kubectl."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from podid_lab import ids
from podid_lab.home import LabHome
from podid_lab.server import start, stop

from .az_shell import az_env_shell

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

SCRIPT = Path(__file__).with_name("article_commands.sh")
RESOURCE_GROUP, CLUSTER, IDENTITY = "rg-article", "aks-article", "id-article"
NAMESPACE, POD_IDENTITY = "default", "pod-identity-article"
# Each placeholder of the article, and what a learner types for it.
FILLED = {
    # The demo lists the VMs of the group it is given: the node resource group, where the role
    # was granted (the article's placeholder says resource group; notebook 06 explains).
    "--resourcegroup=<リソースグループ名>": "--resourcegroup=${NODE_GROUP}",
    "<リソースグループ名>": RESOURCE_GROUP,
    "<AKSクラスタ名>": CLUSTER,
    "<AKSクラスター名>": CLUSTER,
    "<AKS名>": CLUSTER,
    "<マネージドID名>": IDENTITY,
    "<AKSの名前空間>": NAMESPACE,
    "<名前空間>": NAMESPACE,
    "<Pod Identity名>": POD_IDENTITY,
    "<サブスクリプションID>": ids.SUBSCRIPTION_ID,
    # The learner pastes the client ID the script already holds.
    "<マネージドIDのクライアントID>": "${IDENTITY_CLIENT_ID}",
}
SUCCESS_LINES = (
    "successfully acquired a token using the MSI",
    "successfully acquired a token, userAssignedID MSI",
    "successfully made GET on instance metadata",
)


def filled_script() -> str:
    """The article's script with every placeholder filled in, and none left over."""
    text = SCRIPT.read_text()
    for placeholder, value in FILLED.items():
        text = text.replace(placeholder, value)
    return text


def test_every_placeholder_is_filled() -> None:
    text = filled_script()
    assert not [line for line in text.splitlines() if "<" in line and "名" in line]


def test_the_articles_commands_typed_as_written(tmp_path: Path) -> None:
    home = LabHome(tmp_path / "lab")
    start(home, port=0)
    try:
        env = az_env_shell(tmp_path, home)
        work = tmp_path / "work"
        work.mkdir()
        began = time.monotonic()
        done = subprocess.run(
            ["bash", "-c", filled_script()],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        elapsed = time.monotonic() - began
        assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        out = done.stdout
        listed = re.search(
            r'"name": "aks-preview",\n\s*"path": "([^"]+)",\n.*\n\s*"version": "([\d.]+)"', out
        )
        assert listed, out
        assert listed.group(1).startswith(str(home.root))
        assert tuple(int(p) for p in listed.group(2).split(".")) >= (0, 5, 5)
        assert "Latest version of 'aks-preview' is already installed." in done.stderr
        assert f"*         {CLUSTER}" in out  # kubectl config get-contexts: the cluster is current
        assert re.search(r"^nmi\s+(\d+)\s+\1\s+\1\s", out, re.MULTILINE), out  # all ready
        assert f"azureidentity.aadpodidentity.k8s.io/{POD_IDENTITY}" in out
        binding = rf"azureidentitybinding\.aadpodidentity\.k8s\.io/{POD_IDENTITY}-binding\s+"
        assert re.search(binding + rf"{POD_IDENTITY}\s+{POD_IDENTITY}\s", out), out
        assert "Wait 30 seconds for identity role assignment propagation." in out
        for line in SUCCESS_LINES:
            assert line in out, line
        # The learner's real kubeconfig and az folders were never written (kubectl keeps its
        # discovery cache in ~/.kube/cache, as it does everywhere).
        user_home = Path(env["HOME"])
        assert not (user_home / ".kube" / "config").exists()
        assert not (user_home / ".azure").exists()

        check_env = {
            **env,
            "PODID_SETTINGS": str(tmp_path / "settings.json"),
            "PODID_RESOURCE_GROUP": RESOURCE_GROUP,
            "PODID_CLUSTER_NAME": CLUSTER,
            "PODID_IDENTITY_NAME": IDENTITY,
            "PODID_NAMESPACE": NAMESPACE,
            "PODID_POD_IDENTITY_NAME": POD_IDENTITY,
        }
        checked = subprocess.run(
            [sys.executable, "-m", "podid_helpers.terminal_check", "06"],
            env=check_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "✗" not in checked.stdout and checked.stdout.count("✓") >= 4
        print(f"the article's script took {elapsed:.0f} s")
    finally:
        stop(home)

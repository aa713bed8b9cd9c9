"""The lab's aks-preview stand-in: installed from its index, its request bodies, its errors."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from podid_lab.azext import WHEEL_FILENAME
from podid_lab.home import LabHome
from podid_lab.server import start, stop

from .az_shell import az_env_shell

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

MIO = "f1a07417-d97a-45cb-824c-7a7467783830"
_REQUEST = re.compile(
    r"Request URL: '([^']+)'\n.*?Request method: '(\w+)'\n.*?Request body:\n"
    r"DEBUG: cli\.azure\.cli\.core\.sdk\.policies: ([^\n]*)",
    re.DOTALL,
)


@dataclass
class Shell:
    """An az-env shell with aks-preview installed from the lab's index."""

    home: LabHome
    env: dict[str, str]

    def az(
        self, command: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `az <command>` and return what happened."""
        return subprocess.run(
            ["az", *shlex.split(command)],
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def ok(self, command: str, env: dict[str, str] | None = None) -> str:
        """Run `az <command>`; it must succeed."""
        done = self.az(command, env)
        assert done.returncode == 0, f"az {command}\n{done.stderr[-3000:]}"
        return done.stdout

    def requests(
        self, command: str, env: dict[str, str] | None = None
    ) -> list[tuple[str, str, str]]:
        """The (method, URL, body) az sent for `az <command> --debug`."""
        done = self.az(f"{command} --debug", env)
        assert done.returncode == 0, f"az {command}\n{done.stderr[-3000:]}"
        return [(m, url, body) for url, m, body in _REQUEST.findall(done.stderr)]


def _cluster_puts(sent: list[tuple[str, str, str]]) -> list[dict]:
    return [
        json.loads(body)
        for method, url, body in sent
        if method == "PUT" and "/managedClusters/" in url
    ]


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shell]:
    """A fresh lab; the feature registered; aks-preview added as the article says."""
    root = tmp_path_factory.mktemp("azext")
    home = LabHome(root / "lab")
    start(home, port=0)
    try:
        sh = Shell(home, az_env_shell(root, home))
        feature = "--namespace Microsoft.ContainerService --name EnablePodIdentityPreview"
        sh.ok(f"feature register {feature} -o none")
        while sh.ok(f"feature show {feature} --query properties.state -o tsv").strip() != (
            "Registered"
        ):
            pass
        sh.ok("provider register --namespace Microsoft.ContainerService")
        sh.ok("extension add --name aks-preview")
        sh.ok("group create -n rg-x -l japaneast -o none")
        yield sh
    finally:
        stop(home)


def test_the_index_serves_the_wheel_with_its_sha256(shell: Shell) -> None:
    index = requests.get(
        shell.env["AZURE_EXTENSION_INDEX_URL"], verify=str(shell.home.ca_cert), timeout=30
    ).json()
    (entry,) = index["extensions"]["aks-preview"]
    assert entry["filename"] == WHEEL_FILENAME
    assert "stand-in" in entry["metadata"]["summary"]
    assert entry["metadata"]["azext.minCliCoreVersion"] == "2.91.0"
    wheel = requests.get(entry["downloadUrl"], verify=str(shell.home.ca_cert), timeout=30)
    assert hashlib.sha256(wheel.content).hexdigest() == entry["sha256Digest"]
    installed = json.loads(shell.ok("extension show --name aks-preview"))
    assert installed["version"] == "0.5.5"
    assert installed["path"].startswith(str(shell.home.az_extension_dir))
    assert not (Path(shell.env["HOME"]) / ".azure").exists()


def test_help_says_it_is_the_labs_untested_stand_in(shell: Shell) -> None:
    text = shell.ok("aks pod-identity add --help")
    assert "--identity-resource-id" in text and "--binding-selector" in text
    assert "never against real Azure" in " ".join(text.split())
    assert "--enable-pod-identity-with-kubenet" in shell.ok("aks update --help")


def test_an_unrelated_flag_sends_the_same_body_with_and_without_it(shell: Shell) -> None:
    shell.ok("aks create -g rg-x -n aks-same --network-plugin azure -o none")
    plain = {**shell.env, "AZURE_EXTENSION_DIR": str(shell.home.root / "no-extensions")}
    update = "aks update -g rg-x -n aks-same --tags team=podid -o none"
    (without,) = _cluster_puts(shell.requests(update, plain))
    (with_it,) = _cluster_puts(shell.requests(update))
    assert with_it == without
    assert "podIdentityProfile" not in with_it["properties"]


def test_create_and_pod_identity_add_send_the_recordings_shapes(shell: Shell) -> None:
    # test_aks_pod_identity_usage (aks-preview's recording): create on kubenet with consent.
    sent = shell.requests(
        "aks create -g rg-x -n aks-kubenet --network-plugin kubenet --enable-pod-identity "
        "--enable-pod-identity-with-kubenet -o none"
    )
    (created,) = _cluster_puts(sent)
    assert created["properties"]["podIdentityProfile"] == {
        "enabled": True,
        "allowNetworkPluginKubenet": True,
    }
    shell.ok("identity create -g rg-x -n id-x -o none")
    identity = json.loads(shell.ok("identity show -g rg-x -n id-x"))
    principal = shell.ok("aks show -g rg-x -n aks-kubenet --query identity.principalId -o tsv")
    principal = principal.strip()
    sent = shell.requests(
        "aks pod-identity add -g rg-x --cluster-name aks-kubenet --namespace default "
        f"--name pi-x --identity-resource-id {identity['id']} -o none"
    )
    lists = [url for method, url, _ in sent if method == "GET" and "roleAssignments" in url]
    assert any(f"assignedTo%28%27{principal}%27%29" in url for url in lists), lists
    (grant,) = [
        json.loads(body)
        for method, url, body in sent
        if method == "PUT" and "roleAssignments" in url
    ]
    assert grant["properties"]["roleDefinitionId"].endswith(f"/roleDefinitions/{MIO}")
    assert grant["properties"]["principalId"] == principal
    (added,) = _cluster_puts(sent)
    assert added["properties"]["podIdentityProfile"] == {
        "enabled": True,
        "allowNetworkPluginKubenet": True,
        "userAssignedIdentities": [
            {
                "name": "pi-x",
                "namespace": "default",
                "identity": {
                    "resourceId": identity["id"],
                    "clientId": identity["clientId"],
                    "objectId": identity["principalId"],
                },
            }
        ],
        "userAssignedIdentityExceptions": [],
    }
    # Granted already: a second identity in the same cluster skips the grant and the wait.
    again = shell.requests(
        "aks pod-identity add -g rg-x --cluster-name aks-kubenet --namespace other "
        f"--name pi-y --identity-resource-id {identity['id']} -o none"
    )
    assert not [url for method, url, _ in again if method == "PUT" and "roleAssignments" in url]


def test_exceptions_add_update_list_delete(shell: Shell) -> None:
    base = "aks pod-identity exception {} -g rg-x --cluster-name aks-kubenet"
    shell.ok(base.format("add") + " --namespace kube-system --name exc --pod-labels app=a -o none")
    shell.ok(
        base.format("update") + " --namespace kube-system --name exc --pod-labels app=b -o none"
    )
    listed = json.loads(shell.ok(base.format("list")))
    assert listed["podIdentityProfile"]["userAssignedIdentityExceptions"] == [
        {"name": "exc", "namespace": "kube-system", "podLabels": {"app": "b"}}
    ]
    missing = shell.az(base.format("update") + " --namespace x --name nope --pod-labels a=b")
    assert missing.returncode == 1
    assert "pod identity exception x/nope not found" in missing.stderr
    shell.ok(base.format("delete") + " --namespace kube-system --name exc -o none")
    listed = json.loads(shell.ok(base.format("list")))
    assert listed["podIdentityProfile"]["userAssignedIdentityExceptions"] == []


def test_aks_previews_errors_change_nothing(shell: Shell) -> None:
    shell.ok("aks create -g rg-x -n aks-off --network-plugin azure -o none")
    before = shell.ok("aks show -g rg-x -n aks-off")
    off = shell.az(
        "aks pod-identity add -g rg-x --cluster-name aks-off --namespace default --name p "
        "--identity-resource-id /subscriptions/x/resourcegroups/rg-x/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/id-x"
    )
    assert off.returncode == 1
    assert "The pod identity addon is not enabled for this managed cluster yet." in off.stderr
    both = shell.az("aks update -g rg-x -n aks-off --enable-pod-identity --disable-pod-identity")
    assert both.returncode != 0
    assert "Cannot specify --enable-pod-identity and --disable-pod-identity" in both.stderr
    kubenet = shell.az(
        "aks create -g rg-x -n aks-nope --network-plugin kubenet --enable-pod-identity"
    )
    assert kubenet.returncode == 1
    assert "--enable-pod-identity-with-kubenet is required" in kubenet.stderr
    assert shell.ok("aks show -g rg-x -n aks-off") == before
    assert shell.az("aks show -g rg-x -n aks-nope").returncode != 0


def test_update_enables_with_other_flags_and_disables_alone(shell: Shell) -> None:
    shell.ok("aks create -g rg-x -n aks-both --network-plugin azure -o none")
    # With another flag, the stock update runs and its PUT carries the add-on too.
    (enabled,) = _cluster_puts(
        shell.requests("aks update -g rg-x -n aks-both --tags step=03 --enable-pod-identity")
    )
    assert enabled["tags"] == {"step": "03"}
    assert enabled["properties"]["podIdentityProfile"] == {
        "enabled": True,
        "userAssignedIdentities": [],
        "userAssignedIdentityExceptions": [],
    }
    # Alone, the flag is the whole change (stock az would ask "No argument specified").
    (disabled,) = _cluster_puts(
        shell.requests("aks update -g rg-x -n aks-both --disable-pod-identity")
    )
    assert disabled["properties"]["podIdentityProfile"] == {"enabled": False}
    assert disabled["tags"] == {"step": "03"}
    shown = shell.ok("aks show -g rg-x -n aks-both --query podIdentityProfile.enabled -o tsv")
    assert shown.strip() == "false"

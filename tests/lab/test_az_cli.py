"""A stock `az` (from PyPI, in its own environment) runs the article's commands against a lab."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from podid_lab import ids
from podid_lab.azinstall import az_venv, install_az
from podid_lab.home import LabHome
from podid_lab.server import start, stop

from .az_shell import az_env_shell

KUBECTL = "/usr/bin/kubectl"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@dataclass
class Az:
    """A shell's worth of az against one lab: the environment `podid-lab az-env` set up."""

    home: LabHome
    env: dict[str, str]
    script: str

    def run(self, command: str, stderr: str = "", env: dict[str, str] | None = None) -> str:
        """Run `az <command>` (shell words); it must succeed, with stderr matching `stderr`."""
        done = subprocess.run(
            ["az", *shlex.split(command)],
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"az {command}\n{done.stderr}"
        assert re.fullmatch(stderr, done.stderr, re.DOTALL), f"az {command}\n{done.stderr}"
        return done.stdout

    def tsv(self, command: str, stderr: str = "", env: dict[str, str] | None = None) -> list[str]:
        """The lines of `az <command> -o tsv` (a list query prints one item a line)."""
        return self.run(f"{command} -o tsv", stderr, env).splitlines()


@pytest.fixture(scope="module")
def az(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Az]:
    """A fresh lab, and a shell that ran `eval "$(podid-lab az-env)"` (signed in as the SP)."""
    root = tmp_path_factory.mktemp("az")
    home = LabHome(root / "lab")
    start(home, port=0)
    try:
        shell = az_env_shell(root, home)
        yield Az(home, shell, home.az_env_file.read_text())
    finally:
        stop(home)


def test_az_env_points_az_at_the_lab_and_signs_in_the_service_principal(az: Az) -> None:
    origin = f"https://127.0.0.1:{int(az.home.port_file.read_text())}"
    assert az.env["AZURE_CONFIG_DIR"] == str(az.home.az_config_dir)
    assert az.env["REQUESTS_CA_BUNDLE"] == str(az.home.ca_cert)
    assert az.env["AZURE_CORE_INSTANCE_DISCOVERY"] == "false"
    assert az.env["AZURE_CORE_COLLECT_TELEMETRY"] == "false"
    assert az.env["AZURE_EXTENSION_INDEX_URL"] == f"{origin}/_lab/az-extensions/index.json"
    assert az.env["AZURE_EXTENSION_DIR"] == str(az.home.az_extension_dir)
    assert az.env["KUBECONFIG"] == str(az.home.az_kubeconfig)
    assert "AzureCloud" not in az.script
    assert az.home.learner_secret() not in az.script  # read from its file, never printed
    endpoints = "[name, endpoints.resourceManager, endpoints.activeDirectory, "
    endpoints += "endpoints.microsoftGraphResourceId]"
    assert az.tsv(f'cloud show --query "{endpoints}"') == [
        "PodidLab",
        f"{origin}/",
        origin,
        f"{origin}/graph/",
    ]
    assert az.tsv('account show --query "[user.name, user.type, id]"') == [
        ids.LEARNER_APP_ID,
        "servicePrincipal",
        ids.SUBSCRIPTION_ID,
    ]


def test_device_code_login_waits_for_the_owner_to_approve(az: Az, tmp_path: Path) -> None:
    env = {**az.env, "AZURE_CONFIG_DIR": str(tmp_path / "azure")}
    login = subprocess.Popen(
        ["az", "login", "--use-device-code", "--output", "none"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert login.stderr is not None
        notice = login.stderr.readline()
        found = re.fullmatch(
            r"To sign in, use a web browser to open the page (\S+) and enter the code (\w{9}) "
            r"to authenticate\. \(podid lab: or, as the lab's owner, run `podid-lab signin "
            r"approve \2`\.\)\n",
            notice,
        )
        assert found, notice
        assert (
            found.group(1) == f"https://127.0.0.1:{int(az.home.port_file.read_text())}/devicelogin"
        )
        time.sleep(1)
        assert login.poll() is None  # az keeps polling: nothing is approved by itself
        approve = subprocess.run(
            [sys.executable, "-m", "podid_lab", "signin", "approve", found.group(2)],
            env={**os.environ, "PODID_LAB_HOME": str(az.home.root)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert approve.returncode == 0, approve.stderr
        assert login.wait(timeout=60) == 0, login.stderr.read()
    finally:
        if login.poll() is None:
            login.kill()
            login.wait()
    assert az.tsv('account show --query "[user.name, user.type, tenantId]"', env=env) == [
        ids.LEARNER_USER_NAME,
        "user",
        ids.TENANT_ID,
    ]
    # A token for another resource (Graph) comes from the refresh token.
    assert az.tsv(
        "role assignment list --all --query \"[?principalType=='User'].principalName\"", env=env
    ) == [ids.LEARNER_USER_NAME]


def test_feature_and_provider_registration(az: Az) -> None:
    feature = "--namespace Microsoft.ContainerService --name EnablePodIdentityPreview"
    propagate = (
        r"WARNING: Once the feature 'EnablePodIdentityPreview' is registered, invoking 'az "
        r"provider register -n Microsoft.ContainerService' is required to get the change "
        r"propagated\n"
    )
    assert az.tsv(f"feature register {feature} --query properties.state", propagate) == [
        "Registering"
    ]
    (state,) = az.tsv(f"feature show {feature} --query properties.state")
    assert state in ("Registering", "Registered")
    ongoing = (
        r"WARNING: Registering is still on-going\. You can monitor using 'az provider show -n "
        r"Microsoft\.ContainerService'\n"
    )
    az.run("provider register --namespace Microsoft.ContainerService", ongoing)
    # `--wait` would poll every 10 s, as on Azure; the lab registers within a second.
    deadline = time.monotonic() + 30
    show = "provider show -n Microsoft.ContainerService --query registrationState"
    while az.tsv(show) != ["Registered"]:
        assert time.monotonic() < deadline, "Microsoft.ContainerService never registered"
        time.sleep(0.5)


def test_the_articles_cluster_identity_and_role_commands(az: Az, tmp_path: Path) -> None:
    created = az.tsv("group create --name rg-az --location japaneast --query name")
    assert created == ["rg-az"]
    assert az.tsv("group show -n rg-az --query location") == ["japaneast"]

    cluster = az.tsv(
        "aks create --resource-group rg-az --name aks-az --network-plugin azure "
        '--enable-managed-identity --node-count 1 --query "[provisioningState, '
        'networkProfile.networkPlugin, identity.type]"'
    )
    assert cluster == ["Succeeded", "azure", "SystemAssigned"]
    (node_group,) = az.tsv("aks show -g rg-az -n aks-az --query nodeResourceGroup")
    assert node_group == "MC_rg-az_aks-az_japaneast"
    assert not (Path(az.env["HOME"]) / ".ssh").exists()  # no SSH key was asked for, or made

    kubeconfig = tmp_path / "kubeconfig"
    merged = rf'WARNING: Merged "aks-az" as current context in {re.escape(str(kubeconfig))}\n'
    az.run(f"aks get-credentials --resource-group rg-az --name aks-az --file {kubeconfig}", merged)
    nodes = subprocess.run(
        [KUBECTL, "get", "nodes", "-o", "name"],
        env={**az.env, "KUBECONFIG": str(kubeconfig)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert nodes.returncode == 0, nodes.stderr
    assert re.fullmatch(r"node/aks-nodepool1-\d+-vmss000000\n", nodes.stdout)

    az.run("identity create --resource-group rg-az --name id-az --output none")
    query = '--query "[clientId, principalId]"'
    client_id, principal_id = az.tsv(f"identity show -g rg-az -n id-az {query}")
    (scope,) = az.tsv(f"group show -n {node_group} --query id")
    # --assignee takes the client ID; az resolves it to the object ID through Graph, as on Azure.
    assigned = az.tsv(
        f'role assignment create --role "Virtual Machine Contributor" --assignee {client_id} '
        f'--scope {scope} --query "[principalId, principalType, roleDefinitionId]"'
    )
    vm_contributor = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
    assert assigned[:2] == [principal_id, "ServicePrincipal"]
    assert assigned[2].endswith(f"/roleDefinitions/{vm_contributor}")
    listed = az.tsv(
        f'role assignment list --scope {scope} --query "[].[principalName, roleDefinitionName]"'
    )
    assert listed == [f"{client_id}\tVirtual Machine Contributor"]
    owners = az.tsv(
        f"role assignment list --scope {scope} --include-inherited "
        "--query \"[?roleDefinitionName=='Owner'].principalName\""
    )
    assert sorted(owners) == sorted([ids.LEARNER_APP_ID, ids.LEARNER_USER_NAME])

    az.run("group delete --name rg-az --yes")
    assert az.tsv("group exists -n rg-az") == ["false"]


def test_pod_identity_commands_are_not_in_core_az(az: Az) -> None:
    """They come only from aks-preview (the lab's stand-in, not installed in this shell)."""
    assert "--enable-pod-identity" not in az.run("aks update --help")
    assert "pod-identity" not in az.run("aks --help")


def test_the_workload_id_commands(az: Az) -> None:
    az.run("group create --name rg-wi --location japaneast --output none")
    az.run("aks create -g rg-wi -n aks-wi --network-plugin azure --node-count 1 --output none")
    enabled = az.tsv(
        "aks update -g rg-wi -n aks-wi --enable-oidc-issuer --enable-workload-identity "
        '--query "[oidcIssuerProfile.enabled, securityProfile.workloadIdentity.enabled]"'
    )
    assert enabled == ["true", "true"]
    (issuer,) = az.tsv("aks show -g rg-wi -n aks-wi --query oidcIssuerProfile.issuerUrl")
    origin = f"https://127.0.0.1:{int(az.home.port_file.read_text())}"
    assert issuer.startswith(f"{origin}/") and issuer.endswith("/")
    discovery = requests.get(
        f"{issuer}.well-known/openid-configuration", verify=str(az.home.ca_cert), timeout=30
    )
    assert discovery.json()["issuer"] == issuer

    az.run("identity create -g rg-wi -n id-wi --output none")
    subject = "system:serviceaccount:default:workload-sa"
    created = az.tsv(
        f"identity federated-credential create --name fic-wi --identity-name id-wi "
        f"--resource-group rg-wi --issuer {issuer} --subject {subject} "
        '--audience api://AzureADTokenExchange --query "[name, issuer, subject, audiences[0]]"'
    )
    assert created == ["fic-wi", issuer, subject, "api://AzureADTokenExchange"]
    listed = az.tsv(
        "identity federated-credential list --identity-name id-wi --resource-group rg-wi "
        '--query "[].[name, subject]"'
    )
    assert listed == [f"fic-wi\t{subject}"]

    az.run("group delete --name rg-wi --yes")


def _az_install(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podid_lab", "az-install", "--bin", str(bin_dir)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_az_install_puts_the_cached_az_in_a_folder_once(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    done = _az_install(bin_dir)
    assert done.returncode == 0, done.stderr
    assert str(tmp_path) not in done.stdout  # no absolute path in what a learner sees
    assert (bin_dir / "az").resolve() == (az_venv() / "bin" / "az").resolve()
    assert install_az(bin_dir) == bin_dir / "az"  # again: nothing to do
    foreign = tmp_path / "other"
    foreign.mkdir()
    (foreign / "az").write_text("#!/bin/sh\n")
    refused = _az_install(foreign)
    assert refused.returncode == 1 and "is not the tutorial's az" in refused.stderr
    assert (foreign / "az").read_text() == "#!/bin/sh\n"

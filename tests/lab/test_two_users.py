"""Two Unix users, one machine, a lab each: neither can read the other's home, nor get a token,
a resource or a pod's identity from the other's lab with anything it can reach.

Root only (CI runs as root): the test creates two users, runs each one's lab from an environment
both can read (the system Python of the same version, with the project's libraries on
PYTHONPATH), probes each lab as the other user (cross_user_probe.py), and removes the users.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from kubernetes import client, config

from podid_helpers.manifests import demo_pod_yaml
from podid_lab.home import LabHome
from podid_lab.kube.models import cluster_key
from podid_lab.nmi.secrets import PodSecrets

from .aks_steps import POLL, assign, create_cluster, register_pod_identity_preview, wait_for
from .conftest import azure_for

PROJECT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).with_name("cross_user_probe.py")
GROUP, CLUSTER = "two-rg", "two-aks"  # the victim's cluster with a pod identity
OWN_GROUP, OWN_CLUSTER = "own-rg", "own-aks"  # each user's own cluster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("useradd") is None,
        reason="creating Unix users needs root and useradd",
    ),
]


@dataclass
class User:
    name: str
    uid: int
    gid: int
    folder: Path

    @property
    def home(self) -> LabHome:
        return LabHome(self.folder / "lab")

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """Run a command as this user, in the environment both users share."""
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.folder),
            "LANG": "C.UTF-8",
            "PYTHONPATH": f"{sysconfig.get_paths()['purelib']}:{PROJECT}",
            "PODID_LAB_HOME": str(self.home.root),
            "PODID_LAB_PORT": "0",
        }
        return subprocess.run(
            list(argv),
            env=env,
            user=self.uid,
            group=self.gid,
            extra_groups=[],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def lab(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(SYSTEM_PYTHON, "-m", "podid_lab", *args)


def _shared_environment_works(user: User) -> bool:
    probe = user.run(SYSTEM_PYTHON, "-c", "import podid_lab.server, uvicorn, azure.identity")
    return probe.returncode == 0


@pytest.fixture(scope="module")
def users() -> Iterator[tuple[User, User]]:
    version = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
    )
    if version.returncode != 0 or version.stdout.strip() != str(sys.version_info[:2]):
        pytest.skip(f"{SYSTEM_PYTHON} is not Python {sys.version_info[:2]}, as the venv is")
    base = Path(tempfile.mkdtemp(prefix="podid-two-users-"))
    base.chmod(0o711)  # each user may pass through to a folder of its own, and list nothing
    made: list[User] = []
    try:
        for role in ("a", "b"):
            name = f"podid{role}{secrets.token_hex(3)}"
            subprocess.run(
                ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True
            )
            entry = pwd.getpwnam(name)
            folder = base / name
            folder.mkdir(mode=0o700)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            made.append(User(name, entry.pw_uid, entry.pw_gid, folder))
        if not _shared_environment_works(made[0]):
            pytest.skip("the project's libraries are not readable by another user here")
        for user in made:
            started = user.lab("start")
            assert started.returncode == 0, started.stderr
        yield made[0], made[1]
    finally:
        for user in made:
            user.lab("stop")
            subprocess.run(["userdel", user.name], check=False)
        shutil.rmtree(base, ignore_errors=True)


def own_credentials(user: User) -> dict[str, Any]:
    """What a user has of its own lab: learner secret and token, admin key, a cluster's token."""
    az = azure_for(user.home)
    create_cluster(az, OWN_GROUP, OWN_CLUSTER)
    kubeconfig = az.aks.managed_clusters.list_cluster_admin_credentials(OWN_GROUP, OWN_CLUSTER)
    kube = yaml.safe_load(kubeconfig.kubeconfigs[0].value)
    return {
        "client_id": az.info["client_id"],
        "client_secret": az.info["client_secret"],
        "token": az.credential.get_token("https://management.azure.com/.default").token,
        "admin_key": user.home.admin_key(),
        "kube_token": kube["users"][0]["user"]["token"],
    }


def pod_with_identity(victim: User) -> dict[str, Any]:
    """The article's demo pod with its identity in the victim's lab: its UID and the IMDS paths
    another user would try for it (the old per-pod path, a made-up secret)."""
    az = azure_for(victim.home)
    register_pod_identity_preview(az)
    cluster = create_cluster(az, GROUP, CLUSTER)
    cluster.pod_identity_profile = {"enabled": True}
    cluster = az.aks.managed_clusters.begin_create_or_update(
        GROUP, CLUSTER, cluster, **POLL
    ).result()
    identity = az.msi.user_assigned_identities.create_or_update(
        GROUP, "two-identity", {"location": "japaneast"}
    )
    assign(az, identity.id, "Managed Identity Operator", cluster.identity.principal_id)
    cluster.pod_identity_profile = {
        "enabled": True,
        "userAssignedIdentities": [
            {
                "name": "two-pi",
                "namespace": "default",
                "identity": {
                    "resourceId": identity.id,
                    "clientId": identity.client_id,
                    "objectId": identity.principal_id,
                },
            }
        ],
    }
    az.aks.managed_clusters.begin_create_or_update(GROUP, CLUSTER, cluster, **POLL).result()
    creds = az.aks.managed_clusters.list_cluster_admin_credentials(GROUP, CLUSTER)
    kubeconfig = victim.folder.parent / f"{victim.name}.kubeconfig"
    kubeconfig.write_bytes(creds.kubeconfigs[0].value)
    kubeconfig.chmod(0o600)
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    manifest = yaml.safe_load(
        demo_pod_yaml(
            namespace="default",
            selector="two-pi",
            subscription_id=az.info["subscription_id"],
            client_id=identity.client_id,
            resource_group=cluster.node_resource_group,
            pod="demo",
        )
    )
    core.create_namespaced_pod("default", manifest)

    pod = wait_for(lambda: (p := core.read_namespaced_pod("demo", "default")).status.pod_ip and p)
    imds = f"http://127.0.0.1:{int(victim.home.imds_port_file.read_text())}"
    doc = {"metadata": {"namespace": "default", "name": "demo", "uid": pod.metadata.uid}}
    key = cluster_key(cluster.id)
    url = PodSecrets(victim.home).endpoint(imds, key, doc)
    # The pod's own way in works (the victim's pod gets its token), so a refusal below means
    # something; the demo's log says the same from inside the pod.
    own = requests.get(
        f"{url}/metadata/identity/oauth2/token",
        params={"resource": "https://management.azure.com/", "api-version": "2018-02-01"},
        headers={"Metadata": "true"},
        timeout=30,
    )
    assert own.status_code == 200, own.text
    wait_for(
        lambda: "successfully acquired a token" in core.read_namespaced_pod_log("demo", "default"),
        timeout=60,
    )
    return {
        "pod_uid": pod.metadata.uid,
        "imds_guesses": [f"/nmi/{key}/default/demo", f"/pod/{secrets.token_urlsafe(32)}"],
    }


def probe(
    attacker: User,
    victim: User,
    own: dict[str, Any],
    cluster: tuple[str, str],
    pod: dict[str, Any],
) -> Any:
    """Run the probe as `attacker` against `victim`'s lab and its cluster (group, name)."""
    target = {
        "home": str(victim.home.root),
        "https": int(victim.home.port_file.read_text()),
        "imds": int(victim.home.imds_port_file.read_text()),
        "tenant": azure_for(victim.home).info["tenant_id"],
        "cluster_key": cluster_key(
            f"/subscriptions/{azure_for(victim.home).info['subscription_id']}/resourceGroups/"
            f"{cluster[0]}/providers/Microsoft.ContainerService/managedClusters/{cluster[1]}"
        ),
        **pod,
        "own": own,
    }
    done = attacker.run(SYSTEM_PYTHON, str(PROBE), json.dumps(target))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def results(users: tuple[User, User]) -> dict[str, Any]:
    a, b = users
    pod = pod_with_identity(a)
    return {
        "b->a": probe(b, a, own_credentials(b), (GROUP, CLUSTER), pod),
        "a->b": probe(a, b, own_credentials(a), (OWN_GROUP, OWN_CLUSTER), {}),
    }


@pytest.mark.parametrize("direction", ["b->a", "a->b"])
def test_neither_reads_the_others_home(results: dict[str, Any], direction: str) -> None:
    assert results[direction]["read_home"] == "denied"


@pytest.mark.parametrize("direction", ["b->a", "a->b"])
def test_neither_gets_in_with_its_own_credentials(results: dict[str, Any], direction: str) -> None:
    got = results[direction]
    assert got["arm_no_token"] == 401
    assert got["arm_foreign_token"] == 401
    assert got["foreign_client_secret"] in (400, 401)
    assert got["admin_foreign_key"] in (401, 403)
    assert got["kube_no_token"] == 401
    assert got["kube_foreign_token"] == 401


@pytest.mark.parametrize("direction", ["b->a", "a->b"])
def test_neither_signs_in_to_the_other_by_device_code(
    results: dict[str, Any], direction: str
) -> None:
    # The code waits for the owner of the home, whom the other user is not.
    assert results[direction]["device_code"] == "authorization_pending"


def test_b_gets_no_token_for_a_pod_of_a(results: dict[str, Any]) -> None:
    assert results["b->a"]["pod_identity"] == [404, 404]
    assert results["b->a"]["admin_as_pod"] == 401

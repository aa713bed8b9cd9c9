"""Part 4: the pod identity add-on, NMI/IMDS and the demo pod, end to end with the real SDKs,
the kubernetes client and a stock kubectl — and every failure the tutorial teaches, on purpose."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.identity import ManagedIdentityCredential
from azure.mgmt.compute import ComputeManagementClient
from kubernetes import client, config

from podid_helpers.manifests import demo_pod_yaml
from podid_lab import ids
from podid_lab.home import LabHome
from podid_lab.kube.models import cluster_key
from podid_lab.nmi.secrets import PodSecrets
from podid_lab.server import start, status, stop

from .aks_steps import POLL, assign, create_cluster, register_pod_identity_preview, wait_for
from .conftest import Azure, azure_for, start_on_free_port
from .host_processes import alive, pod_pids

GROUP, CLUSTER, IDENTITY, POD_IDENTITY, NS = "pi-rg", "pi-aks", "pi-identity", "pi-demo", "demo"
DEMO_IMAGE = "mcr.microsoft.com/oss/azure/aad-pod-identity/demo:v1.6.3"
# The rhythm test's scale: adal's 112 s per failed IMDS call become 2.24 s, waits long enough
# to tell apart on a busy host (the module's other pods run at the tests' 1/256).
RHYTHM_TIME_SCALE = 0.02
MSI = "http://169.254.169.254/metadata/identity/oauth2/token"


@dataclass
class World:
    """A lab with the article's state up to §9: cluster, add-on, identity, roles, pod identity."""

    az: Azure
    kubeconfig: Path
    kube_home: Path
    node_group: str
    identity: Any
    cluster_principal: str

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(config.new_client_from_config(config_file=str(self.kubeconfig)))

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(
            config.new_client_from_config(config_file=str(self.kubeconfig))
        )

    @property
    def imds_origin(self) -> str:
        return f"http://127.0.0.1:{int(self.az.home.imds_port_file.read_text())}"

    def endpoint(self, pod: str, namespace: str = NS) -> str:
        """The pod's IMDS endpoint, derived as its owner can (the lab's key), once it runs."""
        found = wait_for(
            lambda: (p := self.core.read_namespaced_pod(pod, namespace)).status.pod_ip and p
        )
        cluster = self.az.aks.managed_clusters.get(GROUP, CLUSTER)
        doc = {"metadata": {"namespace": namespace, "name": pod, "uid": found.metadata.uid}}
        return PodSecrets(self.az.home).endpoint(self.imds_origin, cluster_key(cluster.id), doc)

    def kubectl(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), "HOME": str(self.kube_home)}
        return subprocess.run(
            ["kubectl", *args], env=env, capture_output=True, text=True, timeout=timeout
        )

    def set_pod_identities(self, identities: list[dict[str, Any]], enabled: bool = True) -> Any:
        cluster = self.az.aks.managed_clusters.get(GROUP, CLUSTER)
        cluster.pod_identity_profile = {"enabled": enabled, "userAssignedIdentities": identities}
        return self.az.aks.managed_clusters.begin_create_or_update(
            GROUP, CLUSTER, cluster, **POLL
        ).result()

    def entry(self, name: str = POD_IDENTITY, namespace: str = NS, **extra: Any) -> dict:
        ident = self.identity
        return {
            "name": name,
            "namespace": namespace,
            "identity": {
                "resourceId": ident.id,
                "clientId": ident.client_id,
                "objectId": ident.principal_id,
            },
            **extra,
        }


def demo_manifest(
    az: Azure,
    client_id: str,
    resource_group: str,
    *,
    name: str = "demo",
    namespace: str = NS,
    label: str = POD_IDENTITY,
    image: str = DEMO_IMAGE,
) -> str:
    """The article's demo pod, as YAML (the tutorial's own manifest)."""
    return demo_pod_yaml(
        namespace=namespace,
        selector=label,
        subscription_id=az.info["subscription_id"],
        client_id=client_id,
        resource_group=resource_group,
        pod=name,
        image=image,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("pod-identity")
    home = LabHome(root / "lab")
    start_on_free_port(home)
    az = azure_for(home)
    register_pod_identity_preview(az)
    cluster = create_cluster(az, GROUP, CLUSTER)
    cluster.pod_identity_profile = {"enabled": True}
    cluster = az.aks.managed_clusters.begin_create_or_update(
        GROUP, CLUSTER, cluster, **POLL
    ).result()
    identity = az.msi.user_assigned_identities.create_or_update(
        GROUP, IDENTITY, {"location": "japaneast"}
    )
    node_group = cluster.node_resource_group
    assign(
        az,
        f"{az.sub}/resourceGroups/{node_group}",
        "Virtual Machine Contributor",
        identity.principal_id,
    )
    assign(az, identity.id, "Managed Identity Operator", cluster.identity.principal_id)
    creds = az.aks.managed_clusters.list_cluster_user_credentials(GROUP, CLUSTER)
    kubeconfig = root / "kubeconfig"
    kubeconfig.write_bytes(creds.kubeconfigs[0].value)
    kubeconfig.chmod(0o600)
    w = World(
        az, kubeconfig, root / "kube-home", node_group, identity, cluster.identity.principal_id
    )
    w.set_pod_identities([w.entry()])
    yield w
    stop(home)


def apply_demo(w: World, tmp: Path, **kwargs: Any) -> str:
    manifest = tmp / f"{kwargs.get('name', 'demo')}.yaml"
    kwargs.setdefault("client_id", w.identity.client_id)
    kwargs.setdefault("resource_group", w.node_group)
    manifest.write_text(demo_manifest(w.az, **kwargs))
    result = w.kubectl("apply", "-f", str(manifest))
    assert result.returncode == 0, result.stderr
    return result.stdout


def pod_log(w: World, name: str, namespace: str, contains: str, timeout: float = 20) -> str:
    """The pod's log once it contains `contains` (via the kubernetes client)."""

    def read() -> str | None:
        try:
            text = w.core.read_namespaced_pod_log(name, namespace)
        except client.ApiException:
            return None
        return text if contains in text else None

    return str(wait_for(read, timeout))


def pod_ip(w: World, name: str, namespace: str = NS) -> str:
    return str(w.core.read_namespaced_pod(name, namespace).status.pod_ip)


def nmi_log(w: World, pod: str) -> list[str]:
    """The lines of the log of the NMI pod on `pod`'s node."""
    node = w.core.read_namespaced_pod(pod, NS).spec.node_name
    (nmi,) = w.core.list_namespaced_pod(
        "kube-system", label_selector="component=nmi", field_selector=f"spec.nodeName={node}"
    ).items
    return str(w.core.read_namespaced_pod_log(nmi.metadata.name, "kube-system")).splitlines()


def delete_pod(w: World, name: str, namespace: str = NS) -> None:
    w.kubectl("delete", "pod", name, "-n", namespace, "--wait=true")


# -- the add-on -------------------------------------------------------------------------------


def test_enabling_the_addon_deploys_nmi_and_the_exception(world: World) -> None:
    core, custom = world.core, world.custom
    apps = client.AppsV1Api(config.new_client_from_config(config_file=str(world.kubeconfig)))
    nodes = core.list_node().items
    ds = wait_for(
        lambda: (
            (d := apps.read_namespaced_daemon_set("nmi", "kube-system"))
            and d.status.number_ready == len(nodes)
            and d
        )
    )
    assert ds.spec.template.spec.containers[0].image.endswith("/aad-pod-identity/nmi:v1.8.18")
    assert "--operation-mode=managed" in ds.spec.template.spec.containers[0].args
    nmi_pods = core.list_namespaced_pod("kube-system", label_selector="component=nmi").items
    assert sorted(p.spec.node_name for p in nmi_pods) == sorted(n.metadata.name for n in nodes)
    exception = custom.get_namespaced_custom_object(
        "aadpodidentity.k8s.io",
        "v1",
        "kube-system",
        "azurepodidentityexceptions",
        "aks-addon-exception",
    )
    assert exception["spec"]["podLabels"] == {"kubernetes.azure.com/managedby": "aks"}


def test_pod_identity_objects_and_state(world: World) -> None:
    cluster = world.az.aks.managed_clusters.get(GROUP, CLUSTER)
    (entry,) = cluster.pod_identity_profile.user_assigned_identities
    assert entry.provisioning_state == "Assigned"
    out = world.kubectl("get", "AzureIdentity,AzureIdentityBinding", "-n", NS).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()]
    assert rows[0] == ["NAME", "TYPE", "CLIENTID", "AGE"]
    assert rows[1][:3] == [
        f"azureidentity.aadpodidentity.k8s.io/{POD_IDENTITY}",
        "0",
        world.identity.client_id,
    ]
    assert rows[2] == ["NAME", "AZUREIDENTITY", "SELECTOR", "AGE"]
    assert rows[3][:3] == [
        f"azureidentitybinding.aadpodidentity.k8s.io/{POD_IDENTITY}-binding",
        POD_IDENTITY,
        POD_IDENTITY,
    ]
    ns = world.core.read_namespace(NS)
    assert ns.metadata.labels["addonmanager.kubernetes.io/mode"] == "EnsureExists"
    (vmss,) = world.az.compute.virtual_machine_scale_sets.list(world.node_group)
    assigned = {k.lower() for k in vmss.identity.user_assigned_identities}
    assert world.identity.id.lower() in assigned


def test_missing_managed_identity_operator_refuses_the_put_at_once(world: World) -> None:
    other = world.az.msi.user_assigned_identities.create_or_update(
        GROUP, "no-mio", {"location": "japaneast"}
    )
    entry = {
        "name": "no-mio",
        "namespace": "other",
        "identity": {
            "resourceId": other.id,
            "clientId": other.client_id,
            "objectId": other.principal_id,
        },
    }
    try:
        with pytest.raises(HttpResponseError) as refused:
            world.set_pod_identities([world.entry(), entry])
        assert refused.value.status_code == 400
        assert refused.value.error.code == "BadRequest"
        assert refused.value.error.message == (
            f"Cluster identity has no assignment permission over identity 'resourceId: "
            f"{other.id} - clientId: {other.client_id} - objectId: {other.principal_id}'. "
            "Please grant at least 'Managed Identity Operator' role to the cluster identity "
            "over the identity."
        )
        # Refused, so nothing changed: no entry, no objects, nothing on the scale set.
        cluster = world.az.aks.managed_clusters.get(GROUP, CLUSTER)
        assert cluster.provisioning_state == "Succeeded"
        names = [i.name for i in cluster.pod_identity_profile.user_assigned_identities]
        assert names == [POD_IDENTITY]
        assert world.kubectl("get", "azureidentity", "no-mio", "-n", "other").returncode == 1
        (vmss,) = world.az.compute.virtual_machine_scale_sets.list(world.node_group)
        assert other.id.lower() not in {k.lower() for k in vmss.identity.user_assigned_identities}
        # The fix: grant MIO to the cluster identity, then add it again. While AKS assigns it,
        # the new entry is Updating and the one already there stays Assigned.
        assign(world.az, other.id, "Managed Identity Operator", world.cluster_principal)
        cluster = world.az.aks.managed_clusters.get(GROUP, CLUSTER)
        cluster.pod_identity_profile = {
            "enabled": True,
            "userAssignedIdentities": [world.entry(), entry],
        }
        # An update as long as Azure's shortest, so the GET surely sees it under way.
        with world.az.knobs(cluster_create_seconds=1.0):
            poller = world.az.aks.managed_clusters.begin_create_or_update(
                GROUP, CLUSTER, cluster, **POLL
            )
            during = world.az.aks.managed_clusters.get(GROUP, CLUSTER).pod_identity_profile
        assert {i.name: i.provisioning_state for i in during.user_assigned_identities} == {
            POD_IDENTITY: "Assigned",
            "no-mio": "Updating",
        }
        states = {
            i.name: i.provisioning_state
            for i in poller.result().pod_identity_profile.user_assigned_identities
        }
        assert states == {POD_IDENTITY: "Assigned", "no-mio": "Assigned"}
    finally:
        world.set_pod_identities([world.entry()])
    # removing the entry removed what the add-on made for it
    assert world.kubectl("get", "azureidentity", "no-mio", "-n", "other").returncode == 1
    (vmss,) = world.az.compute.virtual_machine_scale_sets.list(world.node_group)
    assert other.id.lower() not in {k.lower() for k in vmss.identity.user_assigned_identities}
    assert world.identity.id.lower() in {k.lower() for k in vmss.identity.user_assigned_identities}


# -- the demo pod -----------------------------------------------------------------------------


def test_demo_pod_logs_the_success_lines(world: World, tmp_path: Path) -> None:
    started = time.monotonic()
    assert apply_demo(world, tmp_path).strip() == "pod/demo created"
    text = pod_log(world, "demo", NS, "successfully made GET on instance metadata")
    elapsed = time.monotonic() - started
    first = text.splitlines()[0]
    assert first.endswith(" main.go:33] starting demo pod demo/demo " + pod_ip(world, "demo"))
    assert "successfully counted VM from ARM: 0" in text
    assert (
        "successfully acquired a token using the MSI, "
        "msiEndpoint(http://169.254.169.254/metadata/identity/oauth2/token)"
    ) in text
    assert (
        f"successfully acquired a token, userAssignedID MSI, msiEndpoint("
        f"http://169.254.169.254/metadata/identity/oauth2/token) "
        f"clientID({world.identity.client_id})"
    ) in text
    assert f'"resourceGroupName":"{world.node_group}"' in text
    assert elapsed < 10, f"first full loop took {elapsed:.1f} s"
    pod = world.core.read_namespaced_pod("demo", NS)
    assert pod.status.phase == "Running"
    assert pod.status.container_statuses[0].ready
    # kubectl logs --follow streams the same lines (ended by the test)
    env = {**os.environ, "KUBECONFIG": str(world.kubeconfig), "HOME": str(world.kube_home)}
    follow = subprocess.Popen(
        ["kubectl", "logs", "demo", "-n", NS, "--follow"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert follow.stdout is not None
        first = follow.stdout.readline()
        assert "starting demo pod" in first
    finally:
        follow.kill()
        follow.wait()
    delete_pod(world, "demo")


def test_pod_token_carries_the_identity_and_exactly_its_rights(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_demo(world, tmp_path, name="rights")
    endpoint = world.endpoint("rights")
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", endpoint)
    credential = ManagedIdentityCredential(client_id=world.identity.client_id)
    first = credential.get_token("https://management.azure.com/.default").token
    again = ManagedIdentityCredential().get_token("https://management.azure.com/.default").token
    assert first == again  # NMI/IMDS hand out the same token until it nears expiry
    claims = jwt.decode(first, options={"verify_signature": False})
    assert claims["oid"] == world.identity.principal_id
    assert claims["appid"] == world.identity.client_id
    assert claims["xms_mirid"] == world.identity.id
    compute = ComputeManagementClient(
        credential,
        world.az.info["subscription_id"],
        base_url=world.az.info["arm_endpoint"],
        connection_verify=world.az.info["ca_bundle"],
    )
    assert list(compute.virtual_machines.list(world.node_group)) == []
    with pytest.raises(HttpResponseError) as denied:
        list(compute.virtual_machines.list(GROUP))
    assert denied.value.error.code == "AuthorizationFailed"
    delete_pod(world, "rights")


def test_nmi_status_codes(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="codes")
    endpoint = world.endpoint("codes")
    url = endpoint + "/metadata/identity/oauth2/token"
    params = {"api-version": "2018-02-01", "resource": "https://management.azure.com"}
    no_header = requests.get(url, params=params, timeout=10)
    assert no_header.status_code == 400
    assert no_header.json() == {
        "error": "invalid_request",
        "error_description": "Required metadata header not specified",
    }
    no_resource = requests.get(
        url, params={"api-version": "2018-02-01"}, headers={"Metadata": "true"}, timeout=10
    )
    assert (no_resource.status_code, no_resource.text) == (
        400,
        "parameter resource cannot be empty\n",
    )
    bad_path = requests.get(endpoint + "/metadata/identity/x/oauth2/token", timeout=10)
    assert (bad_path.status_code, bad_path.text) == (400, "Invalid request\n")
    ok = requests.get(url, params=params, headers={"Metadata": "true"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["access_token"]
    instance = requests.get(
        endpoint + "/metadata/instance",
        params={"api-version": "2017-08-01"},
        headers={"Metadata": "true"},
        timeout=10,
    ).json()
    assert instance["compute"]["resourceGroupName"] == world.node_group
    assert instance["compute"]["vmScaleSetName"].endswith("-vmss")
    delete_pod(world, "codes")


# -- attacks on NMI: only the pod knows its endpoint ----------------------------------------------

TOKEN_QUERY = {"api-version": "2018-02-01", "resource": "https://management.azure.com"}


def imds_token(url: str, **headers: str) -> requests.Response:
    """A token request to IMDS at `url` (an endpoint or a guessed one), with the Metadata header."""
    return requests.get(
        url + "/metadata/identity/oauth2/token",
        params=TOKEN_QUERY,
        headers={"Metadata": "true", **headers},
        timeout=10,
    )


def assert_nmi_404(response: requests.Response) -> None:
    assert response.status_code == 404
    assert response.text.startswith("no azure identity found for request clientID")
    assert "access_token" not in response.text


def test_a_local_process_cannot_ask_nmi_as_a_pod_without_its_secret(
    world: World, tmp_path: Path
) -> None:
    apply_demo(world, tmp_path, name="guarded")
    endpoint = world.endpoint("guarded")
    assert imds_token(endpoint).status_code == 200  # the pod's own endpoint works
    key = cluster_key(world.az.aks.managed_clusters.get(GROUP, CLUSTER).id)
    secret = endpoint.rsplit("/", 1)[-1]
    origin = world.imds_origin
    guesses = [
        origin,  # IMDS itself, as an unredirected process would call it
        f"{origin}/nmi/{key}/{NS}/guarded",  # the path that used to name a pod
        f"{origin}/pod/{'A' * len(secret)}",
        f"{origin}/pod/{secret[:-1]}",  # one character short
        f"{origin}/pod/{secret.upper()}",
    ]
    for url in guesses:
        assert_nmi_404(imds_token(url))
    instance = requests.get(
        f"{origin}/pod/{'B' * len(secret)}/metadata/instance",
        params={"api-version": "2021-02-01"},
        headers={"Metadata": "true"},
        timeout=10,
    )
    assert instance.status_code == 404 and "compute" not in instance.text
    delete_pod(world, "guarded")
    assert_nmi_404(imds_token(endpoint))  # a deleted pod's secret dies with it


def test_a_pod_of_the_same_name_gets_a_new_secret(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="reborn")
    first = world.endpoint("reborn")
    delete_pod(world, "reborn")
    apply_demo(world, tmp_path, name="reborn")
    second = world.endpoint("reborn")
    assert first != second
    assert_nmi_404(imds_token(first))
    assert imds_token(second).status_code == 200
    delete_pod(world, "reborn")


def test_imds_accepts_only_the_host_names_imds_is_reached_by(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="rebind")
    endpoint = world.endpoint("rebind")
    port = endpoint.split(":")[2].split("/")[0]
    for host in ("169.254.169.254", "127.0.0.1", "localhost", f"127.0.0.1:{port}", "localhost:80"):
        assert imds_token(endpoint, Host=host).status_code == 200, host
    for host in ("evil.example", f"evil.example:{port}", "169.254.169.254.nip.io", "[::1]", ""):
        refused = imds_token(endpoint, Host=host)
        assert (refused.status_code, "access_token" in refused.text) == (400, False), host
    delete_pod(world, "rebind")


def test_the_secret_is_in_no_api_field_event_or_log(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="quiet")
    pod_log(world, "quiet", NS, "successfully acquired a token using the MSI")
    secret = world.endpoint("quiet").rsplit("/", 1)[-1]
    seen = [
        world.kubectl("get", "pod", "quiet", "-n", NS, "-o", "json").stdout,
        world.kubectl("get", "events", "-A", "-o", "json").stdout,
        world.kubectl("describe", "pod", "quiet", "-n", NS).stdout,
        world.core.read_namespaced_pod_log("quiet", NS),
        world.kubectl("logs", "-n", "kube-system", "-l", "component=nmi").stdout,
        world.az.home.log_file.read_text(),
    ]
    assert all(secret not in text for text in seen)
    assert "lab.podid.io/imds-endpoint" not in seen[0]
    key_file = world.az.home.nmi_key_file
    assert key_file.stat().st_mode & 0o777 == 0o600
    delete_pod(world, "quiet")


def test_the_nmi_pod_hands_out_nothing_without_its_own_secret(world: World) -> None:
    """kube-system's NMI pod is excepted (it reaches IMDS directly, every node identity): only a
    process holding its secret could ask as it, and the lab runs none."""
    nmi = world.core.list_namespaced_pod("kube-system", label_selector="component=nmi").items[0]
    key = cluster_key(world.az.aks.managed_clusters.get(GROUP, CLUSTER).id)
    origin = world.imds_origin
    for client_id in ("", world.identity.client_id):
        guessed = requests.get(
            f"{origin}/nmi/{key}/kube-system/{nmi.metadata.name}/metadata/identity/oauth2/token",
            params={**TOKEN_QUERY, "client_id": client_id},
            headers={"Metadata": "true"},
            timeout=10,
        )
        assert_nmi_404(guessed)
    # The exception's real behaviour holds for whoever has the secret (here the owner, by key):
    # the node's identities, by client ID, straight from IMDS.
    as_nmi = as_pod(world, nmi.metadata.uid, client_id=world.identity.client_id)
    assert as_nmi.status_code == 200
    claims = jwt.decode(as_nmi.json()["access_token"], options={"verify_signature": False})
    assert claims["appid"] == world.identity.client_id


def as_pod(world: World, uid: str, key: str | None = "admin", **query: str) -> requests.Response:
    """A token request through the lab's owner route, as the pod with `uid`."""
    headers = {"Metadata": "true"}
    if key is not None:
        headers["x-podid-lab-key"] = world.az.home.admin_key() if key == "admin" else key
    return requests.get(
        f"{world.az.info['arm_endpoint']}/_lab/pods/{uid}/imds/metadata/identity/oauth2/token",
        params={**TOKEN_QUERY, **query},
        headers=headers,
        verify=world.az.info["ca_bundle"],
        timeout=10,
    )


def test_asking_as_a_pod_through_the_lab_needs_the_admin_key(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="owner-only")
    pod = wait_for(
        lambda: (p := world.core.read_namespaced_pod("owner-only", NS)).status.pod_ip and p
    )
    for key in (None, "", "wrong-key"):
        refused = as_pod(world, pod.metadata.uid, key)
        assert refused.status_code == 401 and "access_token" not in refused.text
    assert as_pod(world, pod.metadata.uid).json()["access_token"]
    assert as_pod(world, "no-such-uid").status_code == 404
    delete_pod(world, "owner-only")


def test_wrong_label_gets_404_and_the_demo_shows_it(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="wrong-label", label="not-the-selector")
    text = pod_log(world, "wrong-label", NS, "main.go:87")
    assert (
        "failed to refresh ServicePrincipalTokenFromMSI using the MSI endpoint "
        "(http://169.254.169.254/metadata/identity/oauth2/token), error: adal: Refresh "
        "request failed. Status Code = '404'. Response body: no azure identity found for "
        "request clientID"
    ) in text
    assert "successfully acquired a token" not in text
    delete_pod(world, "wrong-label")


def test_pod_in_another_namespace_gets_404(world: World, tmp_path: Path) -> None:
    created = world.kubectl("create", "namespace", "elsewhere")  # kubectl sends protobuf
    assert (created.returncode, created.stdout.strip()) == (0, "namespace/elsewhere created")
    apply_demo(world, tmp_path, name="elsewhere", namespace="elsewhere")
    endpoint = world.endpoint("elsewhere", "elsewhere")
    resp = requests.get(
        endpoint + "/metadata/identity/oauth2/token",
        params={"api-version": "2018-02-01", "resource": "https://management.azure.com"},
        headers={"Metadata": "true"},
        timeout=10,
    )
    assert resp.status_code == 404
    assert resp.text.startswith("no azure identity found for request clientID")
    world.kubectl("delete", "namespace", "elsewhere")


def test_role_on_another_group_gives_the_403_line(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="wrong-rg", resource_group=GROUP)
    text = pod_log(world, "wrong-rg", NS, "failed list all vm")
    assert (
        "failed list all vm, error: compute.VirtualMachinesClient#List: Failure responding "
        "to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an "
        'error. Status=403 Code="AuthorizationFailed"'
    ) in text
    assert "'Microsoft.Compute/virtualMachines/read' over scope '/subscriptions/" in text
    delete_pod(world, "wrong-rg")


def _klog_seconds(line: str) -> float:
    """Seconds since midnight of a klog line's time stamp."""
    clock = line.split()[1]
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_mistyped_clientid_fails_as_on_azure_with_adals_rhythm(
    world: World, tmp_path: Path
) -> None:
    typo = world.identity.client_id[:-1] + ("0" if world.identity.client_id[-1] != "0" else "1")
    # A pod takes the time scale in force when its process starts.
    with world.az.knobs(time_scale=RHYTHM_TIME_SCALE):
        apply_demo(world, tmp_path, name="typo", client_id=typo)
        wait_for(lambda: pod_pids(NS, "typo", "demo"))
    text = pod_log(world, "typo", NS, "main.go:106", timeout=30)
    lines = text.splitlines()
    failed = next(line for line in lines if "main.go:106]" in line)
    # The Go program's own line: no error detail, and no client ID.
    assert failed.startswith("E") and failed.endswith(
        "main.go:106] failed to refresh ServicePrincipalToken userAssignedID MSI, "
        f"msiEndpoint({MSI})"
    )
    assert "successfully acquired a token using the MSI" in text  # no client ID: still fine
    assert "successfully acquired a token, userAssignedID MSI" not in text
    redacted = f"{typo[:4]}##### REDACTED #####{typo[-4:]}"
    nmi = nmi_log(world, "typo")
    refused = [
        line
        for line in nmi
        if line.endswith(
            "server.go:371] failed to get matching identities for pod: demo/typo, error: no "
            f"azure identity found for request clientID {redacted}"
        )
    ]
    # adal asked five times (retryForIMDS), then the demo logged one failure.
    assert len(refused) >= 5
    first_five = refused[:5]
    stamps = [_klog_seconds(line) for line in first_five]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    expected = [w * RHYTHM_TIME_SCALE for w in (2, 6, 14, 30)]
    assert all(gap >= want * 0.9 for gap, want in zip(gaps, expected, strict=True)), (
        gaps,
        expected,
    )
    # The waits grow; compared two apart, as a busy host's jitter may exceed the first steps.
    assert gaps[0] < gaps[2] and gaps[1] < gaps[3], gaps
    assert _klog_seconds(failed) - _klog_seconds(first_five[-1]) >= 60 * RHYTHM_TIME_SCALE * 0.9
    status_404 = [line for line in nmi if "status (404) took " in line]
    assert status_404 and all(
        re.search(
            r"server\.go:192\] status \(404\) took \d+ ns for req\.method=GET "
            r"reg\.path=/metadata/identity/oauth2/token req\.remote=10\.224\.\d+\.\d+$",
            line,
        )
        for line in status_404
    )
    delete_pod(world, "typo")


def test_nmi_logs_the_match_for_a_named_client_id(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="named")
    pod_log(world, "named", NS, "main.go:114")
    cid = world.identity.client_id
    redacted = f"{cid[:4]}##### REDACTED #####{cid[-4:]}"
    nmi = "\n".join(nmi_log(world, "named"))
    assert (
        f"managed.go:52] clientID in request: {redacted}, demo/named has been matched with "
        f"azure identity demo/{POD_IDENTITY}"
    ) in nmi
    assert (
        "managed.go:63] no clientID or resourceID in request. demo/named has been matched with "
        f"azure identity demo/{POD_IDENTITY}"
    ) in nmi
    assert re.search(r"server\.go:192\] status \(200\) took \d+ ns for req\.method=GET", nmi)
    delete_pod(world, "named")


def test_nmi_answers_as_nmi_writes_them(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="answers")
    endpoint = world.endpoint("answers")
    url = endpoint + "/metadata/identity/oauth2/token"
    cid = world.identity.client_id

    def get(**params: str) -> requests.Response:
        return requests.get(
            url,
            params={"api-version": "2018-02-01", **params},
            headers={"Metadata": "true"},
            timeout=10,
        )

    ok = get(resource="https://management.azure.com/", client_id=cid)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "application/json"
    assert list(ok.json()) == [
        "access_token",
        "refresh_token",
        "expires_in",
        "expires_on",
        "not_before",
        "resource",
        "token_type",
    ]
    assert ok.json()["refresh_token"] == "" and ok.json()["token_type"] == "Bearer"
    # NMI compares client IDs exactly: another case is another client ID.
    upper = get(resource="https://management.azure.com/", client_id=cid.upper())
    assert (upper.status_code, upper.text) == (
        404,
        f"no azure identity found for request clientID {cid.upper()[:4]}##### REDACTED "
        f"#####{cid.upper()[-4:]}\n",
    )
    assert upper.headers["content-type"] == "text/plain; charset=utf-8"
    assert upper.headers["x-content-type-options"] == "nosniff"
    # IMDS refuses an unknown resource (400); NMI passes adal's error on as a 403, endpoint and all.
    denied = get(resource="https://example.invalid/", client_id=cid)
    assert denied.status_code == 403
    assert denied.text == (
        "adal: Refresh request failed. Status Code = '400'. Response body: "
        '{"error":"invalid_resource","error_description":"AADSTS500011: The resource '
        "principal named https://example.invalid/ was not found in the tenant named "
        f'{ids.TENANT_DOMAIN}."}} Endpoint http://169.254.169.254/metadata/identity/oauth2/token'
        f"?api-version=2018-02-01&client_id={cid}&resource=https%3A%2F%2Fexample.invalid%2F\n"
    )
    assert not denied.text.startswith("failed to get service principal token")
    no_header = requests.get(url, params={"resource": "https://management.azure.com/"}, timeout=10)
    assert no_header.headers["content-type"] == "application/json; charset=utf-8"
    assert no_header.text.endswith("}\n")
    nmi = "\n".join(nmi_log(world, "answers"))
    assert (
        "server.go:378] failed to get service principal token for pod: demo/answers, error: "
        "adal: Refresh request failed. Status Code = '400'."
    ) in nmi
    assert "server.go:322] metadata header is not specified, req.method=GET" in nmi
    for code in (200, 400, 403, 404):
        assert f"status ({code}) took " in nmi
    delete_pod(world, "answers")


def test_unknown_image_is_err_image_pull_with_an_event(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="nginx", image="nginx:1.27")

    def waiting_reason() -> str | None:
        statuses = world.core.read_namespaced_pod("nginx", NS).status.container_statuses or []
        reason = (
            statuses[0].state.waiting.reason if statuses and statuses[0].state.waiting else None
        )
        return reason if reason in ("ErrImagePull", "ImagePullBackOff") else None

    assert wait_for(waiting_reason) in ("ErrImagePull", "ImagePullBackOff")
    events = world.core.list_namespaced_event(NS, field_selector="involvedObject.name=nginx").items
    failed = [e.message for e in events if e.reason == "Failed"]
    assert any(DEMO_IMAGE in m and 'Failed to pull image "nginx:1.27"' in m for m in failed)
    delete_pod(world, "nginx")


def test_deleting_the_pod_ends_its_process(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="short-lived")
    pod_log(world, "short-lived", NS, "starting demo pod")
    pids = demo_pids("short-lived")
    assert pids
    delete_pod(world, "short-lived")
    wait_for(lambda: not any(alive(p) for p in pids), timeout=10)


def test_lab_restart_restarts_running_pods_and_no_process_outlives_the_lab(
    world: World, tmp_path: Path
) -> None:
    apply_demo(world, tmp_path, name="survivor")
    before = pod_log(world, "survivor", NS, "successfully acquired a token using the MSI")
    pids = demo_pids("survivor")
    endpoint = world.endpoint("survivor")
    home = world.az.home
    lab_pid = status(home).pid
    assert lab_pid is not None
    os.kill(lab_pid, signal.SIGKILL)
    wait_for(lambda: not any(alive(p) for p in pids), timeout=10)
    start(home, port=int(home.port_file.read_text()))
    # Every running pod of the world starts again at once: on a busy 2-core host that takes time.
    wait_for(lambda: demo_pids("survivor"), timeout=45)
    pod = wait_for(
        lambda: (
            (p := world.core.read_namespaced_pod("survivor", NS)).status.container_statuses[0].ready
            and p
        ),
        timeout=30,
    )
    assert pod.status.container_statuses[0].restart_count == 1
    again = world.endpoint("survivor")
    assert again.split("/pod/")[1] == endpoint.split("/pod/")[1]  # the pod keeps its secret
    assert imds_token(again).status_code == 200
    # ... and its restarted process, which got it from the lab, gets tokens with it again.
    token_line = "successfully acquired a token using the MSI"
    wait_for(
        lambda: (
            world.core.read_namespaced_pod_log("survivor", NS).count(token_line)
            > before.count(token_line)
        ),
        timeout=30,
    )
    delete_pod(world, "survivor")


def demo_pids(pod: str) -> list[int]:
    """PIDs of the processes of `pod`'s demo container."""
    return pod_pids(NS, pod, "demo")

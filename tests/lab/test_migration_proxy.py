"""The Workload ID migration sidecar: what the webhook injects, the proxy path by path, and the
article's unchanged demo v1.6.3 logging its success lines through it with no pod identity."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
import requests
import yaml

from podid_helpers.manifests import sidecar_demo_pod_yaml

from .aks_steps import assign, wait_for
from .test_workload_identity import GROUP, NS, World, apply, trust_service_account, world

__all__ = ["world"]  # the module-scoped lab with a Workload ID cluster, shared with its tests

SA = "demo-sa"
PROXY = "mcr.microsoft.com/oss/azure/workload-identity/proxy:v1.3.0"
PROXY_INIT = "mcr.microsoft.com/oss/azure/workload-identity/proxy-init:v1.3.0"
ANNOTATION = "azure.workload.identity/inject-proxy-sidecar"
PORT_ANNOTATION = "azure.workload.identity/proxy-sidecar-port"


def demo_manifest(w: World, name: str, annotations: dict[str, str] | None = None) -> str:
    """06's demo pod with Workload ID's opt-ins (the helpers' manifest), other annotations."""
    pod = yaml.safe_load(
        sidecar_demo_pod_yaml(
            namespace=NS,
            service_account=SA,
            subscription_id=w.az.info["subscription_id"],
            client_id=w.identity.client_id,
            resource_group=w.cluster.node_resource_group,
            pod=name,
        )
    )
    if annotations is not None:
        pod["metadata"]["annotations"] = annotations
    return str(yaml.safe_dump(pod))


@pytest.fixture(scope="module")
def sidecar(world: World) -> World:
    """Path A: the identity trusts the demo's service account; the demo runs with the proxy."""
    az = world.az
    node_group_id = f"{az.sub}/resourceGroups/{world.cluster.node_resource_group}"
    assign(az, node_group_id, "Virtual Machine Contributor", world.identity.principal_id)
    trust_service_account(world, SA, "demo-fic")
    apply(world, demo_manifest(world, "demo"))
    return world


def as_pod(
    w: World, name: str, path: str, metadata: bool = False, **query: str
) -> requests.Response:
    """A request to IMDS as the pod would make it, through the lab owner's route."""
    uid = wait_for(lambda: (p := w.core.read_namespaced_pod(name, NS)).status.pod_ip and p)
    return requests.get(
        f"{w.az.info['arm_endpoint']}/_lab/pods/{uid.metadata.uid}/imds{path}",
        params=query,
        headers={
            "x-podid-lab-key": w.az.home.admin_key(),
            **({"Metadata": "true"} if metadata else {}),
        },
        verify=w.az.info["ca_bundle"],
        timeout=30,
    )


def test_the_webhook_injects_the_init_container_and_the_sidecar(sidecar: World) -> None:
    pod = sidecar.core.read_namespaced_pod("demo", NS)
    init = pod.spec.init_containers[0]
    assert (init.name, init.image) == ("azwi-proxy-init", PROXY_INIT)
    assert {e.name: e.value for e in init.env}["PROXY_PORT"] == "8000"
    assert init.security_context.capabilities.add == ["NET_ADMIN"]
    proxy, demo = pod.spec.containers
    assert (proxy.name, proxy.image, demo.name) == ("azwi-proxy", PROXY, "demo")
    assert proxy.args == ["--proxy-port=8000", "--log-level=info"]
    assert proxy.ports[0].container_port == 8000
    assert proxy.lifecycle.post_start._exec.command[:3] == [
        "/proxy",
        "--proxy-port=8000",
        "--probe",
    ]
    # Every container, the proxy's own included, gets the Workload ID environment.
    for container in (proxy, demo):
        env = {e.name: e.value for e in container.env}
        assert env["AZURE_CLIENT_ID"] == sidecar.identity.client_id
        assert env["AZURE_FEDERATED_TOKEN_FILE"].endswith("/azure-identity-token")


def test_the_port_comes_from_the_annotation_and_bad_input_is_refused(sidecar: World) -> None:
    custom = {ANNOTATION: "true", PORT_ANNOTATION: "9000"}
    apply(sidecar, demo_manifest(sidecar, "demo-9000", custom))
    pod = sidecar.core.read_namespaced_pod("demo-9000", NS)
    assert pod.spec.containers[0].args[0] == "--proxy-port=9000"
    assert {e.name: e.value for e in pod.spec.init_containers[0].env}["PROXY_PORT"] == "9000"
    # "false" is no opt-out: the webhook looks only for the key.
    apply(sidecar, demo_manifest(sidecar, "demo-false", {ANNOTATION: "false"}))
    pod = sidecar.core.read_namespaced_pod("demo-false", NS)
    assert pod.spec.containers[0].name == "azwi-proxy"
    assert pod.spec.containers[0].args[0] == "--proxy-port=8000"  # no port annotation: 8000
    bad = {ANNOTATION: "true", PORT_ANNOTATION: "http"}
    result = sidecar.kubectl("apply", "-f", "-", stdin=demo_manifest(sidecar, "demo-bad", bad))
    assert result.returncode != 0
    assert 'admission webhook "mutation.azure-workload-identity.io" denied the request' in (
        result.stderr
    )
    assert 'failed to parse proxy sidecar port: strconv.ParseInt: parsing "http"' in result.stderr
    assert sidecar.kubectl("get", "pod", "demo-bad", "-n", NS).returncode != 0
    for name in ("demo-9000", "demo-false"):
        assert sidecar.kubectl("delete", "pod", name, "-n", NS).returncode == 0


def test_the_token_path_exchanges_the_projected_token(sidecar: World) -> None:
    reply = as_pod(
        sidecar,
        "demo",
        "/metadata/identity/oauth2/token",
        resource="https://management.azure.com/",
        client_id=sidecar.identity.client_id,
        **{"api-version": "2018-02-01"},
    )
    assert reply.status_code == 200, reply.text
    assert "azure-workload-identity/proxy/v1.3.0" in reply.headers["Server"]
    body = reply.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "expires_in",
        "expires_on",
        "not_before",
        "resource",
        "token_type",
    }
    assert (body["token_type"], body["resource"]) == ("Bearer", "https://management.azure.com/")
    assert isinstance(body["expires_in"], int) and isinstance(body["expires_on"], str)
    claims: dict[str, Any] = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["appid"] == sidecar.identity.client_id
    assert claims["oid"] == sidecar.identity.principal_id
    # No Metadata header was sent: the proxy, unlike IMDS and NMI, does not ask for it.


def test_the_token_path_defaults_the_client_id_and_needs_a_resource(sidecar: World) -> None:
    path = "/METADATA/identity/oauth2/token"  # "metadata" matches in any case
    defaulted = as_pod(sidecar, "demo", path, resource="https://management.azure.com/")
    assert defaulted.status_code == 200
    claims = jwt.decode(defaulted.json()["access_token"], options={"verify_signature": False})
    assert claims["appid"] == sidecar.identity.client_id
    missing = as_pod(sidecar, "demo", path, client_id=sidecar.identity.client_id)
    assert (missing.status_code, missing.text) == (400, "The resource parameter is required.\n")


def test_a_token_is_kept_per_client_id_and_resource(sidecar: World) -> None:
    """The demo compares the tokens it gets with and without a client ID (main.go:54): the
    proxy hands out the one it holds, whenever the second request comes."""

    def token(**query: str) -> str:
        reply = as_pod(sidecar, "demo", "/metadata/identity/oauth2/token", **query)
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])

    arm = "https://management.azure.com/"
    first = token(resource=arm)
    time.sleep(1.05 - time.time() % 1)  # the lab's clock in the next second: Entra would differ
    # Compared outside the assert, so a failure never prints a token.
    kept = token(resource=arm, client_id=sidecar.identity.client_id) == first
    assert kept, "the proxy asked Entra again for a client ID and resource it holds a token for"
    other = token(resource="https://vault.azure.net")
    distinct = other != first
    assert distinct, "another resource got the same token"
    assert (
        jwt.decode(other, options={"verify_signature": False})["aud"] == "https://vault.azure.net"
    )


def test_a_failed_exchange_is_a_500_with_entras_error(sidecar: World) -> None:
    spare = sidecar.az.msi.user_assigned_identities.create_or_update(
        GROUP, "wi-proxy-other", {"location": "japaneast"}
    )
    reply = as_pod(
        sidecar,
        "demo",
        "/metadata/identity/oauth2/token",
        resource="https://management.azure.com/",
        client_id=spare.client_id,
    )
    assert reply.status_code == 500
    assert reply.text.startswith("failed to acquire token: http call(")
    assert "/oauth2/v2.0/token)(POST) error: reply status code was 400:\n" in reply.text
    assert "AADSTS70021" in reply.text and "access_token" not in reply.text
    sidecar.az.msi.user_assigned_identities.delete(GROUP, spare.name)


def test_readyz_answers_ok(sidecar: World) -> None:
    reply = as_pod(sidecar, "demo", "/readyz")
    assert (reply.status_code, reply.text) == (200, "ok")


def test_other_paths_go_to_the_nodes_imds(sidecar: World) -> None:
    instance = as_pod(sidecar, "demo", "/metadata/instance", **{"api-version": "2017-08-01"})
    # Forwarded as it came: without the Metadata header IMDS refuses it, as it would directly.
    assert instance.status_code == 400
    assert "Required metadata header not specified" in instance.text
    answered = as_pod(
        sidecar, "demo", "/metadata/instance", metadata=True, **{"api-version": "2017-08-01"}
    )
    assert answered.status_code == 200
    assert answered.json()["compute"]["resourceGroupName"] == sidecar.cluster.node_resource_group
    unknown = as_pod(sidecar, "demo", "/metadata/nothing-here")
    assert unknown.status_code == 404
    log = sidecar.core.read_namespaced_pod_log("demo", NS, container="azwi-proxy")
    assert '"starting the proxy server" port=8000' in log
    assert '"received response from IMDS" method="GET" uri="/metadata/instance' in log
    assert '"received readyz request"' in log and '"successfully acquired token"' in log


def test_the_unchanged_demo_logs_the_articles_success_lines(sidecar: World) -> None:
    # Two containers now: the demo's log must be asked for by name (`kubectl logs demo -c demo`).
    text = wait_for(
        lambda: (
            "successfully made GET on instance metadata"
            in (log := sidecar.core.read_namespaced_pod_log("demo", NS, container="demo"))
            and log
        ),
        timeout=60,
    )
    assert "successfully counted VM from ARM" in text
    assert "successfully acquired a token using the MSI, msiEndpoint(" in text
    assert (
        "successfully acquired a token, userAssignedID MSI, msiEndpoint("
        f"http://169.254.169.254/metadata/identity/oauth2/token) "
        f"clientID({sidecar.identity.client_id})"
    ) in text
    assert '"vmScaleSetName":"aks-nodepool1-' in text
    assert "main.go:87" not in text and "main.go:105" not in text
    assert "main.go:54" not in text  # the two tokens it compared were the same

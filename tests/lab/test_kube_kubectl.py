"""A stock kubectl runs the tutorial's commands against a lab cluster's API server."""

from __future__ import annotations

import re
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from podid_lab.home import LabHome

from .kube_cluster import KubeCluster, lines, make_cluster

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: demo
  labels:
    aadpodidbinding: podid1
spec:
  containers:
  - name: demo
    image: mcr.microsoft.com/oss/azure/aad-pod-identity/demo:v1.6.3
    args: ["--subscriptionid=sub", "--clientid=client", "--resourcegroup=MC_rg_aks_westeurope"]
    env:
    - name: MY_POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
  nodeSelector:
    kubernetes.io/os: linux
"""

IDENTITIES = "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity"
RESOURCE_ID = f"{IDENTITIES}/userAssignedIdentities/id1"
IDENTITY = """
apiVersion: aadpodidentity.k8s.io/v1
kind: AzureIdentity
metadata:
  name: podid1
  namespace: {ns}
spec:
  type: 0
  resourceID: {rid}
  clientID: 00000000-0000-0000-0000-000000000001
---
apiVersion: aadpodidentity.k8s.io/v1
kind: AzureIdentityBinding
metadata:
  name: podid1-binding
  namespace: {ns}
spec:
  azureIdentity: podid1
  selector: podid1
"""


@pytest.fixture(scope="module")
def kube(
    lab_home: LabHome, lab_info: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> KubeCluster:
    return make_cluster(
        lab_home,
        lab_info["arm_endpoint"],
        lab_info["ca_bundle"],
        tmp_path_factory.mktemp("kubectl"),
        name="aks-kubectl",
        nodeCount=2,
        podIdentityCrds=True,
    )


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def test_kubeconfig_is_private_and_has_the_aks_context(kube: KubeCluster) -> None:
    assert stat.S_IMODE(kube.kubeconfig.stat().st_mode) == 0o600
    rows = lines(ok(kube.kubectl("config", "get-contexts")))
    assert rows[0] == ["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]
    assert rows[1] == ["*", "aks-kubectl", "aks-kubectl", "clusterUser_rg-lab_aks-kubectl"]


def test_get_nodes_shows_ready_agents(kube: KubeCluster) -> None:
    rows = lines(ok(kube.kubectl("get", "nodes")))
    assert rows[0] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert len(rows) == 3
    for row in rows[1:]:
        assert re.fullmatch(r"aks-nodepool1-\d{8}-vmss00000[01]", row[0])
        assert row[1:3] == ["Ready", "agent"]
        assert row[4] == "v1.31.6"
    wide = lines(ok(kube.kubectl("get", "nodes", "-o", "wide")))[0]
    assert wide[5:] == [
        "INTERNAL-IP",
        "EXTERNAL-IP",
        "OS-IMAGE",
        "KERNEL-VERSION",
        "CONTAINER-RUNTIME",
    ]


def test_get_namespaces(kube: KubeCluster) -> None:
    rows = lines(ok(kube.kubectl("get", "ns")))
    assert rows[0] == ["NAME", "STATUS", "AGE"]
    assert [r[0] for r in rows[1:]] == ["default", "kube-node-lease", "kube-public", "kube-system"]
    assert {r[1] for r in rows[1:]} == {"Active"}


def test_apply_creates_then_reapplies_a_pod(kube: KubeCluster, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD)
    assert ok(kube.kubectl("apply", "-f", str(manifest))).strip() == "pod/demo created"
    assert ok(kube.kubectl("apply", "-f", str(manifest))).strip() == "pod/demo unchanged"
    manifest.write_text(POD.replace("demo:v1.6.3", "demo:v1.6.2"))
    assert ok(kube.kubectl("apply", "-f", str(manifest))).strip() == "pod/demo configured"
    image = ok(kube.kubectl("get", "pod", "demo", "-o", "jsonpath={.spec.containers[0].image}"))
    assert image.endswith("demo:v1.6.2")
    rows = lines(ok(kube.kubectl("get", "pods")))
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    # The lab's kubelet may already be acting on the pod (it runs v1.6.3; v1.6.2 cannot be
    # pulled), so the status column is any of the states a real cluster shows on the way.
    assert rows[1][0] == "demo" and rows[1][3] == "0"
    assert rows[1][1] in ("0/1", "1/1")
    assert rows[1][2] in (
        "Pending",
        "ContainerCreating",
        "Running",
        "ErrImagePull",
        "ImagePullBackOff",
    )
    # Changing args is not an allowed pod update: the server's Forbidden message comes through.
    manifest.write_text(POD.replace("--clientid=client", "--clientid=other"))
    result = kube.kubectl("apply", "-f", str(manifest))
    assert result.returncode == 1
    assert (
        'The Pod "demo" is invalid: spec: Forbidden: pod updates may not change fields'
        in result.stderr
    )
    ok(kube.kubectl("delete", "pod", "demo"))


def test_apply_server_side(kube: KubeCluster, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD.replace("name: demo\n  labels", "name: ssa\n  labels"))
    assert (
        ok(kube.kubectl("apply", "--server-side", "-f", str(manifest))).strip()
        == "pod/ssa serverside-applied"
    )
    assert (
        ok(kube.kubectl("apply", "--server-side", "-f", str(manifest))).strip()
        == "pod/ssa serverside-applied"
    )
    managers = ok(
        kube.kubectl("get", "pod", "ssa", "-o", "jsonpath={.metadata.managedFields[*].manager}")
    )
    assert "kubectl" in managers.split()
    ok(kube.kubectl("delete", "pod", "ssa", "--wait=false"))


def test_get_pods_watch_shows_changes_until_ended(kube: KubeCluster) -> None:
    ok(kube.kubectl("run", "watched", "--image=nginx:1.27"))
    watcher = kube.kubectl_popen("get", "pods", "-w")
    try:
        time.sleep(1.0)
        ok(kube.kubectl("label", "pod", "watched", "tier=web"))
        ok(kube.kubectl("run", "second", "--image=nginx:1.27"))
        time.sleep(1.0)
    finally:
        watcher.terminate()
    out, _ = watcher.communicate(timeout=10)
    rows = lines(out)
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    names = [r[0] for r in rows[1:]]
    assert names.count("watched") >= 2  # the listing, then the MODIFIED label change
    assert "second" in names
    ok(kube.kubectl("delete", "pod", "watched", "second"))


def test_get_pod_identity_kinds_with_printer_columns(kube: KubeCluster, tmp_path: Path) -> None:
    ok(kube.kubectl("create", "namespace", "team-a"))
    manifest = tmp_path / "identity.yaml"
    manifest.write_text(IDENTITY.format(ns="team-a", rid=RESOURCE_ID))
    created = ok(kube.kubectl("apply", "-f", str(manifest))).splitlines()
    assert created == [
        "azureidentity.aadpodidentity.k8s.io/podid1 created",
        "azureidentitybinding.aadpodidentity.k8s.io/podid1-binding created",
    ]
    out = ok(kube.kubectl("get", "AzureIdentity,AzureIdentityBinding", "-n", "team-a"))
    blocks = [lines(b) for b in out.strip().split("\n\n")]
    assert blocks[0][0] == ["NAME", "TYPE", "CLIENTID", "AGE"]
    assert blocks[0][1][:3] == [
        "azureidentity.aadpodidentity.k8s.io/podid1",
        "0",
        "00000000-0000-0000-0000-000000000001",
    ]
    assert blocks[1][0] == ["NAME", "AZUREIDENTITY", "SELECTOR", "AGE"]
    assert blocks[1][1][:3] == [
        "azureidentitybinding.aadpodidentity.k8s.io/podid1-binding",
        "podid1",
        "podid1",
    ]
    rows = lines(ok(kube.kubectl("get", "azureidentities", "-A")))
    assert rows[0] == ["NAMESPACE", "NAME", "TYPE", "CLIENTID", "AGE"]
    crds = lines(ok(kube.kubectl("get", "crd")))
    assert crds[0] == ["NAME", "CREATED AT"]
    assert "azureidentities.aadpodidentity.k8s.io" in [r[0] for r in crds]


def test_strict_validation_rejects_pascal_case_fields(kube: KubeCluster, tmp_path: Path) -> None:
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(
        "apiVersion: aadpodidentity.k8s.io/v1\nkind: AzureIdentity\n"
        "metadata: {name: pascal, namespace: default}\nspec: {type: 0, ClientID: abc}\n"
    )
    result = kube.kubectl("apply", "-f", str(manifest))
    assert result.returncode == 1
    assert (
        'AzureIdentity in version "v1" cannot be handled as a AzureIdentity: strict decoding '
        "error: "
        'unknown field "spec.ClientID"' in result.stderr
    )


def test_delete_pod_waits_until_gone(kube: KubeCluster) -> None:
    ok(kube.kubectl("run", "doomed", "--image=nginx:1.27"))
    started = time.monotonic()
    assert ok(kube.kubectl("delete", "pod", "doomed")).strip() == 'pod "doomed" deleted'
    assert time.monotonic() - started < 5
    result = kube.kubectl("get", "pod", "doomed")
    assert result.returncode == 1
    assert result.stderr.strip() == 'Error from server (NotFound): pods "doomed" not found'


def test_delete_namespace_takes_its_objects(kube: KubeCluster, tmp_path: Path) -> None:
    ok(kube.kubectl("create", "namespace", "doomed-ns"))
    ok(kube.kubectl("run", "inside", "--image=nginx:1.27", "-n", "doomed-ns"))
    manifest = tmp_path / "identity.yaml"
    manifest.write_text(IDENTITY.format(ns="doomed-ns", rid=RESOURCE_ID))
    ok(kube.kubectl("apply", "-f", str(manifest)))
    assert ok(kube.kubectl("delete", "ns", "doomed-ns")).strip() == 'namespace "doomed-ns" deleted'
    assert "doomed-ns" not in ok(kube.kubectl("get", "ns"))
    assert ok(kube.kubectl("get", "pods", "-n", "doomed-ns", "-o", "name")) == ""
    assert "doomed-ns" not in ok(kube.kubectl("get", "azureidentities", "-A"))


def test_protected_namespace_is_forbidden(kube: KubeCluster) -> None:
    result = kube.kubectl("delete", "ns", "kube-system")
    assert result.stderr.strip() == (
        'Error from server (Forbidden): namespaces "kube-system" is forbidden: '
        "this namespace may not be deleted"
    )


def test_invalid_pod_name_gets_the_real_message(kube: KubeCluster) -> None:
    result = kube.kubectl("run", "Bad_Name", "--image=nginx")
    assert result.returncode == 1
    assert (
        'The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase '
        "RFC 1123 subdomain" in result.stderr
    )


def test_events_and_daemonsets_tables(kube: KubeCluster) -> None:
    ok(kube.kubectl("run", "eventful", "--image=nginx:1.27"))
    rows = lines(
        ok(kube.kubectl("get", "events", "--field-selector", "involvedObject.name=eventful"))
    )
    assert rows[0] == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert rows[1][1:4] == ["Normal", "Scheduled", "pod/eventful"]
    assert rows[1][4].startswith("Successfully assigned default/eventful to aks-nodepool1-")
    ok(kube.kubectl("delete", "pod", "eventful"))
    empty = kube.kubectl("get", "ds", "-n", "kube-system")
    assert empty.stderr.strip() == "No resources found in kube-system namespace."


def test_kubectl_create_namespace_and_serviceaccount_send_protobuf(kube: KubeCluster) -> None:
    assert ok(kube.kubectl("create", "namespace", "made-by-create")).strip() == (
        "namespace/made-by-create created"
    )
    assert ok(kube.kubectl("create", "serviceaccount", "bot", "-n", "made-by-create")).strip() == (
        "serviceaccount/bot created"
    )
    names = ok(kube.kubectl("get", "sa", "-n", "made-by-create", "-o", "name")).split()
    assert names == ["serviceaccount/bot", "serviceaccount/default"]
    # ConfigMaps are not served at all, as on a server without that resource.
    refused = kube.kubectl("create", "configmap", "settings", "--from-literal=a=b")
    assert refused.stderr.strip() == (
        "error: failed to create configmap: the server could not find the requested resource"
    )
    ok(kube.kubectl("delete", "namespace", "made-by-create"))

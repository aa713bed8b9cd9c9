"""The kubernetes Python client creates, lists, watches, patches and deletes every kind."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from kubernetes import watch
from kubernetes.client.rest import ApiException

from podid_lab.home import LabHome

from .kube_cluster import KubeCluster, make_cluster

GROUP, VERSION = "aadpodidentity.k8s.io", "v1"


@pytest.fixture(scope="module")
def kube(
    lab_home: LabHome, lab_info: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> KubeCluster:
    return make_cluster(
        lab_home,
        lab_info["arm_endpoint"],
        lab_info["ca_bundle"],
        tmp_path_factory.mktemp("client"),
        name="aks-client",
        nodeCount=3,
    )


def pod(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]},
    }


def test_namespaces(kube: KubeCluster) -> None:
    core = kube.core
    created = core.create_namespace({"metadata": {"name": "py-ns", "labels": {"team": "a"}}})
    assert created.status.phase == "Active"
    assert created.metadata.labels == {"team": "a", "kubernetes.io/metadata.name": "py-ns"}
    names = [n.metadata.name for n in core.list_namespace(label_selector="team=a").items]
    assert names == ["py-ns"]
    patched = core.patch_namespace("py-ns", {"metadata": {"labels": {"team": "b"}}})
    assert patched.metadata.labels["team"] == "b"
    # The service-account controller puts `default` in every new namespace.
    assert [s.metadata.name for s in core.list_namespaced_service_account("py-ns").items] == [
        "default"
    ]
    with pytest.raises(ApiException) as exc:
        core.create_namespace({"metadata": {"name": "py-ns"}})
    assert exc.value.status == 409
    assert '"reason":"AlreadyExists"' in exc.value.body
    core.delete_namespace("py-ns")
    assert core.read_namespace("py-ns").status.phase == "Terminating"
    w = watch.Watch()
    for event in w.stream(
        core.list_namespace, field_selector="metadata.name=py-ns", timeout_seconds=10
    ):
        if event["type"] == "DELETED":
            break
    else:
        pytest.fail("namespace was not finalized")
    with pytest.raises(ApiException) as exc:
        core.read_namespace("py-ns")
    assert exc.value.status == 404


def test_pods_create_list_watch_patch_delete(kube: KubeCluster) -> None:
    core = kube.core
    first = core.create_namespaced_pod("default", pod("py-a", app="web"))
    assert first.status.phase == "Pending"
    assert first.spec.node_name.startswith("aks-nodepool1-")
    assert first.spec.service_account_name == "default"
    assert first.status.conditions[0].type == "PodScheduled"
    rv = first.metadata.resource_version
    core.create_namespaced_pod("default", pod("py-b", app="db"))
    # Three nodes: the scheduler spreads pods over the least-loaded one.
    nodes = {
        p.spec.node_name
        for p in core.list_namespaced_pod("default", label_selector="app in (web,db)").items
    }
    assert len(nodes) == 2
    assert [
        p.metadata.name for p in core.list_namespaced_pod("default", label_selector="app=web").items
    ] == ["py-a"]
    assert [
        p.metadata.name
        for p in core.list_pod_for_all_namespaces(field_selector="metadata.name=py-b").items
    ] == ["py-b"]
    assert [
        p.metadata.name
        for p in core.list_namespaced_pod("default", field_selector="status.phase=Running").items
    ] == []

    w = watch.Watch()
    events: list[tuple[str, str, str | None]] = []

    def watcher() -> None:
        for event in w.stream(
            core.list_namespaced_pod,
            "default",
            label_selector="app",
            resource_version=rv,
            timeout_seconds=10,
        ):
            meta = event["object"].metadata
            events.append((event["type"], meta.name, (meta.labels or {}).get("tier")))
            if events[-1][:2] == ("DELETED", "py-a"):
                w.stop()

    thread = threading.Thread(target=watcher)
    thread.start()
    patched = core.patch_namespaced_pod(
        "py-a", "default", {"metadata": {"labels": {"tier": "front"}}}
    )
    assert patched.metadata.labels == {"app": "web", "tier": "front"}
    core.delete_namespaced_pod("py-a", "default")
    thread.join(15)
    # Resumed after `rv`: py-b's creation first, then py-a's label change, then its deletion.
    # The kubelet's status updates (either pod's image pull) may come between them, as they do
    # on a real cluster, so only the order of these three is checked.
    assert events[0] == ("ADDED", "py-b", None), events
    labelled = events.index(("MODIFIED", "py-a", "front"))
    assert events[-1] == ("DELETED", "py-a", "front") and labelled < len(events) - 1, events
    assert ("ADDED", "py-a", None) not in events, events  # created before `rv`: not replayed
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_pod("py-a", "default")
    assert exc.value.status == 404
    assert '"message":"pods \\"py-a\\" not found"' in exc.value.body
    core.delete_namespaced_pod("py-b", "default")


def test_pod_status_subresource(kube: KubeCluster) -> None:
    core = kube.core
    # Bound to a node no kubelet runs, so only this test writes the pod's status (on a real
    # cluster, as here, the kubelet of a real node would report its image pull meanwhile).
    core.create_namespaced_pod(
        "default", {**pod("py-status"), "spec": {**pod("x")["spec"], "nodeName": "retired-node"}}
    )
    updated = core.patch_namespaced_pod_status(
        "py-status", "default", {"status": {"phase": "Running", "podIP": "10.224.0.30"}}
    )
    assert updated.status.phase == "Running"
    # Spec changes through the main resource do not touch the status.
    again = core.patch_namespaced_pod(
        "py-status",
        "default",
        {"metadata": {"annotations": {"a": "b"}}, "status": {"phase": "Failed"}},
    )
    assert again.status.phase == "Running"
    assert [
        p.metadata.name
        for p in core.list_namespaced_pod("default", field_selector="status.phase=Running").items
    ] == ["py-status"]
    core.delete_namespaced_pod("py-status", "default", grace_period_seconds=0)


def test_nodes_list_and_patch(kube: KubeCluster) -> None:
    core = kube.core
    nodes = core.list_node().items
    assert len(nodes) == 3
    node = nodes[0]
    labels = node.metadata.labels
    assert labels["kubernetes.azure.com/agentpool"] == "nodepool1"
    assert labels["topology.kubernetes.io/region"] == "westeurope"
    assert labels["node.kubernetes.io/instance-type"] == "Standard_DS2_v2"
    assert labels["kubernetes.io/os"] == "linux"
    assert node.spec.provider_id.startswith("azure:///subscriptions/")
    assert (
        "/resourceGroups/mc_rg-lab_aks-client_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/"
        in node.spec.provider_id
    )
    assert node.spec.provider_id.endswith("-vmss/virtualMachines/0")
    assert [c.status for c in node.status.conditions if c.type == "Ready"] == ["True"]
    patched = core.patch_node(node.metadata.name, {"metadata": {"labels": {"lab": "yes"}}})
    assert patched.metadata.labels["lab"] == "yes"


def test_events_and_service_accounts(kube: KubeCluster) -> None:
    core = kube.core
    core.create_namespaced_pod("default", pod("py-evented"))
    events = core.list_namespaced_event(
        "default", field_selector="involvedObject.name=py-evented"
    ).items
    # The scheduler's event comes first; the kubelet's (Pulling, ...) may follow by now, as on a
    # cluster.
    seen = [(e.reason, e.source.component) for e in events]
    assert seen[0] == ("Scheduled", "default-scheduler"), seen
    assert all(component == "kubelet" for _, component in seen[1:]), seen
    core.create_namespaced_event(
        "default",
        {
            "metadata": {"name": "mine"},
            "involvedObject": {"kind": "Pod", "name": "py-evented", "namespace": "default"},
            "reason": "Custom",
            "message": "hello",
            "type": "Normal",
        },
    )
    core.patch_namespaced_event("mine", "default", {"message": "changed"})
    assert core.read_namespaced_event("mine", "default").message == "changed"
    core.delete_namespaced_event("mine", "default")
    sa = core.create_namespaced_service_account("default", {"metadata": {"name": "app-sa"}})
    assert sa.metadata.uid
    core.patch_namespaced_service_account(
        "app-sa",
        "default",
        {"metadata": {"annotations": {"azure.workload.identity/client-id": "x"}}},
    )
    assert sorted(
        s.metadata.name for s in core.list_namespaced_service_account("default").items
    ) == ["app-sa", "default"]
    core.delete_namespaced_service_account("app-sa", "default")
    core.delete_namespaced_pod("py-evented", "default", grace_period_seconds=0)


def test_daemon_set_runs_a_pod_per_node(kube: KubeCluster) -> None:
    apps, core = kube.apps, kube.core
    body = {
        "metadata": {"name": "nmi", "labels": {"component": "nmi"}},
        "spec": {
            "selector": {"matchLabels": {"component": "nmi", "tier": "node"}},
            "template": {
                "metadata": {"labels": {"component": "nmi", "tier": "node"}},
                "spec": {
                    "hostNetwork": True,
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "containers": [
                        {
                            "name": "nmi",
                            "image": "mcr.microsoft.com/oss/azure/aad-pod-identity/nmi:v1.8.17",
                        }
                    ],
                },
            },
        },
    }
    created = apps.create_namespaced_daemon_set("kube-system", body)
    assert created.metadata.generation == 1
    ds = apps.read_namespaced_daemon_set("nmi", "kube-system")
    assert ds.status.desired_number_scheduled == 3
    assert ds.status.current_number_scheduled == 3
    # The lab's kubelet starts the pods (NMI is played by the lab itself), so they become ready.
    deadline = time.monotonic() + 10
    while apps.read_namespaced_daemon_set("nmi", "kube-system").status.number_ready != 3:
        assert time.monotonic() < deadline, "the DaemonSet's pods never became ready"
        time.sleep(0.1)
    pods = core.list_namespaced_pod("kube-system", label_selector="component=nmi").items
    assert sorted(p.spec.node_name for p in pods) == sorted(
        n.metadata.name for n in core.list_node().items
    )
    assert all(p.metadata.name.startswith("nmi-") and len(p.metadata.name) == 9 for p in pods)
    assert all(p.metadata.owner_references[0].kind == "DaemonSet" for p in pods)
    patched = apps.patch_namespaced_daemon_set(
        "nmi", "kube-system", {"metadata": {"labels": {"x": "y"}}}
    )
    assert patched.metadata.labels["x"] == "y"
    rows = kube.kubectl("get", "ds", "-n", "kube-system").stdout.splitlines()
    assert rows[0].split() == [
        "NAME",
        "DESIRED",
        "CURRENT",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "NODE",
        "SELECTOR",
        "AGE",
    ]
    assert rows[1].split()[:7] == ["nmi", "3", "3", "3", "3", "3", "kubernetes.io/os=linux"]
    apps.delete_namespaced_daemon_set("nmi", "kube-system")
    assert core.list_namespaced_pod("kube-system", label_selector="component=nmi").items == []


def test_crds_and_pod_identity_kinds(kube: KubeCluster) -> None:
    crds, custom = kube.crds, kube.custom
    from importlib import resources

    import yaml

    text = resources.files("podid_lab").joinpath("data/aad-pod-identity-crds.yaml").read_text()
    for doc in yaml.safe_load_all(text):
        crds.create_custom_resource_definition(doc)
    established = crds.read_custom_resource_definition("azureidentities.aadpodidentity.k8s.io")
    assert [c.type for c in established.status.conditions] == ["NamesAccepted", "Established"]
    assert len(crds.list_custom_resource_definition().items) == 4
    kube.core.create_namespace({"metadata": {"name": "py-podid"}})
    bodies = {
        "azureidentities": {
            "kind": "AzureIdentity",
            "spec": {"type": 0, "resourceID": "/subscriptions/s/id", "clientID": "c1"},
        },
        "azureidentitybindings": {
            "kind": "AzureIdentityBinding",
            "spec": {"azureIdentity": "podid1", "selector": "podid1"},
        },
        "azureassignedidentities": {
            "kind": "AzureAssignedIdentity",
            "spec": {"pod": "demo", "podNamespace": "py-podid", "nodename": "n"},
            "status": {"status": "Assigned"},
        },
        "azurepodidentityexceptions": {
            "kind": "AzurePodIdentityException",
            "spec": {"podLabels": {"app": "skip"}},
        },
    }
    for plural, body in bodies.items():
        doc = dict(body, apiVersion=f"{GROUP}/{VERSION}", metadata={"name": "podid1"})
        created = custom.create_namespaced_custom_object(GROUP, VERSION, "py-podid", plural, doc)
        assert created["metadata"]["uid"]
        listed = custom.list_namespaced_custom_object(GROUP, VERSION, "py-podid", plural)
        assert [i["metadata"]["name"] for i in listed["items"]] == ["podid1"]
        stream = watch.Watch().stream(
            custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            "py-podid",
            plural,
            timeout_seconds=1,
        )
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in stream] == [
            ("ADDED", "podid1")
        ]
        patched = custom.patch_namespaced_custom_object(
            GROUP, VERSION, "py-podid", plural, "podid1", {"metadata": {"labels": {"k": "v"}}}
        )
        assert patched["metadata"]["labels"] == {"k": "v"}
        assert patched["metadata"]["generation"] == 1
        custom.delete_namespaced_custom_object(GROUP, VERSION, "py-podid", plural, "podid1")
        assert (
            custom.list_namespaced_custom_object(GROUP, VERSION, "py-podid", plural)["items"] == []
        )
    # A type mismatch against the CRD schema is Invalid, with the server's wording.
    bad = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "AzureIdentity",
        "metadata": {"name": "bad"},
        "spec": {"type": "0"},
    }
    with pytest.raises(ApiException) as exc:
        custom.create_namespaced_custom_object(GROUP, VERSION, "py-podid", "azureidentities", bad)
    assert exc.value.status == 422
    assert 'spec.type in body must be of type integer: \\"string\\"' in exc.value.body
    crds.delete_custom_resource_definition("azurepodidentityexceptions.aadpodidentity.k8s.io")
    with pytest.raises(ApiException) as exc:
        custom.list_namespaced_custom_object(
            GROUP, VERSION, "py-podid", "azurepodidentityexceptions"
        )
    assert exc.value.status == 404


def test_server_side_apply_from_the_client(kube: KubeCluster) -> None:
    core = kube.core
    body = pod("py-applied", app="ssa")
    created = core.patch_namespaced_pod(
        "py-applied",
        "default",
        body,
        field_manager="tutorial",
        _content_type="application/apply-patch+yaml",
    )
    assert created.metadata.labels == {"app": "ssa"}
    body["metadata"]["labels"]["extra"] = "1"
    again = core.patch_namespaced_pod(
        "py-applied",
        "default",
        body,
        field_manager="tutorial",
        force=True,
        _content_type="application/apply-patch+yaml",
    )
    assert again.metadata.labels == {"app": "ssa", "extra": "1"}
    assert any(
        m.manager == "tutorial" and m.operation == "Apply" for m in again.metadata.managed_fields
    )
    core.delete_namespaced_pod("py-applied", "default", grace_period_seconds=0)

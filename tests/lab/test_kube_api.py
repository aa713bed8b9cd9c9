"""The API server's protocol details: auth, discovery, paging, watch resume, errors, logs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import watch

from podid_lab.home import LabHome
from podid_lab.kube.kinds import PODS

from .kube_cluster import InProcessLab, KubeCluster, make_cluster

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


@pytest.fixture(scope="module")
def kube(
    lab_home: LabHome, lab_info: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> KubeCluster:
    return make_cluster(
        lab_home,
        lab_info["arm_endpoint"],
        lab_info["ca_bundle"],
        tmp_path_factory.mktemp("api"),
        name="aks-api",
        kubernetesVersion="1.29",
    )


def test_missing_or_wrong_token_is_unauthorized(kube: KubeCluster) -> None:
    for token in (None, "wrong"):
        resp = kube.raw("GET", "/api/v1/namespaces", token=token)
        assert resp.status_code == 401
        assert resp.json() == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }


def test_version_and_discovery(kube: KubeCluster) -> None:
    version = kube.raw("GET", "/version").json()
    assert (version["major"], version["minor"], version["gitVersion"]) == ("1", "29", "v1.29.14")
    assert kube.raw("GET", "/api").json()["versions"] == ["v1"]
    groups = [g["name"] for g in kube.raw("GET", "/apis").json()["groups"]]
    assert groups == ["apps", "apiextensions.k8s.io"]
    core = {r["name"]: r for r in kube.raw("GET", "/api/v1").json()["resources"]}
    assert core["pods"]["shortNames"] == ["po"] and core["pods"]["namespaced"] is True
    assert core["pods/log"]["verbs"] == ["get"]
    assert core["namespaces"]["namespaced"] is False
    apps = kube.raw("GET", "/apis/apps/v1").json()["resources"]
    assert apps[0]["name"] == "daemonsets" and apps[0]["shortNames"] == ["ds"]
    # The pod identity group appears once its CRDs are installed.
    assert kube.raw("GET", "/apis/aadpodidentity.k8s.io/v1").status_code == 404


def test_openapi_v3_marks_patch_operations(kube: KubeCluster) -> None:
    index = kube.raw("GET", "/openapi/v3").json()["paths"]
    url = index["api/v1"]["serverRelativeURL"]
    assert url.startswith(f"/k8s/{kube.key}/openapi/v3/api/v1?hash=")
    doc = kube.raw("GET", url.split(kube.key, 1)[1]).json()
    patch = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]


def test_post_without_content_type_is_json(kube: KubeCluster) -> None:
    body = json.dumps({"metadata": {"name": "raw-ns"}})
    resp = kube.raw("POST", "/api/v1/namespaces", data=body)
    assert resp.status_code == 201
    assert resp.json()["metadata"]["labels"] == {"kubernetes.io/metadata.name": "raw-ns"}


def test_limit_and_continue(kube: KubeCluster) -> None:
    for i in range(5):
        kube.core.create_namespaced_pod(
            "default",
            {
                "metadata": {"name": f"page-{i}"},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        )
    first = kube.core.list_namespaced_pod("default", limit=2)
    assert [p.metadata.name for p in first.items] == ["page-0", "page-1"]
    assert first.metadata.remaining_item_count == 3
    second = kube.core.list_namespaced_pod("default", limit=2, _continue=first.metadata._continue)
    assert [p.metadata.name for p in second.items] == ["page-2", "page-3"]
    third = kube.core.list_namespaced_pod("default", limit=2, _continue=second.metadata._continue)
    assert [p.metadata.name for p in third.items] == ["page-4"]
    assert third.metadata._continue is None
    kube.core.delete_collection_namespaced_pod("default", label_selector="")
    assert kube.core.list_namespaced_pod("default").items == []


def test_table_columns_for_pods(kube: KubeCluster) -> None:
    kube.core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "tabled"},
            # No node matches: the pod stays Pending (unscheduled), so the row cannot race the
            # kubelet's ErrImagePull.
            "spec": {
                "containers": [{"name": "c", "image": "nginx:1.27"}],
                "nodeSelector": {"podid.test/pool": "none"},
            },
        },
    )
    table = kube.raw("GET", "/api/v1/namespaces/default/pods", headers={"Accept": TABLE}).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    names = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert names == [
        ("Name", 0),
        ("Ready", 0),
        ("Status", 0),
        ("Restarts", 0),
        ("Age", 0),
        ("IP", 1),
        ("Node", 1),
        ("Nominated Node", 1),
        ("Readiness Gates", 1),
    ]
    row = table["rows"][0]
    assert row["cells"][:4] == ["tabled", "0/1", "Pending", "0"]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    kube.core.delete_namespaced_pod("tabled", "default")


def test_errors_are_status_objects(kube: KubeCluster) -> None:
    missing = kube.raw("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets/nope").json()
    assert (missing["reason"], missing["message"], missing["details"]) == (
        "NotFound",
        'daemonsets.apps "nope" not found',
        {"name": "nope", "group": "apps", "kind": "daemonsets"},
    )
    bad_ns = kube.raw("POST", "/api/v1/namespaces", json={"metadata": {"name": "Bad"}})
    assert bad_ns.status_code == 422
    assert bad_ns.json()["message"] == (
        'Namespace "Bad" is invalid: metadata.name: Invalid value: "Bad": a lowercase RFC 1123 '
        "label "
        "must consist of lower case alphanumeric characters or '-', and must start and end with an "
        "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    )
    no_ns = kube.raw(
        "POST",
        "/api/v1/namespaces/absent/pods",
        json={"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
    )
    assert (no_ns.status_code, no_ns.json()["message"]) == (404, 'namespaces "absent" not found')
    kube.core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "stale"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
        },
    )
    current = kube.raw("GET", "/api/v1/namespaces/default/pods/stale").json()
    current["metadata"]["resourceVersion"] = "1"
    conflict = kube.raw("PUT", "/api/v1/namespaces/default/pods/stale", json=current)
    assert conflict.status_code == 409
    assert conflict.json()["message"] == (
        'Operation cannot be fulfilled on pods "stale": the object has been modified; please apply '
        "your changes to the latest version and try again"
    )
    assert (
        kube.raw("POST", "/api/v1/namespaces/default/pods/stale").json()["reason"]
        == "MethodNotAllowed"
    )
    selector = kube.raw("GET", "/api/v1/pods?fieldSelector=spec.bogus=1").json()
    assert (selector["code"], selector["message"]) == (400, "field label not supported: spec.bogus")
    crd_patch = kube.raw(
        "PATCH",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x",
        data="{}",
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    assert crd_patch.json()["reason"] == "NotFound"
    kube.core.delete_namespaced_pod("stale", "default")


def test_state_survives_a_restart(tmp_path: Path) -> None:
    first = InProcessLab(tmp_path / "lab")
    try:
        kube = make_cluster(
            first.home, first.origin, str(first.home.ca_cert), tmp_path / "c", name="durable"
        )
        kube.core.create_namespaced_pod(
            "default",
            {
                "metadata": {"name": "kept"},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        )
        uid = kube.core.read_namespaced_pod("kept", "default").metadata.uid
    finally:
        first.stop()
    second = InProcessLab(tmp_path / "lab")
    try:
        kube = make_cluster(
            second.home, second.origin, str(second.home.ca_cert), tmp_path / "c2", name="durable"
        )
        assert kube.core.read_namespaced_pod("kept", "default").metadata.uid == uid
        # The watch cache starts afresh: resuming from before the restart is 410 Gone.
        resp = kube.raw("GET", "/api/v1/pods?watch=true&resourceVersion=1&timeoutSeconds=1")
        event = json.loads(resp.text.splitlines()[0])
        assert event["type"] == "ERROR"
        assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")
        assert event["object"]["message"].startswith("too old resource version: 1 (")
        listed = kube.core.list_namespaced_pod("default").metadata.resource_version
        resumed = kube.raw(
            "GET", f"/api/v1/pods?watch=true&resourceVersion={listed}&timeoutSeconds=1"
        )
        assert resumed.text == ""
    finally:
        second.stop()


# -- what the node side (part 4) drives: pod status and logs --------------------------------------


@pytest.fixture(scope="module")
def node_side(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[InProcessLab, KubeCluster]]:
    lab = InProcessLab(tmp_path_factory.mktemp("inproc"))
    kube = make_cluster(
        lab.home,
        lab.origin,
        str(lab.home.ca_cert),
        tmp_path_factory.mktemp("inproc-c"),
        name="aks-node",
    )
    yield lab, kube
    lab.stop()


def running(lab: InProcessLab, kube: KubeCluster, name: str) -> None:
    cluster = lab.lab.kube.of(kube.cluster_id)
    now = "2025-01-01T00:00:00Z"
    lab.call(
        lambda: cluster.update_status(
            PODS,
            "default",
            name,
            {
                "phase": "Running",
                "podIP": "10.224.0.40",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [
                    {
                        "name": "demo",
                        "ready": True,
                        "restartCount": 0,
                        "image": "demo",
                        "imageID": "",
                        "state": {"running": {"startedAt": now}},
                    }
                ],
            },
        )
    )


def test_logs_tail_timestamps_and_follow(node_side: tuple[InProcessLab, KubeCluster]) -> None:
    lab, kube = node_side
    core = kube.core
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "demo"},
            "spec": {"containers": [{"name": "demo", "image": "demo:v1.6.3"}]},
        },
    )
    waiting = kube.kubectl("logs", "demo")
    assert (
        waiting.stderr.strip()
        == 'Error from server (BadRequest): container "demo" in pod "demo" is waiting to start: '
        "ContainerCreating"
    )
    running(lab, kube, "demo")
    cluster = lab.lab.kube.of(kube.cluster_id)
    for i in range(3):
        lab.call(
            lambda i=i: cluster.append_log(
                "default", "demo", "demo", f"line {i}", at=1735689600.5 + i
            )
        )
    assert core.read_namespaced_pod_log("demo", "default") == "line 0\nline 1\nline 2\n"
    assert core.read_namespaced_pod_log("demo", "default", tail_lines=1) == "line 2\n"
    assert (
        core.read_namespaced_pod_log("demo", "default", tail_lines=1, timestamps=True)
        == "2025-01-01T00:00:02.500000000Z line 2\n"
    )
    rows = kube.kubectl("get", "pods").stdout.splitlines()
    assert rows[1].split()[:3] == ["demo", "1/1", "Running"]

    seen: list[str] = []

    def follow() -> None:
        for line in watch.Watch().stream(
            core.read_namespaced_pod_log, "demo", "default", follow=True
        ):
            seen.append(line)

    thread = threading.Thread(target=follow)
    thread.start()
    follower = kube.kubectl_popen("logs", "demo", "--follow")
    time.sleep(0.5)
    lab.call(lambda: cluster.append_log("default", "demo", "demo", "line 3"))
    time.sleep(0.3)
    # The container ends: followers get the rest of the log, then the stream closes.
    lab.call(
        lambda: cluster.update_status(
            PODS,
            "default",
            "demo",
            {
                "containerStatuses": [
                    {
                        "name": "demo",
                        "ready": False,
                        "restartCount": 0,
                        "image": "demo",
                        "imageID": "",
                        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                    }
                ]
            },
        )
    )
    thread.join(10)
    out, _ = follower.communicate(timeout=10)
    assert seen == ["line 0", "line 1", "line 2", "line 3"]
    assert out == "line 0\nline 1\nline 2\nline 3\n"


def test_running_pod_deletion_is_graceful(node_side: tuple[InProcessLab, KubeCluster]) -> None:
    lab, kube = node_side
    kube.core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "graceful"},
            "spec": {"containers": [{"name": "demo", "image": "demo:v1.6.3"}]},
        },
    )
    running(lab, kube, "graceful")
    removed: list[str] = []
    lab.lab.kube.pod_removed_hooks.append(lambda key, pod: removed.append(pod["metadata"]["name"]))
    answer = kube.core.delete_namespaced_pod("graceful", "default")
    assert answer.metadata.deletion_grace_period_seconds == 30
    rows = kube.kubectl("get", "pods", "graceful").stdout.splitlines()
    assert rows[1].split()[2] == "Terminating"
    assert kube.kubectl("delete", "pod", "graceful", "--ignore-not-found").returncode == 0
    assert kube.kubectl("get", "pod", "graceful").returncode == 1
    assert removed == ["graceful"]

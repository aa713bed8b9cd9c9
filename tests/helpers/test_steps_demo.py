"""06-deploy-demo: the manifest, order, the pod, its log, and the checks."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import podid_helpers as ph

from .flow import run_through, wait_for_azure_identity

KLOG = (
    "I0102 15:04:05.123456       1 main.go:95] successfully acquired a token using the MSI, "
    "msiEndpoint(http://169.254.169.254/metadata/identity/oauth2/token)"
)


def test_manifest_is_the_articles_pod() -> None:
    text = ph.demo_pod_yaml(
        namespace="demo",
        selector="podid-demo",
        subscription_id="sub",
        client_id="client",
        resource_group="MC_rg_aks_japaneast",
    )
    pod = yaml.safe_load(text)
    assert pod["metadata"] == {
        "name": "demo",
        "namespace": "demo",
        "labels": {"aadpodidbinding": "podid-demo"},
    }
    container = pod["spec"]["containers"][0]
    assert container["image"] == "mcr.microsoft.com/oss/azure/aad-pod-identity/demo:v1.6.3"
    assert container["args"] == [
        "--subscriptionid=sub",
        "--clientid=client",
        "--resourcegroup=MC_rg_aks_japaneast",
    ]
    env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in container["env"]}
    assert env == {
        "MY_POD_NAME": "metadata.name",
        "MY_POD_NAMESPACE": "metadata.namespace",
        "MY_POD_IP": "status.podIP",
    }
    assert (
        ph.demo_pod_manifest(
            namespace="demo",
            selector="podid-demo",
            subscription_id="sub",
            client_id="client",
            resource_group="MC_rg_aks_japaneast",
        )
        == pod
    )


def test_log_lines_lose_their_timestamps_only() -> None:
    assert ph.log_line_text(KLOG + "\n") == "I main.go:95] " + KLOG.split("main.go:95] ")[1]
    assert ph.log_line_text("plain line") == "plain line"


def test_demo_log_text_marks_success_or_failure() -> None:
    ok = ph.DemoLog(
        step="follow_demo_logs",
        changed=False,
        summary="pod 'demo' got tokens",
        details=("I main.go:95] x",),
        lines=(KLOG,),
        succeeded=True,
    )
    assert ok.text() == "✓ pod 'demo' got tokens\n  I main.go:95] x"
    bad = ph.DemoLog(
        step="follow_demo_logs", changed=False, summary="no", lines=(), succeeded=False
    )
    assert bad.text() == "✗ no"


def test_manifest_for_a_session_points_at_the_node_resource_group(session: Any) -> None:
    run_through(session, ph.create_identity)
    pod = yaml.safe_load(ph.demo_manifest(session))
    args = pod["spec"]["containers"][0]["args"]
    assert f"--resourcegroup={session.settings.node_resource_group}" in args
    assert f"--subscriptionid={session.subscription_id}" in args
    assert pod["metadata"]["labels"] == {"aadpodidbinding": session.settings.pod_identity_name}


def test_deploy_before_the_pod_identity_is_a_step_order_error(session: Any) -> None:
    run_through(session, ph.assign_vm_contributor)
    s = session.settings
    with pytest.raises(ph.StepOrderError) as caught:
        ph.deploy_demo(session)
    assert str(caught.value) == (
        f"run 05-pod-identity first: pod identity '{s.pod_identity_name}' not found in "
        f"namespace '{s.namespace}' on cluster '{s.cluster_name}'"
    )


def test_logs_before_the_pod_is_a_step_order_error(session: Any) -> None:
    run_through(session, ph.get_credentials)
    with pytest.raises(ph.StepOrderError, match=r"^run 06-deploy-demo first: pod 'demo' not found"):
        ph.follow_demo_logs(session, timeout=1)
    report = ph.check_demo_running(session)
    assert not report.passed and "deploy_demo(session)" in report.text()


def test_demo_runs_logs_success_and_reruns_quietly(session: Any) -> None:
    run_through(session, ph.add_pod_identity)
    wait_for_azure_identity(session)
    first = ph.deploy_demo(session)
    assert first.changed and "status: Running" in first.text()
    second = ph.deploy_demo(session)
    assert second.already_done
    ph.check_demo_running(session).raise_if_failed()
    log = ph.follow_demo_logs(session, timeout=60)
    assert log.succeeded, log.text()
    assert all(":" not in line.split("]")[0][:6] for line in log.details)  # no times shown
    ph.check_demo_logs(session, log.lines).raise_if_failed()
    ph.check_demo_logs(session).raise_if_failed()
    assert "deleted pod 'demo'" in ph.clean_up(session).text()
    ph.check_cleaned_up(session).raise_if_failed()

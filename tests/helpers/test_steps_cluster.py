"""02-create-cluster and 03-enable-pod-identity: order, idempotence, kubeconfig, checks."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

import podid_helpers as ph


def test_cluster_before_its_resource_group_is_a_step_order_error(session: Any) -> None:
    with pytest.raises(ph.StepOrderError) as caught:
        ph.create_cluster(session)
    s = session.settings
    assert str(caught.value) == (
        f"run create_resource_group() in 02-create-cluster first: "
        f"resource group '{s.resource_group}' not found"
    )


@pytest.mark.parametrize("step", [ph.get_credentials, ph.enable_pod_identity])
def test_steps_that_need_the_cluster_name_02(session: Any, step: Any) -> None:
    s = session.settings
    with pytest.raises(ph.StepOrderError) as caught:
        step(session)
    assert str(caught.value) == (
        f"run 02-create-cluster first: cluster '{s.cluster_name}' not found in resource group "
        f"'{s.resource_group}'"
    )


def test_checks_fail_with_hints_before_the_cluster(session: Any) -> None:
    report = ph.check_cluster_ready(session)
    assert not report.passed
    assert "create_cluster(session)" in report.text()
    kube = ph.check_kubeconfig(session)
    assert not kube.passed and "get_credentials(session)" in kube.text()
    nodes = ph.check_nodes_ready(session)
    assert not nodes.passed and "02-create-cluster" in nodes.text()


def test_create_cluster_and_rerun(session: Any) -> None:
    s = session.settings
    assert ph.create_resource_group(session).changed
    assert ph.create_resource_group(session).already_done
    created = ph.create_cluster(session)
    assert created.changed
    assert "network plugin: azure" in created.text()
    assert "identity: SystemAssigned" in created.text()
    assert "node pool nodepool1: 1 × Standard_DS2_v2 (VirtualMachineScaleSets)" in created.text()
    before = session.containerservice.managed_clusters.get(s.resource_group, s.cluster_name)
    again = ph.create_cluster(session)
    assert again.already_done
    after = session.containerservice.managed_clusters.get(s.resource_group, s.cluster_name)
    assert after.as_dict() == before.as_dict()
    assert after.tags == ph.TAGS
    ph.check_cluster_ready(session).raise_if_failed()


def test_kubeconfig_is_private_separate_and_reachable(session: Any, home: Path) -> None:
    ph.create_resource_group(session)
    ph.create_cluster(session)
    result = ph.get_credentials(session)
    assert result.changed
    assert result.path == home / ".podid" / "kube" / f"{session.settings.cluster_name}.yaml"
    assert stat.S_IMODE(os.stat(result.path).st_mode) == 0o600
    assert result.export == f"export KUBECONFIG=~/.podid/kube/{session.settings.cluster_name}.yaml"
    assert result.export in result.text()
    assert not (home / ".kube").exists()
    assert yaml.safe_load(result.path.read_text())["kind"] == "Config"
    again = ph.get_credentials(session)
    assert again.already_done
    ph.check_kubeconfig(session).raise_if_failed()
    ph.check_nodes_ready(session).raise_if_failed()


def test_a_loosened_kubeconfig_fails_its_check_and_is_rewritten(session: Any) -> None:
    ph.create_resource_group(session)
    ph.create_cluster(session)
    path = ph.get_credentials(session).path
    path.chmod(0o644)
    assert "chmod 600" in ph.check_kubeconfig(session).text()
    assert ph.get_credentials(session).changed
    assert ph.check_kubeconfig(session).passed


def test_enable_pod_identity_and_rerun(session: Any) -> None:
    ph.register_pod_identity_feature(session)
    ph.create_resource_group(session)
    ph.create_cluster(session)
    assert not ph.check_pod_identity_enabled(session).passed
    first = ph.enable_pod_identity(session)
    assert first.changed and "podIdentityProfile.enabled: True" in first.text()
    second = ph.enable_pod_identity(session)
    assert second.already_done
    ph.check_pod_identity_enabled(session).raise_if_failed()
    ph.check_cluster_ready(session).raise_if_failed()


def test_nmi_check_names_what_is_missing_before_the_add_on(session: Any) -> None:
    ph.create_resource_group(session)
    ph.create_cluster(session)
    ph.get_credentials(session)
    report = ph.check_nmi_ready(session)
    assert not report.passed
    assert "DaemonSet nmi in kube-system" in report.text()

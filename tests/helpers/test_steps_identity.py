"""04-identity-and-role and 05-pod-identity: order, idempotence, az's grant, checks."""

from __future__ import annotations

import time
from typing import Any

import pytest

import podid_helpers as ph

from .flow import run_through, wait_for_azure_identity


def _assignments(session: Any, scope: str, principal: str) -> list[Any]:
    return list(
        session.authorization.role_assignments.list_for_scope(
            scope, filter=f"atScope() and assignedTo('{principal}')"
        )
    )


def test_identity_needs_the_resource_group(session: Any) -> None:
    with pytest.raises(ph.StepOrderError, match=r"^run 02-create-cluster first: resource group"):
        ph.create_identity(session)
    assert "create_identity(session)" in ph.check_identity(session).text()


def test_vm_contributor_needs_cluster_then_identity(session: Any) -> None:
    with pytest.raises(ph.StepOrderError, match=r"^run 02-create-cluster first: cluster"):
        ph.assign_vm_contributor(session)
    run_through(session, ph.create_cluster)
    s = session.settings
    with pytest.raises(ph.StepOrderError) as caught:
        ph.assign_vm_contributor(session)
    assert str(caught.value) == (
        f"run 04-identity-and-role first: managed identity '{s.identity_name}' not found in "
        f"resource group '{s.resource_group}'"
    )


def test_pod_identity_before_enabling_the_add_on_says_what_az_says(session: Any) -> None:
    run_through(session, ph.create_cluster)
    with pytest.raises(ph.StepOrderError) as caught:
        ph.add_pod_identity(session)
    assert str(caught.value).startswith(
        "run 03-enable-pod-identity first: The pod identity addon is not enabled"
    )


def test_create_identity_and_rerun(session: Any) -> None:
    ph.create_resource_group(session)
    first = ph.create_identity(session)
    assert first.changed
    identity = session.msi.user_assigned_identities.get(
        session.settings.resource_group, session.settings.identity_name
    )
    assert f"clientId: {identity.client_id}" in first.text()
    assert identity.tags == ph.TAGS
    second = ph.create_identity(session)
    assert second.already_done
    assert second.details == first.details
    ph.check_identity(session).raise_if_failed()


def test_vm_contributor_on_the_node_resource_group_once(session: Any) -> None:
    run_through(session, ph.create_identity)
    identity = session.msi.user_assigned_identities.get(
        session.settings.resource_group, session.settings.identity_name
    )
    scope = (
        f"/subscriptions/{session.subscription_id}/resourceGroups/"
        f"{session.settings.node_resource_group}"
    )
    assert not ph.check_role_assignment(session).passed
    first = ph.assign_vm_contributor(session)
    assert first.changed and f"scope: {scope}" in first.text()
    second = ph.assign_vm_contributor(session)
    assert second.already_done
    found = _assignments(session, scope, identity.principal_id)
    assert len(found) == 1
    assert found[0].role_definition_id.endswith("9980e02c-c2be-4d73-94e8-173b1dc7cf3c")
    ph.check_role_assignment(session).raise_if_failed()


def test_add_pod_identity_grants_the_cluster_identity_then_adds_the_entry(session: Any) -> None:
    s = session.settings
    run_through(session, ph.assign_vm_contributor)
    cluster = session.containerservice.managed_clusters.get(s.resource_group, s.cluster_name)
    identity = session.msi.user_assigned_identities.get(s.resource_group, s.identity_name)
    started = time.monotonic()
    first = ph.add_pod_identity(session, propagation_wait=0.2)
    assert time.monotonic() - started >= 0.2  # the propagation wait is honoured
    assert first.changed
    assert "assigned Managed Identity Operator to the cluster identity" in first.text()
    # The control-plane identity, not the kubelet identity, gets the grant (as az does).
    control_plane = cluster.identity.principal_id
    kubelet = cluster.identity_profile["kubeletidentity"].object_id
    grants = _assignments(session, identity.id, control_plane)
    assert [g.role_definition_id.rsplit("/", 1)[-1] for g in grants] == [
        "f1a07417-d97a-45cb-824c-7a7467783830"
    ]
    assert _assignments(session, identity.id, kubelet) == []
    updated = session.containerservice.managed_clusters.get(s.resource_group, s.cluster_name)
    entries = updated.pod_identity_profile.user_assigned_identities
    assert [(e.name, e.namespace) for e in entries] == [(s.pod_identity_name, s.namespace)]
    assert entries[0].identity.client_id == identity.client_id
    assert entries[0].identity.resource_id.lower() == identity.id.lower()
    started = time.monotonic()
    second = ph.add_pod_identity(session, propagation_wait=5.0)
    assert time.monotonic() - started < 5.0  # no grant made, so no wait
    assert second.already_done
    assert len(_assignments(session, identity.id, control_plane)) == 1
    operator = ph.check_pod_identity(session).results[0]
    assert operator.passed, operator.text()


def test_pod_identity_objects_and_state_come_from_the_add_on(session: Any) -> None:
    run_through(session, ph.add_pod_identity)
    wait_for_azure_identity(session)
    ph.check_pod_identity(session).raise_if_failed()
    ph.check_nmi_ready(session).raise_if_failed()


def test_pod_identity_check_explains_each_missing_part(session: Any) -> None:
    run_through(session, ph.assign_vm_contributor)
    report = ph.check_pod_identity(session)
    assert not report.passed
    assert len(report.failures) == 4
    assert "add_pod_identity(session)" in report.text()

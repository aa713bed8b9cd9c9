"""07-cleanup: everything goes, a re-run finds nothing, and the check agrees."""

from __future__ import annotations

from typing import Any

import podid_helpers as ph

from .flow import run_through


def test_cleanup_of_nothing_is_already_done(session: Any) -> None:
    result = ph.clean_up(session)
    assert result.already_done
    assert result.text() == "✓ already done: nothing left to remove"
    ph.check_cleaned_up(session).raise_if_failed()


def test_cleanup_removes_everything_the_tutorial_made(session: Any) -> None:
    s = session.settings
    run_through(session, ph.add_pod_identity)
    cluster = session.containerservice.managed_clusters.get(s.resource_group, s.cluster_name)
    identity = session.msi.user_assigned_identities.get(s.resource_group, s.identity_name)
    report = ph.check_cleaned_up(session)
    assert not report.passed and "clean_up(session)" in report.text()
    result = ph.clean_up(session)
    assert result.changed
    text = result.text()
    for expected in (
        f"removed pod identity '{s.pod_identity_name}'",
        "removed Managed Identity Operator of the cluster identity",
        "removed Virtual Machine Contributor on the node resource group",
        f"deleted managed identity '{s.identity_name}'",
        f"deleted cluster '{s.cluster_name}'",
        f"deleted resource group '{s.resource_group}'",
        f"deleted kubeconfig ~/.podid/kube/{s.cluster_name}.yaml",
    ):
        assert expected in text
    ph.check_cleaned_up(session).raise_if_failed()
    # No role assignment is left behind for either principal anywhere in the subscription.
    subscription = f"/subscriptions/{session.subscription_id}"
    for principal in (cluster.identity.principal_id, identity.principal_id):
        left = session.authorization.role_assignments.list_for_scope(
            subscription, filter=f"assignedTo('{principal}')"
        )
        assert list(left) == []
    again = ph.clean_up(session)
    assert again.already_done

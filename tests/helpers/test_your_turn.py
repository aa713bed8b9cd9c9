"""The "Your turn" exercises of 01-07: any right answer passes; a wrong one gets its concept hint.

One lab and one learner for the module, caught up to 06 once, answered through the real SDK
and Kubernetes clients as a learner's cell would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import podid_helpers as ph
from podid_helpers.your_turn import UNANSWERED

from .flow import caught_up_learner

pytestmark = pytest.mark.slow

Check = Callable[[Any, object], ph.CheckReport]


@pytest.fixture(scope="module")
def prepared(lab_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A session whose learner has run notebooks 01-06."""
    home = tmp_path_factory.mktemp("learner")
    with caught_up_learner(lab_root, home, "yt", "07-cleanup") as session:
        yield session


@pytest.fixture
def session(prepared: Any, lab_root: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PODID_LAB_HOME", str(lab_root))
    return prepared


def node_group(session: Any) -> str:
    s = session.settings
    return str(
        session.containerservice.managed_clusters.get(
            s.resource_group, s.cluster_name
        ).node_resource_group
    )


def assert_passes(report: ph.CheckReport) -> None:
    assert report.passed, report.text()
    assert report.raise_if_failed() is report


def assert_hint(report: ph.CheckReport, hint: str, answer_not_shown: str = "") -> None:
    assert not report.passed
    with pytest.raises(ph.CheckFailedError, match="hint: "):
        report.raise_if_failed()
    assert hint in report.results[0].hint, report.text()
    if answer_not_shown:  # a failed check describes what is wanted, never shows it
        assert answer_not_shown.lower() not in report.text().lower(), report.text()


CHECKS: list[Check] = [
    ph.check_provider_answer,
    ph.check_node_group_answer,
    ph.check_nmi_pods_answer,
    ph.check_scope_answer,
    ph.check_namespace_answer,
    ph.check_label_answer,
    ph.check_grants_answer,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "answer", [..., None, "", "  "], ids=["ellipsis", "none", "empty", "blank"]
)
def test_an_unanswered_exercise_stops_with_where_to_write(
    session: Any, check: Check, answer: object
) -> None:
    report = check(session, answer)
    assert_hint(report, UNANSWERED)
    assert "(not answered)" in report.text()


def test_01_provider(session: Any) -> None:
    providers = session.resources.providers
    assert_passes(ph.check_provider_answer(session, providers.get("Microsoft.ContainerService")))
    assert_passes(ph.check_provider_answer(session, providers.get("microsoft.containerservice")))
    assert_hint(
        ph.check_provider_answer(session, providers.get("Microsoft.ManagedIdentity")),
        "belongs to one resource provider",
    )
    assert_hint(ph.check_provider_answer(session, "Registered"), "provider object")


def test_02_node_group(session: Any) -> None:
    right = node_group(session)
    assert_passes(ph.check_node_group_answer(session, right))
    assert_passes(ph.check_node_group_answer(session, right.lower() + " "))
    assert_hint(
        ph.check_node_group_answer(session, session.settings.resource_group),
        "second group for the nodes",
        answer_not_shown=right,
    )
    assert_hint(ph.check_node_group_answer(session, "MC_nope"), "cluster's properties")


def test_03_nmi_pods(session: Any) -> None:
    listed = session.core_v1.list_namespaced_pod("kube-system", label_selector="component=nmi")
    names = [p.metadata.name for p in listed.items]
    assert names, "the add-on runs NMI"
    assert_passes(ph.check_nmi_pods_answer(session, listed))
    assert_passes(ph.check_nmi_pods_answer(session, list(reversed(names))))
    assert_passes(ph.check_nmi_pods_answer(session, listed.items))
    in_mine = session.core_v1.list_namespaced_pod(session.settings.namespace)
    assert_hint(ph.check_nmi_pods_answer(session, in_mine), "DaemonSet's namespace")
    assert_hint(ph.check_nmi_pods_answer(session, [*names, "nmi-extra"]), "one pod on every node")
    assert_hint(ph.check_nmi_pods_answer(session, "nmi"), "list of pod names")


def test_04_scope(session: Any) -> None:
    sub = session.subscription_id
    right = f"/subscriptions/{sub}/resourceGroups/{node_group(session)}"
    assert_passes(ph.check_scope_answer(session, right))
    assert_passes(ph.check_scope_answer(session, right.upper() + "/"))
    mine = f"/subscriptions/{sub}/resourceGroups/{session.settings.resource_group}"
    assert_hint(ph.check_scope_answer(session, mine), "grants nothing in another", right)
    assert_hint(ph.check_scope_answer(session, f"/subscriptions/{sub}"), "least privilege")
    assert_hint(ph.check_scope_answer(session, node_group(session)), "a scope is a resource ID")


def test_05_namespace(session: Any) -> None:
    s = session.settings
    assert_passes(ph.check_namespace_answer(session, s.namespace))
    assert_hint(ph.check_namespace_answer(session, "default"), "pod's own namespace", s.namespace)
    assert_hint(ph.check_namespace_answer(session, "kube-system"), "podIdentityProfile")


def test_06_label(session: Any) -> None:
    s = session.settings
    assert_passes(ph.check_label_answer(session, s.pod_identity_name))
    assert_hint(
        ph.check_label_answer(session, s.identity_name),
        "names the managed identity",
        s.pod_identity_name,
    )
    # Label values are case-sensitive: NMI would not match this pod either.
    assert_hint(ph.check_label_answer(session, s.pod_identity_name.upper()), "selector equals")


def test_07_grants(session: Any) -> None:
    s = session.settings
    cluster = session.containerservice.managed_clusters.get(s.resource_group, s.cluster_name)
    identity = session.msi.user_assigned_identities.get(s.resource_group, s.identity_name)
    ours = {cluster.identity.principal_id, identity.principal_id}
    listed = session.authorization.role_assignments.list_for_subscription()
    grants = [a for a in listed if a.principal_id in ours]
    assert len(grants) == 2, [a.id for a in grants]
    assert_passes(ph.check_grants_answer(session, grants))
    assert_passes(ph.check_grants_answer(session, [a.id.upper() for a in grants]))
    assert_passes(ph.check_grants_answer(session, [*(a.name for a in grants), "something-else"]))
    for_mine = [a for a in grants if a.principal_id == identity.principal_id]
    assert_hint(ph.check_grants_answer(session, for_mine), "made it for the cluster's identity")
    for_cluster = [a for a in grants if a.principal_id != identity.principal_id]
    assert_hint(ph.check_grants_answer(session, for_cluster), "read the VMs (04)")
    assert_hint(ph.check_grants_answer(session, []), "both principals")
    assert_hint(ph.check_grants_answer(session, grants[0].name), "a list of role assignments")


def test_a_missing_cluster_becomes_a_hint_not_a_crash(session: Any) -> None:
    lonely = ph.connect(dataclasses.replace(session.settings, cluster_name="aks-none"))
    assert_hint(ph.check_node_group_answer(lonely, "MC_x"), "run this notebook's cells in order")

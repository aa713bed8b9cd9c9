"""09-workload-identity: each step on a real lab, in order and out of it, re-run, cleaned up."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import pytest
import yaml

import podid_helpers as ph

_vaults = itertools.count(1)


@pytest.fixture
def settings(settings: Any) -> Any:
    """The shared fixture's names, with a vault name of this test's own (they are global)."""
    chosen = replace(settings, key_vault_name=f"kv-wi-{next(_vaults)}")
    ph.save_settings(chosen)
    return chosen


@pytest.fixture
def migrated(session: Any) -> Any:
    """A session whose lab has gone through 06 and every migration step but the last."""
    ph.catch_up(session, "09-workload-identity")
    for step in MIGRATION:
        step(session)
    return session


MIGRATION = (
    ph.enable_workload_identity,
    ph.create_key_vault,
    ph.store_secret,
    ph.grant_secret_reader,
    ph.create_federated_credential,
    ph.create_service_account,
    ph.deploy_workload_identity_demo,
)


def _order_error(step: Any, session: Any) -> str:
    with pytest.raises(ph.StepOrderError) as caught:
        step(session)
    return str(caught.value)


def test_each_step_names_what_must_come_first(session: Any) -> None:
    s = session.settings
    assert _order_error(ph.enable_workload_identity, session).startswith(
        "run 02-create-cluster first: cluster"
    )
    assert _order_error(ph.create_key_vault, session).startswith(
        "run 02-create-cluster first: resource group"
    )
    ph.create_resource_group(session)
    for step in (ph.store_secret, ph.grant_secret_reader):
        assert _order_error(step, session) == (
            "run 09-workload-identity (create_key_vault) first: key vault "
            f"'{s.key_vault_name}' not found in resource group '{s.resource_group}'"
        )
    ph.catch_up(session, "09-workload-identity")
    for step in (
        ph.create_federated_credential,
        ph.create_service_account,
        ph.deploy_workload_identity_demo,
        ph.remove_pod_identity,
    ):
        assert _order_error(step, session).startswith(
            "run 09-workload-identity (enable_workload_identity) first: the OIDC issuer"
        )
    ph.enable_workload_identity(session)
    ph.create_key_vault(session)
    assert _order_error(ph.deploy_workload_identity_demo, session).startswith(
        "run 09-workload-identity (create_service_account) first"
    )
    assert "deploy_workload_identity_demo" in _order_error(
        ph.follow_workload_identity_logs, session
    )
    assert "migrate before removing" in _order_error(ph.remove_pod_identity, session)


def test_checks_fail_with_a_hint_before_the_steps(session: Any) -> None:
    ph.catch_up(session, "09-workload-identity")
    reports = {
        "enable_workload_identity": ph.check_workload_identity_enabled(session),
        "create_key_vault": ph.check_key_vault(session),
        "store_secret": ph.check_secret_stored(session),
        "grant_secret_reader": ph.check_secret_reader(session),
        "create_federated_credential": ph.check_federated_credential(session),
        "create_service_account": ph.check_service_account(session),
        "deploy_workload_identity_demo": ph.check_workload_identity_demo(session),
        "remove_pod_identity": ph.check_pod_identity_removed(session),
    }
    for step, report in reports.items():
        assert not report.passed, step
        assert f"{step}(session)" in report.text(), step
    with pytest.raises(ph.CheckFailedError):
        ph.check_side_by_side(session).raise_if_failed()


def test_the_migration_end_to_end_and_again(migrated: Any) -> None:
    session = migrated
    s = session.settings
    for check in (
        ph.check_workload_identity_enabled,
        ph.check_key_vault,
        ph.check_secret_stored,
        ph.check_secret_reader,
        ph.check_federated_credential,
        ph.check_service_account,
        ph.check_workload_identity_demo,
        ph.check_side_by_side,
    ):
        check(session).raise_if_failed()
    log = ph.follow_workload_identity_logs(session)
    assert log.succeeded
    assert 'I main.go:63] "successfully got secret" secret="Hello!"' in log.text()
    ph.check_workload_identity_logs(session, log.lines).raise_if_failed()
    ph.check_workload_identity_logs(session).raise_if_failed()
    again = [step(session) for step in MIGRATION]
    assert [r.changed for r in again] == [False] * len(MIGRATION)
    assert all(r.text().startswith("✓ already done: ") for r in again)
    # Nothing of the lab's address is shown: the issuer's port is masked, the vault not named.
    shown = "\n".join(r.text() for r in again) + ph.check_federated_credential(session).text()
    assert "<port>" in shown and ":4" not in shown.replace("127.0.0.1:<port>", "")
    cluster = session.containerservice.managed_clusters.get(s.resource_group, s.cluster_name)
    fic = session.msi.federated_identity_credentials.get(
        s.resource_group, s.identity_name, s.federated_credential_name
    )
    assert (fic.issuer, fic.subject, fic.audiences) == (
        cluster.oidc_issuer_profile.issuer_url,
        f"system:serviceaccount:{s.namespace}:{s.service_account_name}",
        ["api://AzureADTokenExchange"],
    )


def test_the_manifest_is_the_quick_starts_pod(session: Any) -> None:
    s = session.settings
    pod = yaml.safe_load(ph.workload_identity_manifest(session))
    assert pod["metadata"] == {
        "name": "sample-workload-identity-key-vault",
        "namespace": s.namespace,
        "labels": {"azure.workload.identity/use": "true"},
    }
    assert pod["spec"]["serviceAccountName"] == s.service_account_name
    container = pod["spec"]["containers"][0]
    assert container["image"] == ph.MSAL_GO_IMAGE
    assert container["env"] == [
        {"name": "KEYVAULT_URL", "value": "${KEYVAULT_URL}"},
        {"name": "SECRET_NAME", "value": s.secret_name},
    ]


def test_drift_is_put_back(migrated: Any) -> None:
    session = migrated
    s = session.settings
    session.core_v1.patch_namespaced_service_account(
        s.service_account_name,
        s.namespace,
        {"metadata": {"annotations": {"azure.workload.identity/client-id": "wrong"}}},
    )
    assert not ph.check_service_account(session).passed
    assert ph.create_service_account(session).summary.endswith("annotated")
    session.msi.federated_identity_credentials.create_or_update(
        s.resource_group,
        s.identity_name,
        s.federated_credential_name,
        {
            "properties": {
                "issuer": "https://oidc.example.com/other/",
                "subject": "system:serviceaccount:x:y",
                "audiences": ["api://AzureADTokenExchange"],
            }
        },
    )
    failed = ph.check_federated_credential(session)
    assert [r.name for r in failed.failures] == [
        "issuer is the cluster's OIDC issuer URL",
        "subject",
    ]
    assert ph.create_federated_credential(session).summary.endswith("updated")
    ph.check_federated_credential(session).raise_if_failed()


def test_remove_pod_identity_keeps_workload_id_working(migrated: Any) -> None:
    session = migrated
    result = ph.remove_pod_identity(session)
    assert result.changed and len(result.details) == 3
    ph.check_pod_identity_removed(session).raise_if_failed()
    again = ph.remove_pod_identity(session)
    assert again.already_done and again.summary.startswith("no pod identity left")
    # The pod still reads the secret with pod identity gone: replace it and read its first line.
    session.core_v1.delete_namespaced_pod(ph.WORKLOAD_IDENTITY_POD, session.settings.namespace)
    ph.deploy_workload_identity_demo(session)
    assert ph.follow_workload_identity_logs(session).succeeded


def test_path_a_runs_the_unchanged_demo_behind_the_sidecar(migrated: Any) -> None:
    session = migrated
    s = session.settings
    assert _order_error(ph.deploy_sidecar_demo, session).startswith(
        "run 09-workload-identity (remove_pod_identity) first"
    )
    wanted = yaml.safe_load(ph.sidecar_demo_manifest(session))
    annotations = wanted["metadata"]["annotations"]
    assert annotations["azure.workload.identity/inject-proxy-sidecar"] == "true"
    assert wanted["metadata"]["labels"] == {"azure.workload.identity/use": "true"}
    assert wanted["spec"]["serviceAccountName"] == s.service_account_name
    # Image and arguments are 06's: only the opt-ins differ.
    old = yaml.safe_load(ph.demo_manifest(session))
    assert wanted["spec"]["containers"] == old["spec"]["containers"]
    ph.remove_pod_identity(session)
    result = ph.deploy_sidecar_demo(session)
    assert result.changed and result.details == (
        "status: Running",
        "containers: azwi-proxy, demo",
        "init containers: azwi-proxy-init",
    )
    assert ph.deploy_sidecar_demo(session).already_done
    log = ph.follow_sidecar_demo_logs(session)
    assert log.succeeded, log.text()
    ph.check_sidecar_demo(session, log.lines).raise_if_failed()
    ph.check_sidecar_demo(session).raise_if_failed()  # read from the cluster this time
    cleaned = ph.clean_up_workload_identity(session)
    assert "deleted pod 'demo-sidecar'" in cleaned.details
    ph.check_workload_identity_cleaned_up(session).raise_if_failed()


def test_clean_up_removes_what_09_made_and_a_rerun_recovers(migrated: Any) -> None:
    session = migrated
    s = session.settings
    result = ph.clean_up_workload_identity(session)
    assert result.details == (
        "deleted pod 'sample-workload-identity-key-vault'",
        f"deleted service account '{s.service_account_name}'",
        f"deleted federated credential '{s.federated_credential_name}'",
        "removed 2 Key Vault role assignment(s)",
        f"deleted key vault '{s.key_vault_name}'",
        f"purged key vault '{s.key_vault_name}'",
        "disabled workload identity (az aks update --disable-workload-identity)",
    )
    ph.check_workload_identity_cleaned_up(session).raise_if_failed()
    assert ph.clean_up_workload_identity(session).summary == "nothing left to remove"
    # The pod identity and its identity are not 09's: they stay for 07-cleanup.
    ph.check_pod_identity(session).raise_if_failed()
    for step in MIGRATION:
        assert step(session).changed, step.__name__
    ph.check_workload_identity_demo(session).raise_if_failed()


def test_a_soft_deleted_vault_is_recovered_with_its_secret(session: Any) -> None:
    s = session.settings
    ph.create_resource_group(session)
    ph.create_key_vault(session)
    ph.store_secret(session)
    session.keyvault.vaults.delete(s.resource_group, s.key_vault_name)
    assert not ph.check_key_vault(session).passed
    result = ph.create_key_vault(session)
    assert result.summary.startswith("recovered soft-deleted key vault")
    assert ph.store_secret(session).already_done
    ph.check_secret_stored(session).raise_if_failed()


def test_a_vault_name_taken_elsewhere_says_to_choose_another(session: Any) -> None:
    s = session.settings
    ph.create_resource_group(session)
    ph.create_key_vault(session)
    other = replace(s, resource_group=f"{s.resource_group}-other")
    ph.save_settings(other)
    elsewhere = ph.connect(other)
    ph.create_resource_group(elsewhere)
    with pytest.raises(ph.PodidError, match="is taken: vault names are unique across all of Azure"):
        ph.create_key_vault(elsewhere)


def test_migration_map_and_costs_use_the_learners_names(session: Any) -> None:
    s = session.settings
    table = ph.migration_map(session)
    assert f"AzureIdentityBinding {s.pod_identity_name}-binding" in table.text()
    assert f"subject system:serviceaccount:{s.namespace}:{s.service_account_name}" in table.text()
    assert table._repr_html_().startswith("<table><tr><th")
    assert ph.workload_identity_costs(session) == "lab mode: nothing in this notebook costs money"

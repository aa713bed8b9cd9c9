"""01-prepare-subscription against a lab of its own: the feature starts NotRegistered."""

from __future__ import annotations

from typing import Any

import pytest

import podid_helpers as ph


def test_enabling_pod_identity_before_the_feature_is_explained(session: Any) -> None:
    ph.create_resource_group(session)
    ph.create_cluster(session)
    with pytest.raises(ph.AzureOperationError) as caught:
        ph.enable_pod_identity(session)
    assert caught.value.code == "PodIdentityAddonFeatureFlagNotEnabled"
    assert "Run 01-prepare-subscription" in str(caught.value)
    assert not ph.check_pod_identity_enabled(session).passed


def test_feature_check_fails_first_with_a_hint(session: Any) -> None:
    report = ph.check_feature_registered(session)
    assert not report.passed
    assert "register_pod_identity_feature(session)" in report.text()
    with pytest.raises(ph.CheckFailedError) as caught:
        report.raise_if_failed()
    rendered = caught.value._render_traceback_()
    assert rendered[0].startswith("CheckFailedError: 01 prepare subscription: 1 of 2")
    assert not any("Traceback" in line for line in rendered)


def test_register_then_rerun_says_already_done(session: Any) -> None:
    first = ph.register_pod_identity_feature(session)
    assert first.changed
    assert first.text().startswith("✓ feature Microsoft.ContainerService/EnablePodIdentityPreview")
    second = ph.register_pod_identity_feature(session)
    assert second.already_done
    assert second.text().startswith("✓ already done: feature")
    assert ph.check_feature_registered(session).raise_if_failed().passed


def test_after_the_feature_pod_identity_can_be_enabled(session: Any) -> None:
    ph.register_pod_identity_feature(session)
    ph.create_resource_group(session)
    ph.create_cluster(session)
    assert ph.enable_pod_identity(session).changed
    assert ph.check_pod_identity_enabled(session).passed

"""Run the tutorial's steps up to a point, and wait for what the add-on makes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import podid_helpers as ph

ORDER = (
    ph.register_pod_identity_feature,
    ph.create_resource_group,
    ph.create_cluster,
    ph.get_credentials,
    ph.enable_pod_identity,
    ph.create_identity,
    ph.assign_vm_contributor,
    ph.add_pod_identity,
)


def run_through(session: Any, last: Any) -> None:
    """Run every step in tutorial order up to and including ``last``."""
    for step in ORDER:
        step(session)
        if step is last:
            return
    raise AssertionError(f"{last} is not a step in ORDER")


def wait_for_azure_identity(session: Any, seconds: float = 5.0) -> None:
    """Wait until the add-on has made the AzureIdentity for the (already added) pod identity."""
    s = session.settings
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = session.custom_objects.get_namespaced_custom_object(
                "aadpodidentity.k8s.io", "v1", s.namespace, "azureidentities", s.pod_identity_name
            )
        except Exception:  # any failure means "not there yet"
            found = None
        if found:
            return
        time.sleep(0.25)
    raise AssertionError(f"no AzureIdentity {s.pod_identity_name!r} within {seconds} s")


@contextmanager
def caught_up_learner(lab_root: Path, home: Path, suffix: str, notebook: str) -> Iterator[Any]:
    """A learner of their own (names ending in ``suffix``) caught up to ``notebook``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("PODID_LAB_HOME", str(lab_root))
        mp.setenv("PODID_SETTINGS", str(home / ".podid" / "settings.json"))
        settings = ph.Settings(
            resource_group=f"rg-{suffix}",
            cluster_name=f"aks-{suffix}",
            identity_name=f"id-{suffix}",
            pod_identity_name=f"pid-{suffix}",
            namespace=f"ns-{suffix}",
        )
        ph.save_settings(settings)
        session = ph.connect(settings)
        ph.catch_up(session, notebook)
        yield session

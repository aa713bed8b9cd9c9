"""Fixtures that start a fresh lab and build real SDK clients against it over HTTPS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.resource.features import FeatureClient
from azure.mgmt.resource.resources import ResourceManagementClient

from podid_lab.cli import connection_info
from podid_lab.home import LabHome
from podid_lab.server import start, stop


def start_lab(root: Path) -> LabHome:
    """Start a lab whose home is `root`, on a free port."""
    home = LabHome(root)
    os.environ["PODID_LAB_HOME"] = str(root)
    start(home, port=0)
    return home


@pytest.fixture(scope="session")
def lab_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHome]:
    """A lab shared by the session's tests (each test uses its own resource names)."""
    home = start_lab(tmp_path_factory.mktemp("lab"))
    yield home
    stop(home)


@pytest.fixture(scope="session")
def lab_info(lab_home: LabHome) -> dict[str, Any]:
    """The connection info `podid-lab env --json` prints."""
    port = int(lab_home.port_file.read_text())
    return connection_info(lab_home, port)


@pytest.fixture(scope="session")
def credential(lab_info: dict[str, Any]) -> ClientSecretCredential:
    """The learner's service-principal credential, pointed at the lab's Entra ID."""
    return ClientSecretCredential(
        lab_info["tenant_id"],
        lab_info["client_id"],
        lab_info["client_secret"],
        authority=lab_info["authority_host"],
        disable_instance_discovery=True,
        connection_verify=lab_info["ca_bundle"],
    )


def arm_kwargs(lab_info: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments that point any azure-mgmt client at the lab."""
    return {"base_url": lab_info["arm_endpoint"], "connection_verify": lab_info["ca_bundle"]}


@pytest.fixture(scope="session")
def resource_client(
    credential: ClientSecretCredential, lab_info: dict[str, Any]
) -> ResourceManagementClient:
    return ResourceManagementClient(credential, lab_info["subscription_id"], **arm_kwargs(lab_info))


@pytest.fixture(scope="session")
def feature_client(credential: ClientSecretCredential, lab_info: dict[str, Any]) -> FeatureClient:
    return FeatureClient(credential, lab_info["subscription_id"], **arm_kwargs(lab_info))


@pytest.fixture(scope="session")
def raw(lab_home: LabHome, lab_info: dict[str, Any]) -> Any:
    """Raw HTTPS access to the lab (for status codes, headers and forged tokens)."""
    from .raw import Raw

    return Raw(lab_home, lab_info)


@pytest.fixture
def admin(lab_home: LabHome, lab_info: dict[str, Any]) -> Any:
    """Call an admin route with the lab's admin key."""
    import requests

    def call(method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(
            method,
            f"{lab_info['arm_endpoint']}{path}",
            json=body,
            headers={"x-podid-lab-key": lab_home.admin_key()},
            verify=lab_info["ca_bundle"],
            timeout=30,
        )

    return call

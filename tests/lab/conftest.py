"""Fixtures that start a fresh lab and build real SDK clients against it over HTTPS."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.resource.features import FeatureClient
from azure.mgmt.resource.resources import ResourceManagementClient

from podid_lab import knobs
from podid_lab.cli import connection_info
from podid_lab.home import LabHome
from podid_lab.server import start, stop
from tools.notebook_lab import NOTEBOOK_KNOBS

# The notebook runs' short waits (a demo whose token is refused logs its lines in 0.44 s per
# call instead of 7 s; test_pod_identity checks adal's rhythm on a lab of its own), but Azure's
# Retry-After: 1, which these tests check and the SDK's pollers follow (at 0 they wait 30 s).
TEST_KNOBS = {name: v for name, v in NOTEBOOK_KNOBS.items() if name != "retry_after_seconds"}


def start_on_free_port(home: LabHome) -> None:
    """Start a lab on a free port, with the tests' short waits."""
    knobs.save(home, {**knobs.defaults(), **TEST_KNOBS})
    start(home, port=0)


def start_lab(root: Path) -> LabHome:
    """Start a lab whose home is `root`, on a free port."""
    home = LabHome(root)
    os.environ["PODID_LAB_HOME"] = str(root)
    start_on_free_port(home)
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


# -- the providers the tutorial uses (AKS, managed identities, roles, compute) -------------------


@dataclass
class Azure:
    """One lab's connection info, the learner's credential and every SDK client the tutorial
    uses, pointed at that lab."""

    home: LabHome
    info: dict[str, Any]
    credential: ClientSecretCredential
    resources: ResourceManagementClient
    features: FeatureClient
    aks: ContainerServiceClient
    msi: ManagedServiceIdentityClient
    auth: AuthorizationManagementClient
    compute: ComputeManagementClient

    @property
    def sub(self) -> str:
        return f"/subscriptions/{self.info['subscription_id']}"

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Call one of this lab's admin routes with its admin key."""
        import requests

        return requests.request(
            method,
            f"{self.info['arm_endpoint']}{path}",
            json=body,
            headers={"x-podid-lab-key": self.home.admin_key()},
            verify=self.info["ca_bundle"],
            timeout=30,
        )

    @contextlib.contextmanager
    def knobs(self, **values: float) -> Iterator[None]:
        """This lab's knobs set to `values` for the block, then back to what they were."""
        before = self.admin("GET", "/_lab/settings").json()
        assert self.admin("PATCH", "/_lab/settings", values).ok
        try:
            yield
        finally:
            restore = {name: before[name] for name in values}
            assert self.admin("PATCH", "/_lab/settings", restore).ok


def azure_for(home: LabHome) -> Azure:
    """SDK clients for the lab running at `home`."""
    info = connection_info(home, int(home.port_file.read_text()))
    credential = ClientSecretCredential(
        info["tenant_id"],
        info["client_id"],
        info["client_secret"],
        authority=info["authority_host"],
        disable_instance_discovery=True,
        connection_verify=info["ca_bundle"],
    )
    sub, kwargs = info["subscription_id"], arm_kwargs(info)
    return Azure(
        home=home,
        info=info,
        credential=credential,
        resources=ResourceManagementClient(credential, sub, **kwargs),
        features=FeatureClient(credential, sub, **kwargs),
        aks=ContainerServiceClient(credential, sub, **kwargs),
        msi=ManagedServiceIdentityClient(credential, sub, **kwargs),
        auth=AuthorizationManagementClient(credential, sub, **kwargs),
        compute=ComputeManagementClient(credential, sub, **kwargs),
    )


@pytest.fixture(scope="session")
def azure(lab_home: LabHome) -> Azure:
    """SDK clients on the session's shared lab."""
    return azure_for(lab_home)


@pytest.fixture(scope="module")
def own_azure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azure]:
    """A lab of the module's own, for tests that reset it or change subscription-wide state
    (preview features) that other tests must not see."""
    home = LabHome(tmp_path_factory.mktemp("own-lab"))
    start_on_free_port(home)  # the home goes to the lab's process; the shared lab's env stays
    yield azure_for(home)
    stop(home)

"""``connect()``: the credential and the SDK clients for the chosen mode, built when first used.

The lab and Azure differ only here: where ARM and Entra ID are, which CA to trust, and how to
sign in. Every step and check takes the session and never asks which mode it is in.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import LabNotRunningError, PodidError, StepOrderError
from .redact import Secret, display_path
from .settings import Settings, load_settings, settings_path

if TYPE_CHECKING:  # the SDKs load when a client is first used, so importing the helpers is quick
    from azure.core.credentials import TokenCredential
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.compute import ComputeManagementClient
    from azure.mgmt.containerservice import ContainerServiceClient
    from azure.mgmt.keyvault import KeyVaultManagementClient
    from azure.mgmt.msi import ManagedServiceIdentityClient
    from azure.mgmt.resource.features import FeatureClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from kubernetes.client import ApiClient, AppsV1Api, CoreV1Api, CustomObjectsApi

__all__ = ["TAGS", "Session", "SignIn", "connect"]

Mode = Literal["lab", "azure"]

# Put on everything the tutorial creates, so cleanup (and a learner in the portal) can find it.
TAGS: dict[str, str] = {"created-by": "podid-tutorial"}

# Seconds between polls of a long-running operation; Azure's Retry-After still wins when sent.
POLLING_INTERVAL = 0.5

_AZURE_ARM = "https://management.azure.com"
_AZURE_AUTHORITY = "https://login.microsoftonline.com"
_COST_WARNING = (
    "Mode azure: the steps create real, billable Azure resources (an AKS cluster with one "
    "Standard_DS2_v2 node, a managed identity, role assignments). Run 07-cleanup when you are "
    "done. The AKS pod identity add-on is retired: this path is historical, at your own risk."
)
_warned_about_cost = False


@dataclass(frozen=True)
class SignIn:
    """A service principal's sign-in (app ID + secret), for the secret-vs-no-secret contrast."""

    tenant_id: str
    client_id: str
    client_secret: Secret
    authority_host: str
    verify: str | bool


class Session:
    """The credential, lazily built ARM and Kubernetes clients, and the settings they act on."""

    def __init__(
        self,
        *,
        mode: Mode,
        settings: Settings,
        subscription_id: str,
        credential: TokenCredential,
        arm_endpoint: str,
        verify: str | bool,
        sign_in: SignIn | None,
        kube_dir: Path,
    ) -> None:
        self.mode: Mode = mode
        self.settings = settings
        self.subscription_id = subscription_id
        self.credential = credential
        self.arm_endpoint = arm_endpoint
        self.verify = verify
        self.sign_in = sign_in
        self.kube_dir = kube_dir
        self._kube: tuple[float, ApiClient] | None = None
        # Set when the learner's own kubeconfig (a terminal's KUBECONFIG) holds the cluster.
        self.kubeconfig_file: Path | None = None

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"Session(mode={self.mode!r}, subscription_id={self.subscription_id!r}, "
            f"resource_group={s.resource_group!r}, cluster_name={s.cluster_name!r}, "
            f"kubeconfig={display_path(self.kubeconfig_path)!r})"
        )

    # -- ARM ---------------------------------------------------------------------------------

    def _arm_kwargs(self) -> dict[str, Any]:
        # Passed explicitly: a machine-wide REQUESTS_CA_BUNDLE must not decide whom we trust.
        return {
            "base_url": self.arm_endpoint,
            "connection_verify": self.verify,
            "polling_interval": POLLING_INTERVAL,
        }

    @cached_property
    def containerservice(self) -> ContainerServiceClient:
        """AKS: managed clusters and their credentials."""
        from azure.mgmt.containerservice import ContainerServiceClient

        return ContainerServiceClient(self.credential, self.subscription_id, **self._arm_kwargs())

    @cached_property
    def msi(self) -> ManagedServiceIdentityClient:
        """User-assigned managed identities."""
        from azure.mgmt.msi import ManagedServiceIdentityClient

        return ManagedServiceIdentityClient(
            self.credential, self.subscription_id, **self._arm_kwargs()
        )

    @cached_property
    def authorization(self) -> AuthorizationManagementClient:
        """Role definitions and role assignments."""
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(
            self.credential, self.subscription_id, **self._arm_kwargs()
        )

    @cached_property
    def resources(self) -> ResourceManagementClient:
        """Resource groups and resource providers."""
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(self.credential, self.subscription_id, **self._arm_kwargs())

    @cached_property
    def features(self) -> FeatureClient:
        """Preview feature registration."""
        from azure.mgmt.resource.features import FeatureClient

        return FeatureClient(self.credential, self.subscription_id, **self._arm_kwargs())

    @cached_property
    def keyvault(self) -> KeyVaultManagementClient:
        """Key vaults (09-workload-identity); their secrets have a client per vault."""
        from azure.mgmt.keyvault import KeyVaultManagementClient

        return KeyVaultManagementClient(self.credential, self.subscription_id, **self._arm_kwargs())

    @cached_property
    def compute(self) -> ComputeManagementClient:
        """Virtual machines and scale sets (the cluster's nodes)."""
        from azure.mgmt.compute import ComputeManagementClient

        return ComputeManagementClient(self.credential, self.subscription_id, **self._arm_kwargs())

    # -- Kubernetes --------------------------------------------------------------------------

    @property
    def kubeconfig_path(self) -> Path:
        """Where 02-create-cluster writes this cluster's kubeconfig (never ``~/.kube/config``)."""
        if self.kubeconfig_file is not None:
            return self.kubeconfig_file
        return self.kube_dir / f"{self.settings.cluster_name}.yaml"

    def kube(self) -> ApiClient:
        """A Kubernetes API client from the cluster's kubeconfig, rebuilt when the file changes."""
        from kubernetes import config

        path = self.kubeconfig_path
        try:
            stamp = path.stat().st_mtime
        except FileNotFoundError:
            raise StepOrderError(
                "02-create-cluster (get_credentials)",
                f"no kubeconfig for cluster {self.settings.cluster_name!r} at {display_path(path)}",
            ) from None
        if self._kube is None or self._kube[0] != stamp:
            # persist_config=False: the client must never write to the learner's file.
            client = config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=str(path), persist_config=False
            )
            self._kube = (stamp, client)
        return self._kube[1]

    @property
    def core_v1(self) -> CoreV1Api:
        """Pods, nodes, namespaces, logs."""
        from kubernetes.client import CoreV1Api

        return CoreV1Api(self.kube())

    @property
    def apps_v1(self) -> AppsV1Api:
        """DaemonSets (NMI)."""
        from kubernetes.client import AppsV1Api

        return AppsV1Api(self.kube())

    @property
    def custom_objects(self) -> CustomObjectsApi:
        """AzureIdentity, AzureIdentityBinding and AzurePodIdentityException objects."""
        from kubernetes.client import CustomObjectsApi

        return CustomObjectsApi(self.kube())


def current_mode() -> Mode:
    """The mode named by ``PODID_MODE``: ``lab`` (the default) or ``azure``."""
    raw = (os.environ.get("PODID_MODE") or "lab").strip().lower()
    if raw not in ("lab", "azure"):
        raise PodidError(f"PODID_MODE must be 'lab' or 'azure', not {raw!r}")
    return "lab" if raw == "lab" else "azure"


def connect(settings: Settings | None = None) -> Session:
    """Return a session for ``PODID_MODE`` (``lab`` starts the offline lab if needed)."""
    chosen = settings if settings is not None else load_settings()
    kube_dir = settings_path().parent / "kube"
    if current_mode() == "lab":
        return _connect_lab(chosen, kube_dir)
    return _connect_azure(chosen, kube_dir)


def _connect_lab(settings: Settings, kube_dir: Path) -> Session:
    from azure.identity import ClientSecretCredential

    # Only to start the lab and read its endpoints; imported by name so that the helpers'
    # type checking stays independent of the lab's internals.
    lab_server = importlib.import_module("podid_lab.server")
    lab_cli = importlib.import_module("podid_lab.cli")
    lab_home = importlib.import_module("podid_lab.home")

    home = lab_home.LabHome.from_env()
    try:
        status = lab_server.start(home)
    except lab_server.LabError as exc:
        raise LabNotRunningError(
            f"The offline lab could not start: {exc}. "
            "Run `podid-lab start` in a terminal to see why."
        ) from None
    assert status.port is not None  # start() returns only once the lab answers on its port
    info: dict[str, Any] = lab_cli.connection_info(home, status.port)
    sign_in = SignIn(
        tenant_id=info["tenant_id"],
        client_id=info["client_id"],
        client_secret=Secret(info["client_secret"]),
        authority_host=info["authority_host"],
        verify=info["ca_bundle"],
    )
    credential = ClientSecretCredential(
        sign_in.tenant_id,
        sign_in.client_id,
        str(sign_in.client_secret),
        authority=sign_in.authority_host,
        disable_instance_discovery=True,
        connection_verify=sign_in.verify,
    )
    return Session(
        mode="lab",
        # The lab has exactly one subscription, whatever the settings name.
        settings=settings,
        subscription_id=info["subscription_id"],
        credential=credential,
        arm_endpoint=info["arm_endpoint"],
        verify=sign_in.verify,
        sign_in=sign_in,
        kube_dir=kube_dir,
    )


def _connect_azure(settings: Settings, kube_dir: Path) -> Session:
    from azure.identity import DefaultAzureCredential

    global _warned_about_cost
    if not _warned_about_cost:
        print(_COST_WARNING, file=sys.stderr)
        _warned_about_cost = True
    credential = DefaultAzureCredential()
    subscription = (
        settings.subscription_id
        or os.environ.get("AZURE_SUBSCRIPTION_ID")
        or _default_subscription(credential)
    )
    env = os.environ
    sign_in = None
    if env.get("AZURE_TENANT_ID") and env.get("AZURE_CLIENT_ID") and env.get("AZURE_CLIENT_SECRET"):
        sign_in = SignIn(
            tenant_id=env["AZURE_TENANT_ID"],
            client_id=env["AZURE_CLIENT_ID"],
            client_secret=Secret(env["AZURE_CLIENT_SECRET"]),
            authority_host=env.get("AZURE_AUTHORITY_HOST") or _AZURE_AUTHORITY,
            verify=True,
        )
    return Session(
        mode="azure",
        settings=settings,
        subscription_id=subscription,
        credential=credential,
        arm_endpoint=_AZURE_ARM,
        verify=True,
        sign_in=sign_in,
        kube_dir=kube_dir,
    )


def _default_subscription(credential: TokenCredential) -> str:
    # azure-mgmt-resource 26 ships no subscriptions client; this is the one call it would make.
    import requests

    token = credential.get_token(f"{_AZURE_ARM}/.default").token
    response = requests.get(
        f"{_AZURE_ARM}/subscriptions?api-version=2022-12-01",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    for subscription in response.json().get("value", []):
        if subscription.get("subscriptionId"):
            return str(subscription["subscriptionId"])
    raise PodidError(
        "No Azure subscription is visible to your sign-in. Run `az login`, or set "
        "subscription_id in the settings (or PODID_SUBSCRIPTION_ID)."
    )

"""02-create-cluster and 03-enable-pod-identity: resource group, AKS cluster, kubeconfig, add-on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import PodidError, StepOrderError
from .i18n import _
from .kubeconfig import export_line, write_kubeconfig
from .live import wait_for_poller, wait_until
from .lookups import (
    STEP_CLUSTER,
    azure_errors,
    find_cluster,
    find_resource_group,
    plain,
    pod_identity_enabled,
    require_cluster,
)
from .redact import display_path
from .results import KubeconfigResult, StepResult
from .session import TAGS

if TYPE_CHECKING:
    from azure.mgmt.containerservice.models import ManagedCluster

    from .session import Session

__all__ = ["create_cluster", "create_resource_group", "enable_pod_identity", "get_credentials"]

NODE_POOL = "nodepool1"
NODE_COUNT = 1
NODE_SIZE = "Standard_DS2_v2"
# A real AKS create takes 5-10 minutes; waiting for one that is already running may take as long.
CLUSTER_TIMEOUT = 30 * 60.0


def create_resource_group(session: Session) -> StepResult:
    """Create the resource group (``az group create``), unless it exists."""
    s = session.settings
    if find_resource_group(session) is not None:
        return StepResult(
            step="create_resource_group",
            changed=False,
            summary=_("resource group {group} exists").format(group=repr(s.resource_group)),
        )
    with azure_errors():
        session.resources.resource_groups.create_or_update(
            s.resource_group, {"location": s.location, "tags": dict(TAGS)}
        )
    return StepResult(
        step="create_resource_group",
        changed=True,
        summary=_("created resource group {group} in {location}").format(
            group=repr(s.resource_group), location=s.location
        ),
    )


def _cluster_state(session: Session) -> str | None:
    cluster = find_cluster(session)
    return cluster.provisioning_state if cluster is not None else None


def _cluster_details(cluster: ManagedCluster) -> tuple[str, ...]:
    network = cluster.network_profile
    pools = cluster.agent_pool_profiles or []
    identity = plain(cluster.identity.type) if cluster.identity else _("service principal")
    lines = [
        f"provisioningState: {cluster.provisioning_state}",
        _("network plugin: {plugin}").format(
            plugin=plain(network.network_plugin) if network else None
        ),
        _("identity: {identity}").format(identity=identity),
    ]
    lines += [
        _("node pool {pool}: {count} × {size} ({type})").format(
            pool=p.name, count=p.count, size=p.vm_size, type=plain(p.type)
        )
        for p in pools
    ]
    lines.append(_("node resource group: {group}").format(group=cluster.node_resource_group))
    return tuple(lines)


def _new_cluster(session: Session) -> ManagedCluster:
    """The article's cluster: Azure CNI, a managed identity, one small VMSS node pool."""
    from azure.mgmt.containerservice import models as m

    s = session.settings
    return m.ManagedCluster(
        location=s.location,
        tags=dict(TAGS),
        identity=m.ManagedClusterIdentity(type="SystemAssigned"),
        properties=m.ManagedClusterProperties(
            dns_prefix=s.cluster_name,
            agent_pool_profiles=[
                m.ManagedClusterAgentPoolProfile(
                    name=NODE_POOL,
                    count=NODE_COUNT,
                    vm_size=NODE_SIZE,
                    mode="System",
                    os_type="Linux",
                    type="VirtualMachineScaleSets",
                )
            ],
            # NMI refuses kubenet (ARP spoofing, CVE-2021-1677), so the article uses Azure CNI.
            network_profile=m.ContainerServiceNetworkProfile(network_plugin="azure"),
        ),
    )


def _wait_for_cluster(session: Session, what: str) -> ManagedCluster:
    """Wait while the cluster is Creating/Updating (a create started earlier, or elsewhere)."""
    ok, state = wait_until(
        what,
        lambda: (
            _cluster_state(session) not in ("Creating", "Updating"),
            str(_cluster_state(session)),
        ),
        timeout=CLUSTER_TIMEOUT,
        interval=1.0,
    )
    if not ok:
        raise PodidError(
            _("cluster {cluster} is still {state}; run this cell again later.").format(
                cluster=repr(session.settings.cluster_name), state=state
            )
        )
    return require_cluster(session, succeeded=False)


def create_cluster(session: Session) -> StepResult:
    """Create the AKS cluster (``az aks create --network-plugin azure``), unless it exists."""
    s = session.settings
    if find_resource_group(session) is None:
        raise StepOrderError(
            _("{call} in {notebook}").format(call="create_resource_group()", notebook=STEP_CLUSTER),
            _("resource group {group} not found").format(group=repr(s.resource_group)),
        )
    existing = find_cluster(session)
    if existing is not None and existing.provisioning_state in ("Creating", "Updating"):
        existing = _wait_for_cluster(
            session, _("waiting for cluster {cluster}").format(cluster=s.cluster_name)
        )
    if existing is not None and existing.provisioning_state == "Succeeded":
        return StepResult(
            step="create_cluster",
            changed=False,
            summary=_("cluster {cluster} exists").format(cluster=repr(s.cluster_name)),
            details=_cluster_details(existing),
        )
    # Absent, or Failed: a PUT of the wanted cluster creates it or makes AKS try again.
    with azure_errors():
        poller = session.containerservice.managed_clusters.begin_create_or_update(
            s.resource_group, s.cluster_name, _new_cluster(session)
        )
        cluster = wait_for_poller(
            poller,
            _("creating cluster {cluster}").format(cluster=s.cluster_name),
            lambda: _cluster_state(session),
        )
    return StepResult(
        step="create_cluster",
        changed=True,
        summary=_("created cluster {cluster} in {group}").format(
            cluster=repr(s.cluster_name), group=repr(s.resource_group)
        ),
        details=_cluster_details(cluster),
    )


def get_credentials(session: Session) -> KubeconfigResult:
    """Write the cluster's kubeconfig to its own 0600 file (``az aks get-credentials --file``)."""
    s = session.settings
    require_cluster(session)
    with azure_errors():
        credentials = session.containerservice.managed_clusters.list_cluster_user_credentials(
            s.resource_group, s.cluster_name
        )
    kubeconfigs = credentials.kubeconfigs or []
    if not kubeconfigs or not kubeconfigs[0].value:
        raise PodidError(
            _("AKS returned no kubeconfig for cluster {cluster}.").format(
                cluster=repr(s.cluster_name)
            )
        )
    path = session.kubeconfig_path
    changed = write_kubeconfig(path, bytes(kubeconfigs[0].value))
    shown = display_path(path)
    export = export_line(path)
    return KubeconfigResult(
        step="get_credentials",
        changed=changed,
        summary=(
            _("kubeconfig for {cluster} written to {path}")
            if changed
            else _("kubeconfig for {cluster} is in {path}")
        ).format(cluster=repr(s.cluster_name), path=shown),
        details=(_("for kubectl in a terminal:"), f"  {export}"),
        path=path,
        export=export,
    )


def enable_pod_identity(session: Session) -> StepResult:
    """Turn the add-on on (``az aks update --enable-pod-identity``), unless it is on."""
    from azure.mgmt.containerservice import models as m

    s = session.settings
    cluster = require_cluster(session)
    if pod_identity_enabled(cluster):
        return StepResult(
            step="enable_pod_identity",
            changed=False,
            summary=_("pod identity is enabled on cluster {cluster}").format(
                cluster=repr(s.cluster_name)
            ),
        )
    # As az does: change the cluster as fetched and PUT all of it back.
    profile = cluster.pod_identity_profile or m.ManagedClusterPodIdentityProfile()
    profile.enabled = True
    cluster.pod_identity_profile = profile
    with azure_errors():
        poller = session.containerservice.managed_clusters.begin_create_or_update(
            s.resource_group, s.cluster_name, cluster
        )
        updated = wait_for_poller(
            poller,
            _("enabling pod identity on {cluster}").format(cluster=s.cluster_name),
            lambda: _cluster_state(session),
        )
    return StepResult(
        step="enable_pod_identity",
        changed=True,
        summary=_("enabled pod identity on cluster {cluster}").format(cluster=repr(s.cluster_name)),
        details=(
            f"podIdentityProfile.enabled: {pod_identity_enabled(updated)}",
            f"provisioningState: {updated.provisioning_state}",
        ),
    )

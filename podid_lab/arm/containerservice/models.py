"""AKS managed clusters: what the resource provider creates around a cluster, and its gates.

A create makes, as AKS does, a system-assigned control-plane identity (a principal in the
directory), the node resource group `MC_<rg>_<cluster>_<location>` (managed by the cluster), the
kubelet identity `<cluster>-agentpool` in it, and one scale set per agent pool; the operation
then brings the cluster's Kubernetes API up (`lab.kube`). Deleting the cluster takes all of that
away again. Add-ons plug in through `lab.cluster_hooks`.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import ids
from ...home import write_private
from ...kube.models import cluster_key
from ...store import Document
from ..compute.models import node_names, scale_set_name
from ..errors import ArmError, invalid_resource_name
from ..lro import iso
from ..msi.models import new_principal_ids
from ..table import public

ASSIGN_ACTION = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"

if TYPE_CHECKING:
    from ...lab import Lab

CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters"
NAMESPACE = "Microsoft.ContainerService"
POD_IDENTITY_FEATURE = "EnablePodIdentityPreview"
PUT_OPERATION = "managedClusters/createOrUpdate"
DELETE_OPERATION = "managedClusters/delete"

# Minor version -> the patch AKS would pick for it; the first is the default.
KUBERNETES_VERSIONS = {"1.32": "1.32.7", "1.33": "1.33.3", "1.31": "1.31.11"}
NODE_IMAGE = "AKSUbuntu-2204gen2containerd-202507.21.0"
# Read-only properties a client may echo back from a GET; the provider computes them.
READ_ONLY = (
    "provisioningState",
    "powerState",
    "maxAgentPools",
    "currentKubernetesVersion",
    "fqdn",
    "azurePortalFQDN",
    "privateFQDN",
    "identityProfile",
    "resourceUID",
)

ClusterHook = Callable[[str, Document], None]
"""Called as `hook(event, cluster)` when an operation finishes; `event` is "created",
"updated" or "deleted". A hook may change `cluster` in place (it is saved afterwards, except
after "deleted") or raise ArmError to fail the operation. Part 4's pod-identity add-on uses this
to set each pod identity's `provisioningState` / `provisioningInfo`."""


_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9](?:[-_A-Za-z0-9]{0,61}[A-Za-z0-9])?$")


def check_cluster_name(name: str) -> None:
    """AKS's cluster naming rule (the spec's `resourceName` pattern), or 400."""
    if not _CLUSTER_NAME.match(name):
        raise invalid_resource_name(
            name,
            CLUSTER_TYPE,
            "A managed cluster name is 1 to 63 characters of letters, digits, '-' and '_', and "
            "starts and ends with a letter or digit.",
        )


def node_resource_group_name(resource_group: str, cluster: str, location: str) -> str:
    """AKS's default node resource group name."""
    return f"MC_{resource_group}_{cluster}_{location}"


def check_node_resource_group_name(name: str) -> None:
    """AKS's 80-character limit on the node resource group name."""
    if len(name) > 80:
        raise ArmError(
            400,
            "InvalidParameter",
            "The length of the node resource group name is too long. The maximum length is 80 "
            f"and the length of the value provided is {len(name)}. Please see "
            "https://aka.ms/aks-naming-rules for more details.",
            target="name",
        )


def resolve_version(requested: str | None) -> str:
    """The full version AKS runs for `requested` ("", "1.32" or "1.32.7")."""
    if not requested:
        return next(iter(KUBERNETES_VERSIONS.values()))
    if requested in KUBERNETES_VERSIONS:
        return KUBERNETES_VERSIONS[requested]
    if requested in KUBERNETES_VERSIONS.values():
        return requested
    raise ArmError(
        400,
        "K8sVersionNotSupported",
        f"Version {requested} is not supported in this region. Please use [az aks get-versions] "
        "command to get the supported version list in this region. For more information, "
        "please check https://aka.ms/supported-version-list",
    )


def property_change_not_allowed(name: str) -> ArmError:
    """AKS's 400 for a property that is fixed once the cluster exists."""
    return ArmError(
        400, "PropertyChangeNotAllowed", f"Changing property '{name}' is not allowed.", target=name
    )


class ManagedClusters:
    """Managed clusters and everything AKS creates and deletes with them."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        lab.operations.register(PUT_OPERATION, self._finish_put)
        lab.operations.register(DELETE_OPERATION, self._finish_delete)
        lab.scope_hooks.append(self._scope_deleted)

    # -- reads --------------------------------------------------------------------------------

    def get(self, resource_id: str) -> Document | None:
        """The cluster, or None."""
        doc = self._lab.resources.get(resource_id)
        return doc if doc is not None and doc["type"] == CLUSTER_TYPE else None

    def in_scope(self, scope: str) -> list[Document]:
        """Clusters below `scope`."""
        return self._lab.resources.list(scope, CLUSTER_TYPE)

    @staticmethod
    def arm_doc(doc: Document) -> Document:
        """A cluster as ARM returns it."""
        return public(doc)

    # -- create / update ----------------------------------------------------------------------

    def begin_put(
        self, group: Document, name: str, body: dict[str, Any], location: str
    ) -> tuple[Document, Document, bool]:
        """Validate, apply what AKS applies at once, and start the operation.

        Returns (cluster, operation, created).
        """
        cluster_id = f"{group['id']}/providers/{CLUSTER_TYPE}/{name}"
        existing = self.get(cluster_id)
        if existing is not None:
            self._check_update(existing, body, location)
        requested = dict(body.get("properties") or {})
        for key in READ_ONLY:
            requested.pop(key, None)
        identity = self._identity(existing, body.get("identity"), requested)
        network = self._network_profile(existing, requested.get("networkProfile"))
        creating = existing is None
        self._gate_pod_identity(requested, network, identity, creating)
        self._gate_identity_assignment(requested, existing, identity)
        version = resolve_version(requested.get("kubernetesVersion"))
        node_group = self._node_resource_group(existing, group["name"], name, location, requested)
        props = self._properties(
            requested, existing, name, group["name"], location, version, network, node_group
        )
        doc: Document = {
            "id": cluster_id,
            "name": name,
            "type": CLUSTER_TYPE,
            "location": location,
            "tags": body.get("tags") or {},
            "sku": _sku(body.get("sku")),
            "properties": props,
            "_operationStarted": iso(time.time()),
        }
        if identity is not None:
            doc["identity"] = identity
        self._provision_node_resources(doc, group, creating)
        self._lab.resources.put(doc)
        op = self._lab.operations.start(
            PUT_OPERATION,
            resource_id=cluster_id,
            namespace=NAMESPACE,
            location=location,
            subscription_id=ids.SUBSCRIPTION_ID,
            duration=float(self._lab.knobs["cluster_create_seconds"]),
            payload={"event": "created" if creating else "updated"},
        )
        return doc, op, creating

    def _check_update(self, existing: Document, body: dict[str, Any], location: str) -> None:
        state = existing["properties"]["provisioningState"]
        if state in ("Creating", "Updating", "Deleting"):
            verb = {"Creating": "create", "Updating": "update", "Deleting": "delete"}[state]
            started = existing.get("_operationStarted", "")
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Operation is not allowed because there's an in progress {verb} managed "
                f"cluster operation which started at {started}. Please wait for it to finish "
                "before trying again.",
            )
        if location != existing["location"]:
            raise property_change_not_allowed("location")
        props = body.get("properties") or {}
        wanted_group = props.get("nodeResourceGroup")
        if (
            wanted_group
            and wanted_group.lower() != existing["properties"]["nodeResourceGroup"].lower()
        ):
            raise property_change_not_allowed("nodeResourceGroup")
        plugin = (props.get("networkProfile") or {}).get("networkPlugin")
        if plugin and plugin != existing["properties"]["networkProfile"]["networkPlugin"]:
            raise property_change_not_allowed("networkProfile.networkPlugin")

    def _identity(
        self, existing: Document | None, wanted: dict[str, Any] | None, props: dict[str, Any]
    ) -> Document | None:
        """The control-plane identity; None for a service-principal cluster."""
        sp = (props.get("servicePrincipalProfile") or {}).get("clientId")
        if wanted is None and sp and sp.lower() != "msi":
            return None
        kind = (wanted or {}).get("type") or "SystemAssigned"
        if kind == "SystemAssigned":
            old = (existing or {}).get("identity") or {}
            if old.get("type") == "SystemAssigned":
                return dict(old)
            return {"type": "SystemAssigned", "principalId": "", "tenantId": ids.TENANT_ID}
        if kind == "UserAssigned":
            chosen = list((wanted or {}).get("userAssignedIdentities") or {})
            if len(chosen) != 1:
                raise ArmError(
                    400,
                    "InvalidParameter",
                    "Only one user assigned identity is allowed for the managed cluster.",
                    target="identity.userAssignedIdentities",
                )
            found = self._lab.identities.get(chosen[0])
            if found is None:
                raise ArmError(
                    400,
                    "InvalidParameter",
                    f"The user assigned identity '{chosen[0]}' does not exist.",
                    target="identity.userAssignedIdentities",
                )
            return {
                "type": "UserAssigned",
                "userAssignedIdentities": {
                    found["id"]: {
                        "principalId": found["properties"]["principalId"],
                        "clientId": found["properties"]["clientId"],
                    }
                },
            }
        raise ArmError(
            400,
            "InvalidParameter",
            f"The identity type '{kind}' is not supported; use SystemAssigned or UserAssigned.",
            target="identity.type",
        )

    @staticmethod
    def _network_profile(existing: Document | None, wanted: dict[str, Any] | None) -> Document:
        """The network profile with AKS's defaults (kubenet when no plugin is named)."""
        if existing is not None:
            base = dict(existing["properties"]["networkProfile"])
            base.update(wanted or {})
            return base
        profile = dict(wanted or {})
        plugin = profile.setdefault("networkPlugin", "kubenet")
        if plugin == "kubenet":
            profile.setdefault("podCidr", "10.244.0.0/16")
            profile.setdefault("podCidrs", [profile["podCidr"]])
        profile.setdefault("serviceCidr", "10.0.0.0/16")
        profile.setdefault("serviceCidrs", [profile["serviceCidr"]])
        profile.setdefault("dnsServiceIP", "10.0.0.10")
        profile.setdefault("outboundType", "loadBalancer")
        profile.setdefault("loadBalancerSku", "standard")
        profile.setdefault("ipFamilies", ["IPv4"])
        profile.setdefault("loadBalancerProfile", {"managedOutboundIPs": {"count": 1}})
        return profile

    def pod_identity_feature_ready(self) -> bool:
        """Feature registered, and the provider registered again after it (as AKS needs)."""
        registered = self._lab.features.registered_at(NAMESPACE, POD_IDENTITY_FEATURE)
        provider = self._lab.providers.require(NAMESPACE)
        return (
            registered is not None
            and provider["state"] == "Registered"
            and float(provider.get("registeredAt", 0.0)) >= registered
        )

    def _gate_pod_identity(
        self,
        props: dict[str, Any],
        network: Document,
        identity: Document | None,
        creating: bool,
    ) -> None:
        """AKS's checks on `podIdentityProfile`, with its codes and messages."""
        profile = props.get("podIdentityProfile") or {}
        if not profile.get("enabled"):
            return
        if not self.pod_identity_feature_ready():
            raise ArmError(
                400,
                "PodIdentityAddonFeatureFlagNotEnabled",
                "PodIdentity addon is not allowed since feature "
                f"'{NAMESPACE}/{POD_IDENTITY_FEATURE}' is not enabled.",
            )
        if creating and profile.get("userAssignedIdentities"):
            raise ArmError(
                400,
                "PodIdentityAddonUserAssignedIdentitiesNotAllowedInCreation",
                "PodIdentity addon does not support assigning pod identities on creation.",
            )
        # AKS's codes for the next two are not published (users saw only "Bad Request").
        if identity is None:
            raise ArmError(400, "BadRequest", "PodIdentity addon requires managed identity.")
        if network["networkPlugin"] == "kubenet" and not profile.get("allowNetworkPluginKubenet"):
            raise ArmError(
                400,
                "BadRequest",
                "Network plugin kubenet is not supported to use with PodIdentity addon.",
            )

    def _gate_identity_assignment(
        self, props: dict[str, Any], existing: Document | None, identity: Document | None
    ) -> None:
        """AKS refuses the PUT that adds a pod identity its cluster identity may not assign.

        Refused at once, not failed later: `az aks pod-identity add` grants Managed Identity
        Operator and then waits 30 s for it to propagate *before* it sends the PUT, and the
        message users quote (aad-pod-identity issue 1145, from an ARM deployment) names the
        request's own identity fields (resourceId, clientId, objectId). Only entries being
        added or re-pointed are checked; AKS's handling of a grant removed later is unpublished.
        """
        old = (existing or {}).get("properties", {}).get("podIdentityProfile") or {}
        before = {
            (i.get("name"), i.get("namespace")): (i.get("identity") or {}).get("resourceId", "")
            for i in old.get("userAssignedIdentities") or []
        }
        principal = control_plane_principal(identity or {})
        for item in (props.get("podIdentityProfile") or {}).get("userAssignedIdentities") or []:
            resource_id = (item.get("identity") or {}).get("resourceId", "")
            key = (item.get("name"), item.get("namespace"))
            if key in before and before[key].lower() == resource_id.lower():
                continue
            target = self._lab.identities.get(resource_id) if resource_id else None
            if target is None:
                continue  # the add-on reports an identity that does not exist
            if principal and self._lab.authorizer.allowed(principal, ASSIGN_ACTION, target["id"]):
                continue
            target_props = target["properties"]
            # Azure's wording up to 'Managed Identity Operator' (issue 1145); the public quote
            # stops there, so the rest of the sentence is the lab's.
            raise ArmError(
                400,
                "BadRequest",
                "Cluster identity has no assignment permission over identity 'resourceId: "
                f"{resource_id} - clientId: {target_props['clientId']} - objectId: "
                f"{target_props['principalId']}'. Please grant at least 'Managed Identity "
                "Operator' role to the cluster identity over the identity.",
            )

    def _node_resource_group(
        self,
        existing: Document | None,
        resource_group: str,
        name: str,
        location: str,
        props: dict[str, Any],
    ) -> str:
        if existing is not None:
            return str(existing["properties"]["nodeResourceGroup"])
        wanted = props.get("nodeResourceGroup") or node_resource_group_name(
            resource_group, name, location
        )
        check_node_resource_group_name(wanted)
        return str(wanted)

    def _properties(
        self,
        requested: dict[str, Any],
        existing: Document | None,
        name: str,
        resource_group: str,
        location: str,
        version: str,
        network: Document,
        node_group: str,
    ) -> Document:
        """The stored properties: what was asked, with AKS's defaults and computed fields."""
        props = dict(requested)
        old = existing["properties"] if existing is not None else {}
        cluster_id = (
            f"/subscriptions/{ids.SUBSCRIPTION_ID}/resourceGroups/{resource_group}/providers/"
            f"{CLUSTER_TYPE}/{name}"
        )
        dns_prefix = (
            props.get("dnsPrefix")
            or old.get("dnsPrefix")
            or (f"{name[:10]}-{resource_group[:16]}-{ids.SUBSCRIPTION_ID[:6]}")
        )
        host = f"{dns_prefix}-{ids.stable_guid('fqdn', cluster_id)[:8]}"
        state = "Updating" if existing is not None else "Creating"
        props.update(
            {
                "provisioningState": state,
                "powerState": {"code": "Running"},
                "maxAgentPools": 100,
                "kubernetesVersion": requested.get("kubernetesVersion")
                or version.rsplit(".", 1)[0],
                "currentKubernetesVersion": version,
                "dnsPrefix": dns_prefix,
                "fqdn": f"{host}.hcp.{location}.azmk8s.io",
                "azurePortalFQDN": f"{host}.portal.hcp.{location}.azmk8s.io",
                "nodeResourceGroup": node_group,
                "enableRBAC": props.get("enableRBAC", True),
                "supportPlan": props.get("supportPlan", "KubernetesOfficial"),
                "networkProfile": network,
                "agentPoolProfiles": self._pools(
                    props.get("agentPoolProfiles"), old, version, state, network
                ),
                "addonProfiles": props.get("addonProfiles") or {},
            }
        )
        sp = dict(props.get("servicePrincipalProfile") or {})
        sp.pop("secret", None)  # AKS never returns the secret
        props["servicePrincipalProfile"] = sp if sp.get("clientId") else {"clientId": "msi"}
        if "windowsProfile" in props:
            props["windowsProfile"] = {
                k: v for k, v in props["windowsProfile"].items() if k != "adminPassword"
            }
        oidc = props.get("oidcIssuerProfile") or old.get("oidcIssuerProfile")
        if oidc is not None:
            props["oidcIssuerProfile"] = {"enabled": bool(oidc.get("enabled"))}
            if oidc.get("enabled"):
                # AKS's is https://<region>.oic.prod-aks.azure.com/<tenant>/<guid>/; the lab's
                # own origin serves this one (discovery and keys), so Entra can check tokens.
                props["oidcIssuerProfile"]["issuerURL"] = self._lab.issuers.issuer_url(
                    cluster_key(cluster_id)
                )
        if "podIdentityProfile" in props:
            props["podIdentityProfile"] = self._pod_identity_profile(
                props["podIdentityProfile"], old.get("podIdentityProfile")
            )
        if old.get("identityProfile"):
            props["identityProfile"] = old["identityProfile"]
        return props

    @staticmethod
    def _pools(
        wanted: list[dict[str, Any]] | None,
        old: Document,
        version: str,
        state: str,
        network: Document,
    ) -> list[Document]:
        if not wanted:
            if old.get("agentPoolProfiles"):
                wanted = old["agentPoolProfiles"]
            else:
                raise ArmError(
                    400,
                    "InvalidParameter",
                    "Required parameter agentPoolProfiles is missing (null).",
                    target="agentPoolProfiles",
                )
        pools = []
        for raw in wanted or []:
            pool = {k: v for k, v in raw.items() if k not in ("provisioningState", "powerState")}
            if pool.setdefault("type", "VirtualMachineScaleSets") != "VirtualMachineScaleSets":
                raise ArmError(
                    400,
                    "InvalidParameter",
                    "The lab runs agent pools as VirtualMachineScaleSets only.",
                    target="agentPoolProfiles.type",
                )
            pool.setdefault("count", 1)
            pool.setdefault("vmSize", "Standard_DS2_v2")
            pool.setdefault("mode", "System")
            pool.setdefault("osType", "Linux")
            pool.setdefault("osSKU", "Ubuntu")
            pool.setdefault("osDiskSizeGB", 128)
            pool.setdefault("osDiskType", "Managed")
            pool.setdefault("kubeletDiskType", "OS")
            pool.setdefault("maxPods", 30 if network["networkPlugin"] == "azure" else 110)
            pool.setdefault("enableNodePublicIP", False)
            pool["orchestratorVersion"] = pool.get("orchestratorVersion") or version
            pool["currentOrchestratorVersion"] = version
            pool["nodeImageVersion"] = NODE_IMAGE
            pool["provisioningState"] = state
            pool["powerState"] = {"code": "Running"}
            pools.append(pool)
        return pools

    @staticmethod
    def _pod_identity_profile(wanted: dict[str, Any], old: dict[str, Any] | None) -> Document:
        """The profile as asked: an identity already Assigned keeps its state, one being added
        or changed is `Updating` until the operation ends (as AKS's PUT response shows it)."""
        profile = dict(wanted)
        known = {
            (i["name"], i["namespace"]): i for i in (old or {}).get("userAssignedIdentities") or []
        }
        identities = []
        for raw in profile.get("userAssignedIdentities") or []:
            item = {
                k: v for k, v in raw.items() if k not in ("provisioningState", "provisioningInfo")
            }
            before = known.get((item.get("name"), item.get("namespace")), {})
            unchanged = (before.get("identity") or {}).get("resourceId", "").lower() == (
                (item.get("identity") or {}).get("resourceId", "").lower()
            )
            if unchanged and before.get("provisioningState") == "Assigned":
                item["provisioningState"] = "Assigned"
            else:
                item["provisioningState"] = "Updating"
            identities.append(item)
        if "userAssignedIdentities" in profile:
            profile["userAssignedIdentities"] = identities
        return profile

    def _provision_node_resources(self, doc: Document, group: Document, creating: bool) -> None:
        """Node resource group, control-plane and kubelet identities, one scale set per pool."""
        lab = self._lab
        props = doc["properties"]
        node_group_name = props["nodeResourceGroup"]
        node_group = lab.resource_groups.get(ids.SUBSCRIPTION_ID, node_group_name)
        if (
            node_group is not None
            and (node_group.get("managedBy") or "").lower() != doc["id"].lower()
        ):
            raise ArmError(
                400,
                "InvalidParameter",
                f"The node resource group '{node_group_name}' already exists and this cluster "
                "does not manage it; AKS creates the node resource group itself.",
                target="nodeResourceGroup",
            )
        node_group, _ = lab.resource_groups.create_or_update(
            ids.SUBSCRIPTION_ID,
            node_group_name,
            doc["location"],
            {
                "aks-managed-cluster-name": doc["name"],
                "aks-managed-cluster-rg": group["name"],
            },
            managed_by=doc["id"],
        )
        identity = doc.get("identity")
        if (
            identity is not None
            and identity["type"] == "SystemAssigned"
            and not identity["principalId"]
        ):
            principal_id, client_id = new_principal_ids(lab, doc["id"])
            lab.directory.add_managed_identity(principal_id, client_id, doc["name"], doc["id"])
            identity["principalId"] = principal_id
        vmss_identities: dict[str, Document] = {}
        if identity is not None:
            kubelet = lab.identities.get(
                (props.get("identityProfile") or {})
                .get("kubeletidentity", {})
                .get("resourceId", "")
            )
            if kubelet is None:
                kubelet, _ = lab.identities.create_or_update(
                    node_group_name, f"{doc['name']}-agentpool", doc["location"], None
                )
            kp = kubelet["properties"]
            props["identityProfile"] = {
                "kubeletidentity": {
                    "resourceId": kubelet["id"],
                    "clientId": kp["clientId"],
                    "objectId": kp["principalId"],
                }
            }
            vmss_identities[kubelet["id"]] = {
                "principalId": kp["principalId"],
                "clientId": kp["clientId"],
            }
        wanted_sets = set()
        for pool in props["agentPoolProfiles"]:
            name = scale_set_name(pool["name"], doc["id"])
            wanted_sets.add(name.lower())
            old = lab.scale_sets.get(
                f"{node_group['id']}/providers/Microsoft.Compute/virtualMachineScaleSets/{name}"
            )
            # Identities other parts added (pod identities) stay on the scale set.
            merged = {
                **((old or {}).get("identity") or {}).get("userAssignedIdentities", {}),
                **vmss_identities,
            }
            lab.scale_sets.put(
                group_id=node_group["id"],
                name=name,
                location=doc["location"],
                vm_size=pool["vmSize"],
                count=int(pool["count"]),
                identities=merged,
                tags={
                    "aks-managed-poolName": pool["name"],
                    "aks-managed-orchestrator": f"Kubernetes:{pool['currentOrchestratorVersion']}",
                    "aks-managed-kubeletIdentityClientID": next(
                        (v["clientId"] for v in vmss_identities.values()), ""
                    ),
                },
            )
        for old_set in lab.scale_sets.in_scope(node_group["id"]):
            if old_set["name"].lower() not in wanted_sets:
                lab.resources.delete(old_set["id"])

    def nodes(self, doc: Document) -> list[str]:
        """The cluster's node names, pool by pool."""
        out: list[str] = []
        for pool in doc["properties"]["agentPoolProfiles"]:
            out.extend(node_names(scale_set_name(pool["name"], doc["id"]), int(pool["count"])))
        return out

    def _finish_put(self, op: Document) -> Document | None:
        doc = self.get(op["resourceId"])
        if doc is None or doc["properties"]["provisioningState"] not in ("Creating", "Updating"):
            return None  # deleted (or superseded) while the operation ran
        props = doc["properties"]
        try:
            first_pool = props["agentPoolProfiles"][0]
            self._lab.kube.ensure(
                doc["id"],
                name=doc["name"],
                kubernetes_version=props["currentKubernetesVersion"],
                nodes=self.nodes(doc),
                location=doc["location"],
                node_resource_group=props["nodeResourceGroup"],
                vm_size=first_pool["vmSize"],
                max_pods=int(first_pool["maxPods"]),
            )
            for hook in self._lab.cluster_hooks:
                hook(op["payload"]["event"], doc)
            self._set_state(doc, "Succeeded")
        except ArmError:
            self._set_state(doc, "Failed")
            raise
        return None

    def _set_state(self, doc: Document, state: str) -> None:
        doc["properties"]["provisioningState"] = state
        doc.pop("_operationStarted", None)
        for pool in doc["properties"]["agentPoolProfiles"]:
            pool["provisioningState"] = state
        self._lab.resources.put(doc)

    # -- delete -------------------------------------------------------------------------------

    def begin_delete(self, doc: Document) -> Document:
        """Mark the cluster Deleting and start the operation (or join the running one)."""
        pending = [
            op
            for op in self._lab.operations.pending_for(doc["id"])
            if op["kind"] == DELETE_OPERATION
        ]
        if pending:
            return pending[0]
        doc["properties"]["provisioningState"] = "Deleting"
        doc["_operationStarted"] = iso(time.time())
        self._lab.resources.put(doc)
        return self._lab.operations.start(
            DELETE_OPERATION,
            resource_id=doc["id"],
            namespace=NAMESPACE,
            location=doc["location"],
            subscription_id=ids.SUBSCRIPTION_ID,
            duration=float(self._lab.knobs["cluster_delete_seconds"]),
        )

    def _finish_delete(self, op: Document) -> Document | None:
        doc = self.get(op["resourceId"])
        if doc is not None:
            self._remove(doc)
        return None

    def _remove(self, doc: Document) -> None:
        """Take the cluster and everything AKS made for it away."""
        lab = self._lab
        lab.kube.remove(doc["id"])
        lab.delete_scope(
            f"/subscriptions/{ids.SUBSCRIPTION_ID}/resourceGroups/"
            f"{doc['properties']['nodeResourceGroup']}"
        )
        identity = doc.get("identity") or {}
        if identity.get("type") == "SystemAssigned" and identity.get("principalId"):
            lab.directory.remove(identity["principalId"])
        lab.resources.delete(doc["id"])
        for path in (self._kubeconfig_path(doc, False), self._kubeconfig_path(doc, True)):
            path.unlink(missing_ok=True)
        for hook in lab.cluster_hooks:
            hook("deleted", doc)

    def _scope_deleted(self, scope: str) -> None:
        for doc in self.in_scope(scope):
            self._remove(doc)

    # -- credentials --------------------------------------------------------------------------

    def _kubeconfig_path(self, doc: Document, admin: bool) -> Path:
        suffix = "-admin" if admin else ""
        return self._lab.home.kubeconfig_dir / f"{doc['name']}{suffix}.yaml"

    def credentials(self, doc: Document, *, admin: bool, base_url: str) -> Document:
        """`{"kubeconfigs": [...]}` with a kubeconfig for the cluster's API in the lab.

        A copy goes to the lab's kubeconfig folder (0600) for `podid-lab env`.
        """
        try:
            text = self._lab.kube.kubeconfig(
                doc["id"], origin=base_url, ca_pem=self._lab.home.ca_cert.read_bytes(), admin=admin
            ).encode()
        except KeyError:
            raise ArmError(
                400,
                "BadRequest",
                f"The managed cluster '{doc['name']}' is still being created; its credentials "
                "are available once provisioningState is Succeeded.",
            ) from None
        write_private(self._kubeconfig_path(doc, admin), text)
        name = "clusterAdmin" if admin else "clusterUser"
        return {"kubeconfigs": [{"name": name, "value": base64.b64encode(text).decode()}]}


def _sku(wanted: dict[str, Any] | None) -> Document:
    """The SKU, defaulting to Base/Free; AKS still accepts its old name `Basic` for `Base`."""
    sku = {"name": "Base", "tier": "Free", **(wanted or {})}
    if sku["name"] == "Basic":
        sku["name"] = "Base"
    return sku


def control_plane_principal(identity: Document) -> str:
    """The object ID of a cluster identity (system- or user-assigned)."""
    if identity.get("type") == "SystemAssigned":
        return str(identity.get("principalId") or "")
    for value in (identity.get("userAssignedIdentities") or {}).values():
        return str(value.get("principalId") or "")
    return ""

"""The lab's state and services, wired together; the HTTP app and the CLI sit on top."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from . import ids, knobs
from .arm.authorization.models import RoleAssignments
from .arm.compute.models import ScaleSets
from .arm.containerservice.models import ClusterHook, ManagedClusters
from .arm.keyvault.models import Vaults
from .arm.lro import Operations, iso
from .arm.msi.federation import FederatedCredentials
from .arm.msi.models import UserAssignedIdentities
from .arm.rbac import Authorizer, assignment_doc, role_by_name, save_assignment
from .arm.resources.models import Features, Providers, ResourceGroups
from .arm.routing import ArmRouter
from .arm.table import ResourceTable
from .entra.devicecodes import DeviceCodes
from .entra.models import Directory
from .entra.signin import GRANTS as USER_GRANTS
from .events.models import EventLog
from .exercises import ExercisePasses
from .home import LabHome
from .keyvault.listeners import VaultListeners
from .keyvault.secrets import Secrets
from .kube.models import Clusters
from .kubelet.runtime import PodRuntime
from .nmi.addon import PodIdentityAddon
from .nmi.models import Nmi
from .nmi.secrets import PodSecrets
from .pki import ensure_pki
from .registry import ARM_ROUTES
from .store import Document, Store
from .workload_identity.federation import Federation
from .workload_identity.issuer import ServiceAccountIssuers
from .workload_identity.proxy import MigrationProxy
from .workload_identity.webhook import WorkloadIdentityWebhook

ScopeHook = Callable[[str], None]


class Lab:
    """Everything the lab knows, and the operations that span services."""

    def __init__(self, home: LabHome) -> None:
        home.ensure()
        ensure_pki(home)
        home.admin_key()  # made before serving, so admin callers never race its creation
        self.home = home
        self.knobs: dict[str, Any] = knobs.load(home)
        self.store = Store(home.state_db)
        self.tenant_id = ids.TENANT_ID
        self.subscription_id = ids.SUBSCRIPTION_ID
        self.directory = Directory(self.store, home, self.knobs)
        # What happened inside (tokens, NMI's decisions, RBAC checks); memory only, see events.
        self.events = EventLog()
        self.authorizer = Authorizer(self.store, self.events)
        self.operations = Operations(self.store)
        self.resources = ResourceTable(self.store)
        self.resource_groups = ResourceGroups(self.resources)
        self.providers = Providers(self.store, self.knobs)
        self.features = Features(self.store, self.knobs)
        self.arm_router = ArmRouter()
        self.kube = Clusters(self.store, self.knobs)
        self.exercises = ExercisePasses(self.store)
        self.entra_grants: dict[str, Any] = dict(USER_GRANTS)
        self.device_codes = DeviceCodes(self.store)
        # client_assertion_type -> exchange(tenant, client_id, assertion, resource) -> token JSON
        self.entra_client_assertions: dict[str, Any] = {}
        # Called with a scope being deleted, before its resources go (e.g. a cluster's API).
        self.scope_hooks: list[ScopeHook] = []
        self.operations.register("resourceGroups/delete", self._finish_delete_group)
        # Called when a managed cluster operation finishes (see containerservice.models).
        self.cluster_hooks: list[ClusterHook] = []
        self.identities = UserAssignedIdentities(self)
        self.role_assignments = RoleAssignments(self)
        self.scale_sets = ScaleSets(self)
        self.clusters = ManagedClusters(self)
        self.addon = PodIdentityAddon(self)
        self.nmi = Nmi(self)
        self.pod_secrets = PodSecrets(home)
        self.runtime = PodRuntime(self)
        # Workload ID: issuers, federated credentials, the token exchange, the webhook and its
        # migration proxy; Key Vault.
        self.issuers = ServiceAccountIssuers(self)
        self.federated_credentials = FederatedCredentials(self)
        self.federation = Federation(self)
        self.webhook = WorkloadIdentityWebhook(self)
        self.migration_proxy = MigrationProxy(self)
        self.vault_listeners = VaultListeners(self)
        self.vaults = Vaults(self)
        self.secrets = Secrets(self)
        # Where the lab serves HTTPS (ARM, Entra, Kubernetes) and plain-HTTP IMDS; set by the
        # server once it listens, None when the lab is not serving.
        self.origin: str | None = None
        self.imds_origin: str | None = None
        # True once the serving process is a child subreaper (server.serve): only then are its
        # unknown children orphans of pod processes. A lab served inside another program (the
        # tests' in-process labs) must leave that program's other children alone.
        self.reaps_orphans = False
        for routes in ARM_ROUTES:
            self.arm_router.add(routes)
        self.seed()

    def seed(self) -> None:
        """The tenant, the learner's service principal and user (both Owners), providers."""
        with self.store.transaction():
            self.directory.seed()
            self.providers.seed()
            self.features.seed()
            scope = f"/subscriptions/{ids.SUBSCRIPTION_ID}"
            owner = role_by_name("Owner")
            assert owner is not None
            save_assignment(
                self.store,
                assignment_doc(
                    scope=scope,
                    name=ids.stable_guid("role-assignment", scope, ids.LEARNER_OBJECT_ID, "owner"),
                    role_guid=owner["name"],
                    principal_id=ids.LEARNER_OBJECT_ID,
                    principal_type="ServicePrincipal",
                    created_by=None,
                    now=iso(0),
                    description="The lab learner owns the lab subscription.",
                ),
            )
            save_assignment(
                self.store,
                assignment_doc(
                    scope=scope,
                    name=ids.stable_guid(
                        "role-assignment", scope, ids.LEARNER_USER_OBJECT_ID, "owner"
                    ),
                    role_guid=owner["name"],
                    principal_id=ids.LEARNER_USER_OBJECT_ID,
                    principal_type="User",
                    created_by=None,
                    now=iso(0),
                    description="The lab user (az login --use-device-code) owns it too.",
                ),
            )

    def reset(self) -> None:
        """Forget every resource; keep the CA, keys, learner secret, knobs, port and passes."""
        passes = self.exercises.all()  # the learner's progress is not a resource
        self.store.wipe()
        self.kube.forget_all()
        self.migration_proxy.forget()
        self.events.clear()
        self.seed()
        self.exercises.restore(passes)

    def close(self) -> None:
        """Release the database."""
        self.store.close()

    # -- cross-service operations -----------------------------------------------------------

    def delete_scope(self, scope: str) -> None:
        """Delete everything at and below `scope`: resources, role assignments, dependants."""
        with self.store.transaction():
            for hook in self.scope_hooks:
                hook(scope)
            self.authorizer.remove_scope(scope)
            self.resources.delete_tree(scope)

    def start_delete_scope(self, group: Document) -> Document:
        """Begin deleting a resource group as a long-running operation."""
        self.resource_groups.mark_deleting(group)
        op = self.operations.start(
            "resourceGroups/delete",
            resource_id=group["id"],
            namespace="Microsoft.Resources",
            location=group["location"],
            subscription_id=ids.SUBSCRIPTION_ID,
            duration=float(self.knobs["resource_group_delete_seconds"]),
        )
        return op

    def _finish_delete_group(self, op: Document) -> None:
        self.delete_scope(op["resourceId"])

    def health(self) -> dict[str, Any]:
        """What the lab checks and how it is tuned (reported so nothing is silently off)."""
        return {
            "status": "ok",
            "time": time.time(),
            "tenant_id": self.tenant_id,
            "subscription_id": self.subscription_id,
            "checks": {
                "token_signature": True,
                "token_audience": True,
                "token_expiry": True,
                "client_secret": True,
                "rbac": True,
            },
            "knobs": dict(self.knobs),
            "time_scale": knobs.time_scale_line(self.knobs),
        }

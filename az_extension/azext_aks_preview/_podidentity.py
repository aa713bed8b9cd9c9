"""aks-preview's rules for `podIdentityProfile`, as its public source had them (add-on era)."""

import time

from azure.cli.command_modules.acs._client_factory import get_auth_management_client
from azure.cli.command_modules.acs._roleassignments import add_role_assignment
from azure.mgmt.containerservice import models
from knack.util import CLIError

MANAGED_IDENTITY_OPERATOR = "Managed Identity Operator"
MANAGED_IDENTITY_OPERATOR_ID = "f1a07417-d97a-45cb-824c-7a7467783830"
# aks-preview waited this long after granting, for the assignment to reach AKS.
PROPAGATION_SECONDS = 30


def ensure_enabled(instance):
    """Refuse a pod identity change on a cluster whose add-on is off (aks-preview's message)."""
    profile = instance.pod_identity_profile if instance else None
    if not (profile and profile.enabled):
        # The unclosed quote is aks-preview's own.
        raise CLIError(
            "The pod identity addon is not enabled for this managed cluster yet.\n"
            'To enable, run "az aks update --enable-pod-identity'
        )


def ensure_kubenet_consent(network_profile, profile, consent):
    """kubenet needs --enable-pod-identity-with-kubenet (now or from an earlier update)."""
    if not network_profile or not network_profile.network_plugin:
        return
    if network_profile.network_plugin.lower() != "kubenet":
        return
    if consent is None:
        consent = bool(profile.allow_network_plugin_kubenet)
    if not consent:
        raise CLIError(
            "--enable-pod-identity-with-kubenet is required for "
            "enabling pod identity addon when using Kubenet network plugin"
        )
    profile.allow_network_plugin_kubenet = True


def set_profile(instance, enable, identities=None, exceptions=None, kubenet_consent=None):
    """Set the profile as aks-preview did: enabling replaces both lists, disabling drops them."""
    if not enable:
        instance.pod_identity_profile = models.ManagedClusterPodIdentityProfile(enabled=False)
        return
    for exc in exceptions or []:
        if exc.pod_labels is None:
            exc.pod_labels = {}
    if not instance.pod_identity_profile:
        instance.pod_identity_profile = models.ManagedClusterPodIdentityProfile(enabled=True)
    ensure_kubenet_consent(instance.network_profile, instance.pod_identity_profile, kubenet_consent)
    instance.pod_identity_profile.enabled = True
    instance.pod_identity_profile.user_assigned_identities = identities or []
    instance.pod_identity_profile.user_assigned_identity_exceptions = exceptions or []


def cluster_principal_id(instance):
    """The object ID of the cluster's control-plane identity."""
    kind = (instance.identity.type or "").lower() if instance.identity else ""
    principal = None
    if kind == "userassigned":
        for identity in instance.identity.user_assigned_identities.values():
            principal = identity.principal_id
            break
    elif kind == "systemassigned":
        principal = instance.identity.principal_id
    else:
        raise CLIError(
            f"unsupported identity type: {instance.identity.type if instance.identity else None}"
        )
    if principal is None:
        raise CLIError("unable to resolve cluster identity")
    return principal.lower()


def ensure_operator_grant(cmd, instance, scope):
    """Managed Identity Operator for the cluster identity over `scope`, granted if missing."""
    principal = cluster_principal_id(instance)
    scope = scope.lower()
    assignments = get_auth_management_client(cmd.cli_ctx, scope).role_assignments
    wanted = f"atScope() and assignedTo('{principal}')"
    for found in assignments.list_for_scope(scope=scope, filter=wanted):
        if (
            found.role_definition_id.lower().endswith(MANAGED_IDENTITY_OPERATOR_ID)
            and found.principal_id.lower() == principal
            and scope.startswith(found.scope.lower())
        ):
            return
    # The stock helper retries (10 tries, waiting 2 s, 4 s, …) while Entra ID catches up.
    if not add_role_assignment(
        cmd, MANAGED_IDENTITY_OPERATOR, principal, is_service_principal=False, scope=scope
    ):
        raise CLIError("Could not grant Managed Identity Operator permission for cluster")
    print()
    print(f"Wait {PROPAGATION_SECONDS} seconds for identity role assignment propagation.")
    time.sleep(PROPAGATION_SECONDS)

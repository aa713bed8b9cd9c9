"""Handlers: stock `aks create/update` wrapped with the pod identity flags; `aks pod-identity`."""

import inspect

from azure.cli.command_modules.acs import custom as stock
from azure.cli.command_modules.acs._helpers import (
    check_is_msi_cluster,
    get_user_assigned_identity_by_resource_id,
)
from azure.cli.core.azclierror import MutuallyExclusiveArgumentError, RequiredArgumentMissingError
from azure.cli.core.util import sdk_no_wait
from azure.mgmt.containerservice import models
from knack.util import CLIError

from azext_aks_preview._podidentity import (
    ensure_enabled,
    ensure_kubenet_consent,
    ensure_operator_grant,
    set_profile,
)

# Stock `aks update` treats these as "nothing to update" when they are all that is set.
_UPDATE_IDENTITY_KEYS = ("resource_group_name", "name")


class _ProfileOnPut:
    """The stock client, except that each cluster PUT gets the pod identity change first."""

    def __init__(self, client, change):
        self._client = client
        self._change = change

    def __getattr__(self, name):
        return getattr(self._client, name)

    def begin_create_or_update(self, resource_group_name, resource_name, parameters, **kwargs):
        self._change(parameters)
        return self._client.begin_create_or_update(
            resource_group_name, resource_name, parameters, **kwargs
        )


def _with_flags(handler, stock_handler, flags):
    """Give `handler` the stock handler's parameters plus `flags`, so az offers all of them."""
    params = list(inspect.signature(stock_handler).parameters.values())
    params += [
        inspect.Parameter(flag, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=False)
        for flag in flags
    ]
    handler.__signature__ = inspect.Signature(params)
    return handler


def aks_create(
    cmd, client, enable_pod_identity=False, enable_pod_identity_with_kubenet=False, **kwargs
):
    """`az aks create`, as stock; with --enable-pod-identity the PUT also enables the add-on."""
    if not enable_pod_identity:
        return stock.aks_create(cmd, client, **kwargs)

    def enable(mc):
        # Stock az decides on a managed identity (its default) or a service principal.
        if not check_is_msi_cluster(mc):
            raise RequiredArgumentMissingError(
                "--enable-pod-identity can only be specified when --enable-managed-identity is "
                "specified"
            )
        mc.pod_identity_profile = models.ManagedClusterPodIdentityProfile(enabled=True)
        ensure_kubenet_consent(
            mc.network_profile, mc.pod_identity_profile, enable_pod_identity_with_kubenet
        )

    return stock.aks_create(cmd, _ProfileOnPut(client, enable), **kwargs)


def aks_update(
    cmd,
    client,
    enable_pod_identity=False,
    enable_pod_identity_with_kubenet=False,
    disable_pod_identity=False,
    **kwargs,
):
    """`az aks update`, as stock; the pod identity flags turn the add-on on or off."""
    if not (enable_pod_identity or disable_pod_identity):
        return stock.aks_update(cmd, client, **kwargs)
    if enable_pod_identity and disable_pod_identity:
        raise MutuallyExclusiveArgumentError(
            "Cannot specify --enable-pod-identity and --disable-pod-identity at the same time."
        )

    def change(mc):
        if enable_pod_identity and not check_is_msi_cluster(mc):
            raise RequiredArgumentMissingError(
                "--enable-pod-identity can only be specified for cluster enabled managed identity"
            )
        # As in aks-preview, enabling starts from empty identity and exception lists.
        set_profile(
            mc, enable_pod_identity, kubenet_consent=enable_pod_identity_with_kubenet or None
        )

    if any(v for k, v in kwargs.items() if k not in _UPDATE_IDENTITY_KEYS):
        return stock.aks_update(cmd, _ProfileOnPut(client, change), **kwargs)
    # Alone, the flags would make the stock command ask "No argument specified to update".
    resource_group, name = kwargs["resource_group_name"], kwargs["name"]
    instance = client.get(resource_group, name)
    change(instance)
    return _put(client, resource_group, name, instance, kwargs.get("no_wait", False))


_with_flags(
    aks_create, stock.aks_create, ("enable_pod_identity", "enable_pod_identity_with_kubenet")
)
_with_flags(
    aks_update,
    stock.aks_update,
    ("enable_pod_identity", "enable_pod_identity_with_kubenet", "disable_pod_identity"),
)


def _put(client, resource_group_name, cluster_name, instance, no_wait):
    return sdk_no_wait(
        no_wait, client.begin_create_or_update, resource_group_name, cluster_name, instance
    )


def _edit_profile(client, resource_group_name, cluster_name, no_wait, edit):
    """GET the cluster, refuse if the add-on is off, let `edit` change both lists, PUT it back."""
    instance = client.get(resource_group_name, cluster_name)
    ensure_enabled(instance)
    profile = instance.pod_identity_profile
    identities, exceptions = edit(
        instance,
        list(profile.user_assigned_identities or []),
        list(profile.user_assigned_identity_exceptions or []),
    )
    set_profile(instance, True, identities, exceptions)
    return _put(client, resource_group_name, cluster_name, instance, no_wait)


def _without(items, name, namespace):
    return [item for item in items if not (item.name == name and item.namespace == namespace)]


def aks_pod_identity_add(
    cmd,
    client,
    resource_group_name,
    cluster_name,
    identity_name,
    identity_namespace,
    identity_resource_id,
    binding_selector=None,
    no_wait=False,
):
    """Grant the cluster identity over the identity, then add the pod identity to the cluster."""

    def add(instance, identities, exceptions):
        identity = get_user_assigned_identity_by_resource_id(cmd.cli_ctx, identity_resource_id)
        ensure_operator_grant(cmd, instance, identity.id)
        pod_identity = models.ManagedClusterPodIdentity(
            name=identity_name,
            namespace=identity_namespace,
            identity=models.UserAssignedIdentity(
                resource_id=identity.id,
                client_id=identity.client_id,
                object_id=identity.principal_id,
            ),
        )
        if binding_selector is not None:
            pod_identity.binding_selector = binding_selector
        return [*identities, pod_identity], exceptions

    return _edit_profile(client, resource_group_name, cluster_name, no_wait, add)


def aks_pod_identity_delete(
    cmd, client, resource_group_name, cluster_name, identity_name, identity_namespace, no_wait=False
):
    """Remove the pod identity `namespace/name` from the cluster."""

    def delete(instance, identities, exceptions):
        return _without(identities, identity_name, identity_namespace), exceptions

    return _edit_profile(client, resource_group_name, cluster_name, no_wait, delete)


def aks_pod_identity_list(cmd, client, resource_group_name, cluster_name):
    """The cluster, whose podIdentityProfile lists the pod identities and exceptions."""
    return stock._remove_nulls([client.get(resource_group_name, cluster_name)])[0]


aks_pod_identity_exception_list = aks_pod_identity_list


def aks_pod_identity_exception_add(
    cmd,
    client,
    resource_group_name,
    cluster_name,
    exc_name,
    exc_namespace,
    pod_labels,
    no_wait=False,
):
    """Let pods with `pod_labels` in `namespace` reach IMDS without NMI's interception."""

    def add(instance, identities, exceptions):
        exception = models.ManagedClusterPodIdentityException(
            name=exc_name, namespace=exc_namespace, pod_labels=pod_labels
        )
        return identities, [*exceptions, exception]

    return _edit_profile(client, resource_group_name, cluster_name, no_wait, add)


def aks_pod_identity_exception_delete(
    cmd, client, resource_group_name, cluster_name, exc_name, exc_namespace, no_wait=False
):
    """Remove the exception `namespace/name`."""

    def delete(instance, identities, exceptions):
        return identities, _without(exceptions, exc_name, exc_namespace)

    return _edit_profile(client, resource_group_name, cluster_name, no_wait, delete)


def aks_pod_identity_exception_update(
    cmd,
    client,
    resource_group_name,
    cluster_name,
    exc_name,
    exc_namespace,
    pod_labels,
    no_wait=False,
):
    """Replace the pod labels of the exception `namespace/name`; it must exist."""

    def update(instance, identities, exceptions):
        at = next(
            (
                i
                for i, item in enumerate(exceptions)
                if item.name == exc_name and item.namespace == exc_namespace
            ),
            None,
        )
        if at is None:
            raise CLIError(f"pod identity exception {exc_namespace}/{exc_name} not found")
        # In its place: aks-preview kept the order.
        exceptions[at] = models.ManagedClusterPodIdentityException(
            name=exc_name, namespace=exc_namespace, pod_labels=pod_labels
        )
        return identities, exceptions

    return _edit_profile(client, resource_group_name, cluster_name, no_wait, update)

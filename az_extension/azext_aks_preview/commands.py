"""The commands this extension adds (`aks pod-identity …`) or replaces (`aks create/update`)."""

from azure.cli.command_modules.acs._client_factory import cf_managed_clusters
from azure.cli.core.commands import CliCommandType

from azext_aks_preview._format import pod_identities_table, pod_identity_exceptions_table

CUSTOM = CliCommandType(
    operations_tmpl="azext_aks_preview.custom#{}", client_factory=cf_managed_clusters
)


# The stock client's api-version (2026-06-01 in az 2.91) still carries podIdentityProfile, as
# does 2026-08-01; aks-preview's recording used 2022-08-03-preview, with the same shapes.


def load_command_table(loader, _):
    """Register the commands; `aks create/update` here take over the stock ones."""
    with loader.command_group("aks", custom_command_type=CUSTOM) as g:
        g.custom_command("create", "aks_create", supports_no_wait=True)
        g.custom_command("update", "aks_update", supports_no_wait=True)
    with loader.command_group("aks pod-identity", custom_command_type=CUSTOM, is_preview=True) as g:
        g.custom_command("add", "aks_pod_identity_add", supports_no_wait=True)
        g.custom_command("delete", "aks_pod_identity_delete", supports_no_wait=True)
        g.custom_command("list", "aks_pod_identity_list", table_transformer=pod_identities_table)
    with loader.command_group(
        "aks pod-identity exception", custom_command_type=CUSTOM, is_preview=True
    ) as g:
        g.custom_command("add", "aks_pod_identity_exception_add", supports_no_wait=True)
        g.custom_command("delete", "aks_pod_identity_exception_delete", supports_no_wait=True)
        g.custom_command("update", "aks_pod_identity_exception_update", supports_no_wait=True)
        g.custom_command(
            "list",
            "aks_pod_identity_exception_list",
            table_transformer=pod_identity_exceptions_table,
        )

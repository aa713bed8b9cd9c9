"""Arguments: the stock acs module's, plus aks-preview's pod identity flags of the add-on's era."""

from azure.cli.command_modules.acs._params import load_arguments as load_stock_arguments

from azext_aks_preview._help import LAB_NOTE
from azext_aks_preview._validators import validate_pod_labels


def load_arguments(loader, command):
    """The stock arguments first, so every other flag of `aks create/update` is unchanged."""
    load_stock_arguments(loader, command)
    for scope in ("aks create", "aks update"):
        with loader.argument_context(scope) as c:
            c.argument(
                "enable_pod_identity",
                action="store_true",
                is_preview=True,
                help="Enable pod identity addon. " + LAB_NOTE,
            )
            c.argument(
                "enable_pod_identity_with_kubenet",
                action="store_true",
                is_preview=True,
                help="Enable pod identity addon for cluster using Kubnet network plugin.",
            )
    with loader.argument_context("aks update") as c:
        c.argument(
            "disable_pod_identity",
            action="store_true",
            is_preview=True,
            help="Disable pod identity addon for cluster.",
        )
    with loader.argument_context("aks pod-identity") as c:
        c.argument("cluster_name", options_list=["--cluster-name"], help="The cluster name.")
    for scope in ("aks pod-identity add", "aks pod-identity delete"):
        with loader.argument_context(scope) as c:
            c.argument(
                "identity_name",
                options_list=["--name", "-n"],
                help="The pod identity name.",
            )
            c.argument(
                "identity_namespace",
                options_list=["--namespace"],
                help="The pod identity namespace.",
            )
    with loader.argument_context("aks pod-identity add") as c:
        c.argument(
            "identity_resource_id",
            options_list=["--identity-resource-id"],
            help="Resource id of the identity to use.",
        )
        c.argument(
            "binding_selector",
            options_list=["--binding-selector"],
            help="Optional binding selector to use.",
        )
    for scope in (
        "aks pod-identity exception add",
        "aks pod-identity exception delete",
        "aks pod-identity exception update",
    ):
        with loader.argument_context(scope) as c:
            c.argument(
                "exc_name", options_list=["--name", "-n"], help="The pod identity exception name."
            )
            c.argument(
                "exc_namespace",
                options_list=["--namespace"],
                help="The pod identity exception namespace.",
            )
    for scope in ("aks pod-identity exception add", "aks pod-identity exception update"):
        with loader.argument_context(scope) as c:
            c.argument(
                "pod_labels",
                nargs="*",
                validator=validate_pod_labels,
                help="Space-separated labels: key=value [key=value ...].",
            )

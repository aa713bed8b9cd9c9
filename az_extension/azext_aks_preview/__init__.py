"""The podid lab's stand-in for aks-preview: pod identity commands and flags on a stock az."""

from azure.cli.core import AzCommandsLoader
from azure.cli.core.commands import CliCommandType
from azure.cli.core.profiles import ResourceType

from azext_aks_preview import _help  # noqa: F401  (registers the help texts)

CUSTOM = "azext_aks_preview.custom#{}"


class PodIdentityCommandsLoader(AzCommandsLoader):
    """Adds `az aks pod-identity` and replaces `az aks create/update` with wrappers."""

    def __init__(self, cli_ctx=None):
        super().__init__(
            cli_ctx=cli_ctx,
            custom_command_type=CliCommandType(operations_tmpl=CUSTOM),
            resource_type=ResourceType.MGMT_CONTAINERSERVICE,
        )

    def load_command_table(self, args):
        from azext_aks_preview.commands import load_command_table

        load_command_table(self, args)
        return self.command_table

    def load_arguments(self, command):
        from azext_aks_preview._params import load_arguments

        load_arguments(self, command)


COMMAND_LOADER_CLS = PodIdentityCommandsLoader

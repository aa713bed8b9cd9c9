"""Microsoft Graph, as far as a stock `az` uses it: resolving principals for role assignments."""

from __future__ import annotations

# The lab serves Graph under this path of its one origin (Azure serves it on its own host).
GRAPH_PATH = "/graph"


def graph_resource(origin: str) -> str:
    """The lab's Graph endpoint, also the audience of tokens for it (as on Azure)."""
    return f"{origin}{GRAPH_PATH}/"

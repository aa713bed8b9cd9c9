"""A toolbox container's start: the image's entrypoint, then the command it names."""

from __future__ import annotations

from .context import PodContext
from .shell import find_command, run_argv, stdio_session

CURL_ENTRYPOINT = "/entrypoint.sh"


def run_container(pod: PodContext, argv: list[str]) -> int:
    """Run a container's (or an exec's) command line; its status is the process's exit code."""
    session = stdio_session(pod)
    if pod.flavor == "curl" and argv[:1] == [CURL_ENTRYPOINT]:
        # curlimages/curl's entrypoint.sh: an option first (or no such command) means curl.
        argv = argv[1:]
        if not argv or argv[0].startswith("-") or find_command(session, argv[0]) is None:
            argv = ["curl", *argv]
    try:
        return run_argv(session, argv, shell=False)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 141

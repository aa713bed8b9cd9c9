"""`python -m podid_lab.workloads.toolbox FLAVOR ARGV...`: run ARGV in a toolbox image.

FLAVOR is `curl` or `busybox`. ARGV is the container's command line (or an exec's command), as
the kubelet resolved it from the image's entrypoint and the pod's `command`/`args`.
"""

from __future__ import annotations

import sys

from .context import current
from .entrypoint import run_container


def main(argv: list[str]) -> int:
    """Run one toolbox command line; the exit status is the command's."""
    flavor, command = argv[0], argv[1:]
    return run_container(current(flavor), command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

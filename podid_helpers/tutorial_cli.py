"""`podid-tutorial`: the learner's machine before and after a session (preflight, uninstall)."""

from __future__ import annotations

import argparse
import sys

from .preflight import preflight
from .uninstall import uninstall


def build_parser() -> argparse.ArgumentParser:
    """The command's arguments."""
    parser = argparse.ArgumentParser(
        prog="podid-tutorial", description="Get a machine ready for the podid tutorial, or tidy up."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("preflight", help="check this machine is ready (starts the lab)")
    remove = sub.add_parser(
        "uninstall",
        help="stop the lab; remove its home, your settings, kubeconfigs and the az environment",
    )
    remove.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `podid-tutorial` command."""
    args = build_parser().parse_args(argv)
    if args.command == "preflight":
        findings = preflight()
        for finding in findings:
            print(finding.text())
        blocked = [f for f in findings if f.blocks]
        print(f"{len(blocked)} problem(s) to fix first" if blocked else "ready for the tutorial")
        return 1 if blocked else 0
    for line in uninstall(dry_run=args.dry_run):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

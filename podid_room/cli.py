"""`podid-room`: start, stop, status and roster of a room of learners on this machine."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .accounts import AccountError
from .home import RoomHome
from .room import LEARNER_PYTHON, REPO_NOTEBOOKS, RoomError, RoomOptions, hub_pid, start, stop


def _env_pair(raw: str) -> tuple[str, str]:
    key, sep, value = raw.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, not {raw!r}")
    return key, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podid-room", description="A room of learners on this machine (JupyterHub)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    begin = commands.add_parser("start", help="create the learners (first time) and start the hub")
    begin.add_argument("--learners", type=int, required=True, help="how many learners (1-200)")
    begin.add_argument("--prefix", default="learner", help="user names: PREFIX01, PREFIX02, …")
    begin.add_argument("--instructor", default="podid-instructor", help="who sees the room view")
    begin.add_argument("--ip", default="127.0.0.1", help="address to listen on (0.0.0.0: all)")
    begin.add_argument("--port", type=int, default=8000, help="the hub's port (0: a free one)")
    begin.add_argument("--cull-minutes", type=float, default=60, help="stop idle servers after")
    begin.add_argument("--stuck-minutes", type=float, default=10, help="flag a learner after")
    begin.add_argument("--notebooks", type=Path, default=REPO_NOTEBOOKS, help="what to copy")
    begin.add_argument(
        "--learner-python",
        type=Path,
        default=LEARNER_PYTHON,
        help="the Python (with this project) learners' servers run from",
    )
    begin.add_argument(
        "--learner-env",
        type=_env_pair,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra variable for every learner's server (repeatable)",
    )
    end = commands.add_parser("stop", help="stop the hub and everything learners run")
    end.add_argument("--remove-users", action="store_true", help="also delete the users it made")
    state = commands.add_parser("status", help="whether the room runs, its address and learners")
    state.add_argument("--json", action="store_true")
    commands.add_parser("roster", help="the names and passwords to hand out")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Run `podid-room`."""
    args = _parser().parse_args(argv)
    home = RoomHome.from_env()
    try:
        if args.command == "start":
            settings = start(
                home,
                RoomOptions(
                    learners=args.learners,
                    prefix=args.prefix,
                    instructor=args.instructor,
                    ip=args.ip,
                    port=args.port,
                    cull_after_s=round(args.cull_minutes * 60),
                    stuck_after_s=round(args.stuck_minutes * 60),
                    notebooks=args.notebooks,
                    learner_python=args.learner_python,
                    extra_env=tuple(args.learner_env),
                ),
            )
            print(f"room running at {settings.url} with {len(settings.learners)} learners")
            if len(settings.learners) != args.learners:
                print("(its learners were made at its first start; to change them: stop it with")
                print(" `podid-room stop --remove-users`, then start again)")
            print(f"room view: {settings.url}/services/podid-room/ (as {settings.instructor})")
            print(f"passwords: podid-room roster (kept 0600 in {home.roster_file})")
        elif args.command == "stop":
            print("\n".join(stop(home, remove_users=args.remove_users)))
        elif args.command == "status":
            _status(home, args.json)
        else:
            for name, password in home.roster().items():
                print(f"{name}\t{password}")
    except (RoomError, AccountError) as exc:
        print(f"podid-room: {exc}", file=sys.stderr)
        sys.exit(1)


def _status(home: RoomHome, as_json: bool) -> None:
    if not home.settings_file.exists():
        print(json.dumps({"running": False}) if as_json else "no room here")
        return
    settings = home.settings()
    running = hub_pid(home) is not None
    if as_json:
        print(json.dumps({"running": running, "url": settings.url, "learners": settings.learners}))
        return
    print(f"room {'running' if running else 'stopped'} at {settings.url}")
    print(f"learners: {', '.join(settings.learners)}; instructor: {settings.instructor}")

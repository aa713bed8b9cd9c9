"""`podid-lab`: run the lab; env, az-env, az-install, config, exercises and signin."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from . import ids, knobs
from .admin import ADMIN_HEADER
from .azcli import write_az_env
from .azinstall import AZ_CLI_VERSION, install_az
from .home import HomeError, LabHome
from .knobs import time_scale_line
from .server import LabError, health, serve, ssl_context, start, status, stop


def connection_info(home: LabHome, port: int) -> dict[str, Any]:
    """What a client needs to reach the running lab (the contract of `env --json`)."""
    origin = f"https://127.0.0.1:{port}"
    info: dict[str, Any] = {
        "tenant_id": ids.TENANT_ID,
        "subscription_id": ids.SUBSCRIPTION_ID,
        "client_id": ids.LEARNER_APP_ID,
        "client_secret": home.learner_secret(),
        "authority_host": origin,
        "arm_endpoint": origin,
        "ca_bundle": str(home.ca_cert),
        "port": port,
        "home": str(home.root),
    }
    kubeconfigs = sorted(home.kubeconfig_dir.glob("*.yaml"), key=lambda p: p.stat().st_mtime)
    if kubeconfigs:
        info["kubeconfig"] = str(kubeconfigs[-1])
    return info


def _admin_call(home: LabHome, port: int, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"https://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={ADMIN_HEADER: home.admin_key(), "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30, context=ssl_context(home)) as resp:
        return json.loads(resp.read())


def _require_running(home: LabHome) -> int:
    current = status(home)
    if not current.running or current.port is None:
        raise LabError("the lab is not running; start it with: podid-lab start")
    return current.port


def cmd_env(home: LabHome, as_json: bool) -> None:
    info = connection_info(home, _require_running(home))
    if as_json:
        print(json.dumps(info, indent=2))
        return
    exports = {
        "AZURE_TENANT_ID": info["tenant_id"],
        "AZURE_SUBSCRIPTION_ID": info["subscription_id"],
        "AZURE_CLIENT_ID": info["client_id"],
        "AZURE_CLIENT_SECRET": info["client_secret"],
        "AZURE_AUTHORITY_HOST": info["authority_host"],
        "PODID_ARM_ENDPOINT": info["arm_endpoint"],
        "REQUESTS_CA_BUNDLE": info["ca_bundle"],
    }
    if "kubeconfig" in info:
        exports["KUBECONFIG"] = info["kubeconfig"]
    for name, value in exports.items():
        print(f"export {name}={shlex.quote(str(value))}")


def cmd_az_env(home: LabHome) -> None:
    print(write_az_env(home, _require_running(home)), end="")


def cmd_az_install(bin_dir: str | None) -> None:
    # The tutorial's environment is on JupyterLab's terminal PATH (`make tutorial`): az goes there.
    target = Path(bin_dir) if bin_dir else Path(sys.executable).parent
    print(f"preparing azure-cli {AZ_CLI_VERSION} in its own environment (about a minute, once)")
    link = install_az(target)
    print(f'az is ready: {link.name} in {target.name}/; next: eval "$(podid-lab az-env)"')


def cmd_config(home: LabHome, args: argparse.Namespace) -> None:
    current = status(home)
    if args.action == "get":
        values = (
            _admin_call(home, current.port, "GET", "/_lab/settings")
            if current.running and current.port
            else knobs.load(home)
        )
        if args.name:
            if args.name not in values:
                raise LabError(f"unknown knob {args.name!r}")
            print(values[args.name])
        else:
            for knob in knobs.KNOBS:
                print(f"{knob.name} = {values[knob.name]}    # {knob.help}")
        return
    try:
        value = knobs.coerce(args.name, args.value)
    except (KeyError, ValueError) as exc:
        raise LabError(str(exc.args[0])) from None
    if current.running and current.port:
        _admin_call(home, current.port, "PATCH", "/_lab/settings", {args.name: value})
    else:
        values = knobs.load(home)
        values[args.name] = value
        knobs.save(home, values)
    print(f"{args.name} = {value}")


def cmd_reset(home: LabHome) -> None:
    current = status(home)
    if current.running and current.port:
        _admin_call(home, current.port, "POST", "/_lab/reset", {})
    else:
        from .lab import Lab

        lab = Lab(home)
        lab.reset()
        lab.close()
    print("lab reset: every resource is gone; CA, keys, learner secret and port are kept")


def _passes(home: LabHome, clear: bool) -> Any:
    current = status(home)
    if current.running and current.port:
        method = "DELETE" if clear else "GET"
        return _admin_call(home, current.port, method, "/_lab/exercises")
    if not home.state_db.exists():
        return {"cleared": 0} if clear else {"value": []}
    # Stopped: read (or clear) the store directly; the lab is not there to disagree.
    from .exercises import ExercisePasses
    from .store import Store

    store = Store(home.state_db)
    try:
        passes = ExercisePasses(store)
        return {"cleared": passes.clear()} if clear else {"value": passes.all()}
    finally:
        store.close()


def cmd_exercises(home: LabHome, as_json: bool, clear: bool) -> None:
    answer = _passes(home, clear)
    if clear:
        print(f"forgot {answer['cleared']} exercise pass(es)")
        return
    done = answer["value"]
    if as_json:
        print(json.dumps(done, indent=2))
        return
    if not done:
        print("no troubleshooting exercise passed yet (notebooks/08-troubleshooting.ipynb)")
        return
    print(f"troubleshooting exercises passed: {len(done)}")
    for doc in done:
        first = time.strftime("%Y-%m-%d %H:%M", time.localtime(doc["firstPassed"]))
        runs = f", passed {doc['passes']} times" if doc["passes"] > 1 else ""
        print(f"  ✓ {doc['exercise']:>3}  {doc['title']}  (first {first}{runs})")


def answer_signin(home: LabHome, answer: str, user_code: str) -> str:
    """Approve or decline a device-code sign-in waiting for the lab user; what happened."""
    port = _require_running(home)
    try:
        done = _admin_call(
            home, port, "POST", "/_lab/signin", {"user_code": user_code, "answer": answer}
        )
    except urllib.error.HTTPError as exc:
        raise LabError(json.loads(exc.read())["error"]["message"]) from None
    return f"sign-in with the code {done['user_code']} {done['state']}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podid-lab", description="Azure and AKS in a box, for the podid tutorial."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the lab in the foreground")
    sub.add_parser("start", help="start the lab in the background (idempotent)")
    sub.add_parser("stop", help="stop the background lab")
    sub.add_parser("status", help="say whether the lab runs")
    sub.add_parser("reset", help="forget every resource (keeps CA, keys, secret, port)")
    env = sub.add_parser("env", help="shell exports for using the lab from a terminal")
    env.add_argument("--json", action="store_true", help="print the connection info as JSON")
    sub.add_parser(
        "az-env",
        help="settings for a stock az CLI against the lab (also written to the lab's home); "
        'use: eval "$(podid-lab az-env)"',
    )
    az_install = sub.add_parser(
        "az-install",
        help=f"prepare a stock az (azure-cli {AZ_CLI_VERSION}, its own cached environment) and "
        "put it next to podid-lab, on JupyterLab's terminal PATH",
    )
    az_install.add_argument("--bin", help="put az in this folder instead")
    config = sub.add_parser("config", help="read or change the lab's knobs")
    config_sub = config.add_subparsers(dest="action", required=True)
    get = config_sub.add_parser("get")
    get.add_argument("name", nargs="?")
    set_ = config_sub.add_parser("set")
    set_.add_argument("name")
    set_.add_argument("value")
    exercises = sub.add_parser(
        "exercises", help="the troubleshooting exercises this learner has passed"
    )
    exercises.add_argument("--json", action="store_true", help="print the passes as JSON")
    exercises.add_argument("--clear", action="store_true", help="forget every pass")
    signin = sub.add_parser(
        "signin", help="answer a device-code sign-in (az login --use-device-code) as the lab user"
    )
    signin.add_argument("answer", choices=["approve", "decline"])
    signin.add_argument("code", help="the code az printed")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `podid-lab` command."""
    args = build_parser().parse_args(argv)
    home = LabHome.from_env()
    try:
        if args.command == "serve":
            serve(home)
        elif args.command == "start":
            st = start(home)
            print(f"lab running (pid {st.pid}) at https://127.0.0.1:{st.port}")
        elif args.command == "stop":
            print("lab stopped" if stop(home) else "lab was not running")
        elif args.command == "status":
            st = status(home)
            if not st.running or st.port is None:
                print("stopped")
                return 3
            print(f"running (pid {st.pid}) at https://127.0.0.1:{st.port}")
            print(time_scale_line((health(home, st.port) or {}).get("knobs", {})))
        elif args.command == "reset":
            cmd_reset(home)
        elif args.command == "env":
            cmd_env(home, args.json)
        elif args.command == "az-env":
            cmd_az_env(home)
        elif args.command == "az-install":
            cmd_az_install(args.bin)
        elif args.command == "config":
            cmd_config(home, args)
        elif args.command == "exercises":
            cmd_exercises(home, args.json, args.clear)
        elif args.command == "signin":
            print(answer_signin(home, args.answer, args.code))
    except (LabError, HomeError, urllib.error.URLError, FileExistsError) as exc:
        print(f"podid-lab: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0

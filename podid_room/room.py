"""Start and stop a room: learners' accounts, the roster, and JupyterHub with its proxy.

`start` is safe to re-run (a running room is left as it is; a stopped one restarts with the
same learners and passwords); `stop` leaves nothing running and, when asked, removes the users
it created.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .accounts import (
    AccountError,
    check_name,
    create_user,
    generate_password,
    remove_user,
    stop_user_processes,
    user_exists,
)
from .home import RoomHome, RoomSettings
from .hub_local import NOTEBOOKS_DIR, stop_learner_lab

__all__ = ["RoomError", "RoomOptions", "hub_pid", "start", "stop"]

REPO_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
# Learners cannot run a Python inside root's home (pyenv, a root-made venv): the room runs
# their servers from an environment they can read (`make room-venv` makes this one).
LEARNER_PYTHON = Path(os.environ.get("PODID_ROOM_PYTHON") or "/opt/podid-room/venv/bin/python")
_LEARNER_IMPORTS = "import jupyterhub, podid_helpers, podid_lab, podid_room.progress"
CONFIG_FILE = Path(__file__).resolve().parent / "jupyterhub_config.py"
_HUB_START_S = 90.0
_HUB_STOP_S = 30.0
_GONE_S = 5.0


class RoomError(RuntimeError):
    """The room cannot start or stop (the message says why and what to do)."""


@dataclass(frozen=True)
class RoomOptions:
    """What `podid-room start` is asked for."""

    learners: int
    prefix: str = "learner"
    instructor: str = "podid-instructor"
    ip: str = "127.0.0.1"
    port: int = 8000
    cull_after_s: int = 3600
    stuck_after_s: int = 600
    poll_s: float = 5.0
    notebooks: Path = REPO_NOTEBOOKS
    learner_python: Path = LEARNER_PYTHON
    extra_env: tuple[tuple[str, str], ...] = ()


# The room's ports are chosen now and bound later by the hub and its proxy, so they come from
# below Linux's ephemeral range (32768-60999): a port the kernel hands to any program asking for
# "a free one" (a kernel's ZeroMQ sockets, a test's client) cannot be taken meanwhile.
_PORT_RANGE = range(20000, 32768)


def _free_ports(count: int, avoid: int = 0) -> list[int]:
    """``count`` distinct ports nothing listens on now (nor ``avoid``), from a random point."""
    start = random.randrange(len(_PORT_RANGE))
    found: list[int] = []
    for offset in range(len(_PORT_RANGE)):
        port = _PORT_RANGE[(start + offset) % len(_PORT_RANGE)]
        if port == avoid:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RoomError(f"no {count} free ports between {_PORT_RANGE.start} and {_PORT_RANGE.stop - 1}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def hub_pid(home: RoomHome) -> int | None:
    """The running hub's process ID, or None."""
    try:
        pid = int(home.hub_pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def _give_notebooks(name: str, source: Path) -> None:
    # The learner's own copy: they edit and save it; nobody else can read their home.
    entry = pwd.getpwnam(name)
    target = Path(entry.pw_dir) / NOTEBOOKS_DIR
    shutil.copytree(source, target, dirs_exist_ok=True)
    for path in [target, *target.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def _check_learner_python(settings: RoomSettings, name: str) -> None:
    done = subprocess.run(
        ["runuser", "-u", name, "--", settings.learner_python, "-c", _LEARNER_IMPORTS],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise RoomError(
            f"learner {name} cannot run {settings.learner_python} with the project ({last}); "
            "run `make room-venv` or pass --learner-python"
        )


def _validate(options: RoomOptions) -> list[str]:
    if not 1 <= options.learners <= 200:
        raise RoomError(f"--learners must be 1-200, not {options.learners}")
    names = [check_name(f"{options.prefix}{i:02d}") for i in range(1, options.learners + 1)]
    check_name(options.instructor)
    if not Path(options.learner_python).exists():
        raise RoomError(
            f"no Python for learners at {options.learner_python}: run `make room-venv` "
            "(or pass --learner-python, a Python with this project installed that any user can run)"
        )
    if not options.notebooks.is_dir():
        raise RoomError(f"no notebooks at {options.notebooks}; pass --notebooks DIR")
    if os.geteuid() != 0:
        raise RoomError("a room creates Unix users and runs a server per learner: run it as root")
    if shutil.which("configurable-http-proxy") is None:
        raise RoomError(
            "configurable-http-proxy is not on PATH: install it with "
            "`sudo apt-get install nodejs npm && sudo npm install -g configurable-http-proxy`"
        )
    taken = [n for n in names if user_exists(n)]
    if taken:
        raise RoomError(f"user(s) {', '.join(taken)} exist already: choose another --prefix")
    return names


def _create_room(home: RoomHome, options: RoomOptions) -> RoomSettings:
    names = _validate(options)
    home.create()
    roster: dict[str, str] = {}
    created: list[str] = []
    ports = _free_ports(4, avoid=options.port)
    settings = RoomSettings(
        learners=names,
        instructor=options.instructor,
        created_users=created,
        ip=options.ip,
        port=options.port or ports[0],
        hub_port=ports[1],
        proxy_api_port=ports[2],
        view_port=ports[3],
        python=sys.executable,
        learner_python=str(options.learner_python),
        cull_after_s=options.cull_after_s,
        stuck_after_s=options.stuck_after_s,
        poll_s=options.poll_s,
        extra_env=dict(options.extra_env),
    )
    wanted = names if user_exists(options.instructor) else [*names, options.instructor]
    try:
        for name in wanted:
            roster[name] = generate_password()
            create_user(name, roster[name])
            created.append(name)
            if name in names:
                _give_notebooks(name, options.notebooks)
        _check_learner_python(settings, names[0])
    except (AccountError, RoomError, OSError):
        for name in created:  # nothing half-made stays behind
            remove_user(name)
        raise
    home.save_roster(roster)
    home.save_settings(settings)
    return settings


def _wait_for_hub(home: RoomHome, settings: RoomSettings, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _HUB_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = home.hub_log.read_text(errors="replace").splitlines()[-15:]
            raise RoomError("JupyterHub exited while starting:\n" + "\n".join(tail))
        try:
            with urllib.request.urlopen(f"{settings.url}/hub/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError, http.client.HTTPException):
            pass  # not up yet (or, for a moment, something else answered there)
        time.sleep(0.5)
    raise RoomError(f"JupyterHub did not answer within {_HUB_START_S:.0f} s; see {home.hub_log}")


def start(home: RoomHome, options: RoomOptions) -> RoomSettings:
    """Start the room (creating learners the first time); return its settings."""
    if home.settings_file.exists():
        settings = home.settings()
        if hub_pid(home) is not None:
            return settings
    else:
        settings = _create_room(home, options)
    env = {**os.environ, "PODID_ROOM_HOME": str(home.root)}
    hub = Path(settings.python).parent / "jupyterhub"
    with open(home.hub_log, "ab") as log:
        process = subprocess.Popen(
            [str(hub), "-f", str(CONFIG_FILE)],
            cwd=home.root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_hub(home, settings, process)
    except RoomError:
        _stop_hub(process.pid)
        raise
    return settings


def _stop_hub(pid: int) -> None:
    # The proxy and the services run in sessions of their own; the hub neither waits for them nor,
    # when killed, stops them, and once it has gone they are no longer its children: note them now.
    below = _descendants(pid)
    # TERM lets the hub stop learners' servers, its services and the proxy it started.
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + _HUB_STOP_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # whatever it left in its own session
    # What it left holds the room's ports until it has exited: stopped means gone.
    for process in below:
        _end(process)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # it ended while we looked
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def _end(pid: int) -> None:
    """TERM ``pid`` if it still runs, KILL it if TERM was not enough, and wait until it is gone."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not _runs(pid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if _gone_within(pid, _GONE_S):
            return


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _runs(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _runs(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie holds no port: not counted)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop(home: RoomHome, remove_users: bool = False) -> list[str]:
    """Stop the hub and everything the room's users run; return what was done, line by line."""
    if not home.settings_file.exists():
        return ["no room here"]
    settings = home.settings()
    done = []
    pid = hub_pid(home)
    if pid is not None:
        _stop_hub(pid)
        done.append("stopped JupyterHub, its proxy and services")
    for name in settings.created_users:
        if not user_exists(name):
            continue
        stop_learner_lab(settings, name)
        count = stop_user_processes(name)
        if count:
            done.append(f"stopped {count} process(es) of {name}")
    if remove_users:
        for name in settings.created_users:
            remove_user(name)
        shutil.rmtree(home.root)
        done.append(f"removed users {', '.join(settings.created_users)} and the room's folder")
    return done or ["nothing was running"]

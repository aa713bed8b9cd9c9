"""Learners' Unix accounts: created with a generated password, removed with all they ran.

One Unix user per learner is what keeps learners apart: each one's lab home is 0700 under a
home only they can read, and JupyterHub's PAM sign-in checks their own password.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path

__all__ = [
    "AccountError",
    "check_name",
    "create_user",
    "generate_password",
    "remove_user",
    "stop_user_processes",
    "user_exists",
    "user_pids",
]

# useradd's own rule on Debian, shortened: lowercase start, then lowercase, digits, '-' or '_'.
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,30}")
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread on a handout


class AccountError(RuntimeError):
    """A learner account could not be created or removed (the message says why)."""


def check_name(name: str) -> str:
    """Return ``name`` if it is a safe Unix user name, else raise AccountError."""
    if not _NAME.fullmatch(name):
        raise AccountError(
            f"{name!r} is not a usable user name: 1-31 lowercase letters, digits, '-' or '_', "
            "starting with a letter"
        )
    return name


def generate_password(length: int = 12) -> str:
    """Return a random password that reads unambiguously on a printed roster."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def user_exists(name: str) -> bool:
    """Whether the Unix user ``name`` exists."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _run(command: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AccountError(f"{' '.join(command[:2])} failed: {done.stderr.strip()}")


def create_user(name: str, password: str) -> Path:
    """Create ``name`` with a private home (0700) and ``password``; return the home."""
    check_name(name)
    if user_exists(name):
        raise AccountError(f"user {name} exists already; pick another prefix or remove it")
    _run(["useradd", "--create-home", "--shell", "/bin/bash", name])
    _run(["chpasswd"], stdin=f"{name}:{password}\n")
    home = Path(pwd.getpwnam(name).pw_dir)
    os.chmod(home, 0o700)
    return home


def user_pids(uid: int) -> list[int]:
    """Return the IDs of the processes whose real user is ``uid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue  # it ended while we looked
        line = next((x for x in status.splitlines() if x.startswith("Uid:")), "")
        if line.split()[1:2] == [str(uid)]:
            found.append(int(entry.name))
    return found


def stop_user_processes(name: str, grace_s: float = 5.0) -> int:
    """Stop every process of user ``name`` (TERM, then KILL after ``grace_s``); return how many."""
    uid = pwd.getpwnam(name).pw_uid
    if uid == 0:
        raise AccountError("refusing to stop root's processes")
    pids = user_pids(uid)
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while user_pids(uid) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in user_pids(uid):
        _signal(pid, signal.SIGKILL)
    return len(pids)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def remove_user(name: str) -> None:
    """Stop everything ``name`` runs, then delete the user and their home."""
    if not user_exists(name):
        return
    stop_user_processes(name)
    _run(["userdel", "--remove", name])

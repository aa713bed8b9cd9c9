"""The busybox commands that show a pod from inside: env, cat, echo, sleep, ls, hostname."""

from __future__ import annotations

import time

from .dns import nslookup
from .net import curl, wget
from .shell import Command, Session, sh


def env(session: Session, args: list[str]) -> int:
    """`env`: the environment, one NAME=value per line."""
    if args:
        session.err("env: the podid lab's toolbox runs `env` without arguments\n")
        return 1
    session.out("".join(f"{k}={v}\n" for k, v in session.variables.items()))
    return 0


def cat(session: Session, args: list[str]) -> int:
    """`cat FILE...`: the pod's files (its mounted volumes, /etc/hostname, /etc/resolv.conf)."""
    status = 0
    for path in args:
        data = session.pod.read(path)
        if data is None:
            if session.pod.listing(path) is not None:
                session.err("cat: read error: Is a directory\n")
            else:
                session.err(f"cat: can't open '{path}': No such file or directory\n")
            status = 1
            continue
        session.out(data)
    if not args:
        session.out(session.stdin.read())
    return status


def echo(session: Session, args: list[str]) -> int:
    """`echo [-n] WORDS`."""
    newline = "\n"
    if args[:1] == ["-n"]:
        args, newline = args[1:], ""
    session.out(" ".join(args) + newline)
    return 0


def sleep(session: Session, args: list[str]) -> int:
    """`sleep SECONDS` (`infinity` too)."""
    if len(args) != 1:
        session.err("sleep: the podid lab's toolbox takes one duration: sleep SECONDS\n")
        return 1
    raw = args[0].rstrip("s")
    try:
        seconds = float("inf") if raw in ("inf", "infinity") else float(raw)
    except ValueError:
        session.err(f"sleep: invalid number '{args[0]}'\n")
        return 1
    while seconds > 0:
        step = min(seconds, 3600.0)
        time.sleep(step)
        seconds -= step
    return 0


def ls(session: Session, args: list[str]) -> int:
    """`ls [-a] [-1] [PATH...]` of the pod's mounted paths and the folders above them."""
    flags = [a for a in args if a.startswith("-")]
    bad = [f for f in flags if set(f[1:]) - {"a", "1"}]
    if bad:
        session.err(f"ls: unsupported option {bad[0]}: the podid lab's toolbox supports -a -1\n")
        return 1
    paths = [a for a in args if not a.startswith("-")] or ["."]
    status = 0
    for path in paths:
        names = session.pod.listing(path)
        if names is None and session.pod.is_file(path):
            names = [path]
        if names is None:
            session.err(f"ls: {path}: No such file or directory\n")
            status = 1
            continue
        if len(paths) > 1:
            session.out(f"{path}:\n")
        if session.stdout.isatty() and "-1" not in flags:
            session.out("  ".join(names) + "\n" if names else "")
        else:
            session.out("".join(f"{n}\n" for n in names))
    return status


def hostname(session: Session, args: list[str]) -> int:
    """`hostname`: the pod's name."""
    session.out(f"{session.pod.name}\n")
    return 0


COMMAND_TABLE: dict[str, Command] = {
    "sh": sh,
    "env": env,
    "cat": cat,
    "echo": echo,
    "sleep": sleep,
    "ls": ls,
    "hostname": hostname,
    "true": lambda session, args: 0,
    "false": lambda session, args: 1,
    "curl": curl,
    "wget": wget,
    "nslookup": nslookup,
}

"""Starting a process in a pod's context, and ending it with everything it started.

A pod spec is data written by whoever may create pods: its environment and arguments must reach
only the program it runs, never the host process that plays the container. So the process is an
isolated interpreter (`python -I`: no PYTHON* variables, no user site, no script folder on the
path) with an environment the lab sets, running `supervisor.py`; the program, its arguments and
the container's environment travel through a pipe, and only the workload's `os.environ` and
`sys.argv` receive them, after the interpreter has started. A pod's PATH, LD_PRELOAD, HOME,
PYTHONSTARTUP, BROWSER and the like are then plain values the workload may read, as in a
container; and since libraries act on some of them at run time, the workload is confined to
what a container would hold (`confine`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import proctree

SUPERVISOR = Path(__file__).with_name("supervisor.py")
PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
# Seconds between SIGTERM and SIGKILL when a pod's process is stopped (the supervisor passes
# SIGTERM on and waits GRACE_SECONDS itself; this is the lab's own backstop).
KILL_AFTER_SECONDS = 3.0
# What the interpreter itself starts with: nothing from the pod, nothing from the lab's caller.
_INTERPRETER_ENV = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}


@dataclass(frozen=True)
class PodProcess:
    """What to run in a pod: a workload module, its arguments and its whole environment."""

    module: str
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    label: str = ""  # namespace/pod/container, shown by `ps` (never read back)
    # Host paths the workload may not read though they lie below a readable root (the lab's
    # home), and paths it may read all the same (the CA certificate, the pod's own tokens).
    denied: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    # Its standard streams are a terminal (`kubectl exec -t`, a container with `tty: true`):
    # the workload then leads a session of its own with that terminal as its controlling one.
    tty: bool = False


def _payload(spec: PodProcess) -> bytes:
    return json.dumps(
        {
            "module": spec.module,
            "args": spec.args,
            "env": spec.env,
            # The lab's own import path (never the pod's): the workload finds the lab's code and
            # libraries however the lab was installed (a venv, PYTHONPATH, a source checkout).
            "path": [PROJECT_ROOT, *(p for p in sys.path if p)],
            "parent": os.getpid(),
            "confine": {"denied": spec.denied, "exceptions": spec.exceptions},
            "tty": spec.tty,
        }
    ).encode()


def _write_all(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BrokenPipeError:
        pass  # the supervisor died at once; its exit status tells the story
    finally:
        os.close(fd)


async def start_in_pod(
    spec: PodProcess,
    *,
    stdin: int = asyncio.subprocess.DEVNULL,
    stdout: int = asyncio.subprocess.PIPE,
    stderr: int = asyncio.subprocess.STDOUT,
) -> asyncio.subprocess.Process:
    """Start `spec` as a supervised pod process (its own session; ended by `stop_process`)."""
    read, write = os.pipe()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-u",
            str(SUPERVISOR),
            str(read),
            spec.label,
            spec.module,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=_INTERPRETER_ENV,
            cwd="/",
            pass_fds=(read,),
            start_new_session=True,
        )
    except BaseException:
        os.close(write)
        raise
    finally:
        os.close(read)
    # In a thread: a large environment can exceed the pipe's buffer before the child reads.
    await asyncio.to_thread(_write_all, write, _payload(spec))
    return process


def stop_process(process: asyncio.subprocess.Process) -> None:
    """Ask a pod process to stop (SIGTERM to it and, through it, to its tree); kill it after a
    grace period if it has not."""
    if process.returncode is not None:
        return
    proctree.send(process.pid, signal.SIGTERM)
    asyncio.get_running_loop().call_later(KILL_AFTER_SECONDS, kill_process, process)


def kill_process(process: asyncio.subprocess.Process) -> None:
    """SIGKILL a pod process and every process below it."""
    if process.returncode is None:
        proctree.kill_tree(process.pid)


def sweep_orphans(known: set[int]) -> list[int]:
    """Kill and reap the lab's children that are not pod processes it started (Linux).

    The lab is a child subreaper and starts no other children, so such a child is a descendant
    of a pod process that died (e.g. SIGKILLed) before it could take its tree down: its container
    is gone, so it must go too.
    """
    if not proctree.LINUX:
        return []
    me = os.getpid()
    orphans = [pid for pid in proctree.children(me) if pid not in known]
    for pid in orphans:
        proctree.kill_tree(pid)
    for pid in orphans:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    return orphans

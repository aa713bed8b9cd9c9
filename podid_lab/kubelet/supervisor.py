"""A container's first process: it starts the workload and ends with it, as a container's init.

The kubelet runs this file with an isolated interpreter (`python -I -u supervisor.py FD LABEL
MODULE`)
and a clean environment of its own, and sends the container's data (program, args, environment)
as JSON through the pipe FD, so nothing from a pod spec reaches the interpreter, the dynamic
linker or anything else that acts before the workload's first line. The supervisor then:

- becomes a child subreaper, so whatever the workload starts (even with `setsid`) stays below it;
- asks for SIGTERM when the lab exits (Linux), or watches for that elsewhere;
- forks the workload, which (given a terminal) leads a session of its own with the terminal as
  its controlling one, so Ctrl-C interrupts the workload and not the supervisor; confines itself
  (`confine`: no programs, no writes, reads only of what a container would hold); sets
  `os.environ` and `sys.argv` to the container's and runs the program's module as `__main__`;
- on SIGTERM (the pod is going away, or the lab is), passes SIGTERM on to every process below it,
  waits a grace period, then kills what is left; when the workload exits, it kills what the
  workload left behind (a container's processes end with its main process) and exits with the
  workload's status.

LABEL (`namespace/pod/container`) and MODULE are there for `ps`; the supervisor reads neither
(the pipe is the only source it trusts).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from typing import Any, NoReturn

GRACE_SECONDS = 2.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _read_payload(fd: int) -> dict[str, Any]:
    with os.fdopen(fd, "rb") as pipe:
        return json.loads(pipe.read())  # type: ignore[no-any-return]


def _run_workload(payload: dict[str, Any]) -> NoReturn:
    """In the forked child: become the container's program, then exit with its status."""
    import runpy

    from podid_lab.kubelet import confine

    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    if payload["tty"]:
        _take_terminal()
    rules = payload["confine"]
    confine.install(confine.Policy(confine.default_roots(), rules["denied"], rules["exceptions"]))
    os.environ.clear()
    os.environ.update(payload["env"])
    sys.argv = [payload["module"], *payload["args"]]
    code = 0
    try:
        runpy.run_module(payload["module"], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)  # as the interpreter does for sys.exit("message")
            code = 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _take_terminal() -> None:
    """Lead a new session whose controlling terminal is stdin (Ctrl-C, Ctrl-\\ and a hang-up
    then reach the workload, as they reach a container's shell)."""
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _watch_parent(parent: int, on_gone: Any) -> None:
    """Where no parent-death signal exists: notice the lab's exit by polling."""

    def loop() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        on_gone()

    threading.Thread(target=loop, name="parent-watchdog", daemon=True).start()


def main() -> NoReturn:
    """Read the container's data, start its workload, and supervise it until it ends."""
    payload = _read_payload(int(sys.argv[1]))
    sys.path[:0] = [p for p in payload["path"] if p not in sys.path]
    from podid_lab.kubelet import proctree

    me = os.getpid()
    # Where there is no /proc to walk: the process groups to take down (ours last: it is ours).
    groups = [os.getpgrp()]

    def stop(*_: object) -> None:
        proctree.signal_descendants(me, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and proctree.descendants(me):
            time.sleep(0.05)
        end(128 + signal.SIGTERM)

    def end(code: int) -> NoReturn:
        if proctree.LINUX:
            proctree.kill_descendants(me)
        else:
            # No /proc to walk: the workload shares our process group (we lead it) or, on a
            # terminal, leads its own, so take the groups down, ourselves included (the exit
            # status is then SIGKILL's).
            for group in groups:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
        os._exit(code)

    for sig in _STOP_SIGNALS:
        signal.signal(sig, stop)
    proctree.become_subreaper()
    parent = int(payload["parent"])
    if not proctree.signal_on_parent_death(signal.SIGTERM):
        _watch_parent(parent, lambda: os.kill(me, signal.SIGTERM))
    if os.getppid() != parent:
        end(0)  # the lab died before we could ask to be told
    # Blocked across the fork: the child must not run our handler before it drops it.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    child = os.fork()
    if child == 0:
        _run_workload(payload)
    if payload["tty"]:
        groups.insert(0, child)  # _take_terminal made it a group leader
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)  # we are the reaper of everything below us
        except ChildProcessError:
            end(1)
        except InterruptedError:
            continue
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            end(code if code >= 0 else 128 - code)  # killed by signal N: 128+N, as a shell says


if __name__ == "__main__":
    main()

"""Process trees on the host: who descends from whom, and ending a whole tree.

A pod's processes may start children that leave its process group and session (`setsid`), so
the kubelet cannot end a pod by its group alone. On Linux the supervisor of each container and
the lab are child subreapers (`PR_SET_CHILD_SUBREAPER`): an orphan is re-parented to the nearest
of them instead of init, so every descendant stays in a tree the lab can walk in /proc.
Elsewhere the process group is all there is. Standard library only: the container supervisor
imports this before anything else.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

LINUX = sys.platform.startswith("linux")
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_PROC = Path("/proc")
# Rounds of "walk the tree, kill what is there": a process forking in a loop may add children
# between a walk and its kills; each round kills the parents, so the tree shrinks.
_KILL_ROUNDS = 20


def _prctl(option: int, value: int) -> bool:
    """Call prctl(2); False where it does not exist or fails."""
    if not LINUX:
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Make orphaned descendants of this process its children, not init's (Linux)."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def signal_on_parent_death(sig: int) -> bool:
    """Have the kernel send `sig` to this process when its parent exits (Linux)."""
    return _prctl(_PR_SET_PDEATHSIG, int(sig))


def _parents(*, zombies: bool = False) -> dict[int, int]:
    """pid -> parent pid for every process in /proc; zombies (already dead) only if asked."""
    parents: dict[int, int] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it exited while we looked
        # The command name may hold spaces and parentheses; the fields after the last ')' do not.
        fields = stat.rsplit(")", 1)[-1].split()
        if zombies or fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    return parents


def children(pid: int) -> list[int]:
    """The direct children of `pid`, zombies included (they are still to be reaped; Linux)."""
    return [child for child, parent in _parents(zombies=True).items() if parent == pid]


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, parents before their children (Linux)."""
    by_parent: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        by_parent.setdefault(parent, []).append(child)
    found: list[int] = []
    todo = list(by_parent.get(pid, []))
    while todo:
        current = todo.pop(0)
        found.append(current)
        todo.extend(by_parent.get(current, []))
    return found


def send(pid: int, sig: int) -> None:
    """Send `sig` to `pid` if it is still there."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def signal_descendants(pid: int, sig: int) -> None:
    """Send `sig` to every process below `pid` (not `pid` itself)."""
    if not LINUX:
        return
    for below in descendants(pid):
        send(below, sig)


def kill_descendants(pid: int) -> None:
    """SIGKILL every process below `pid`, until none is left or the rounds run out (Linux)."""
    if not LINUX:
        return
    for _ in range(_KILL_ROUNDS):
        below = descendants(pid)
        if not below:
            return
        for child in below:
            send(child, signal.SIGKILL)


def kill_tree(pid: int) -> None:
    """SIGKILL `pid` and everything below it; where there is no /proc, its process group."""
    if LINUX:
        # The root last: its descendants would otherwise be re-parented away from it.
        kill_descendants(pid)
        send(pid, signal.SIGKILL)
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)

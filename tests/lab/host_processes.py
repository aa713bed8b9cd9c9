"""What the host's /proc says about a pod's processes (Linux), for the lab tests."""

from __future__ import annotations

from pathlib import Path


def _stat_fields(pid: int) -> list[str]:
    # The command name may hold spaces and parentheses; the fields after the last ')' do not.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()


def pod_pids(namespace: str, pod: str, container: str) -> list[int]:
    """PIDs of a container's supervisor and workload (the supervisor's argv names the pod)."""
    label = f"{namespace}/{pod}/{container}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if label in argv:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie)."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except OSError:
        return False


def parent_of(pid: int) -> int:
    return int(_stat_fields(pid)[1])


def session_of(pid: int) -> int:
    return int(_stat_fields(pid)[3])

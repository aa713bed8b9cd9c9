"""What a pod's workload may do on the host: read its own files, start and write nothing.

A container's environment reaches the workload's `os.environ` (see `process`), and libraries
act on some of it at run time: `platform` runs `uname` found on PATH (with LD_PRELOAD inherited),
urllib3 appends TLS secrets to SSLKEYLOGFILE, azure-identity reads AZURE_FEDERATED_TOKEN_FILE
and sends it to AZURE_AUTHORITY_HOST. In a container those touch the container's own filesystem;
here the workload is a host process, so an audit hook (PEP 578, installed before the workload's
first line and impossible to remove) keeps it to what a container would hold: it may read the
interpreter, its libraries, the lab's workload code, system configuration, the lab's CA
certificate and the pod's own projected tokens; it may not start a program, write, rename or
remove a file, or load a native library from elsewhere. The lab's workloads need nothing more.

This guards against hostile *data* in a pod spec running through trusted workload code; it is
no sandbox for hostile code (which could, say, call libc through ctypes).
Standard library only: the container supervisor installs it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

# Events that start a program or replace the process: never allowed.
_PROCESS_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.system",
        "os.fork",
        "os.forkpty",
        "os.startfile",
        "pty.spawn",
    }
)
# Events that change the host's files: never allowed.
_MUTATING_EVENTS = frozenset(
    {
        "os.chmod",
        "os.chown",
        "os.chflags",
        "os.link",
        "os.mkdir",
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.symlink",
        "os.truncate",
        "os.utime",
        "os.setxattr",
        "os.removexattr",
        "shutil.chown",
        "shutil.copyfile",
        "shutil.copymode",
        "shutil.copystat",
        "shutil.copytree",
        "shutil.make_archive",
        "shutil.move",
        "shutil.rmtree",
        "shutil.unpack_archive",
        "sqlite3.connect",
    }
)
_SYSTEM_ROOTS = ("/usr", "/lib", "/lib64", "/etc", "/dev/null", "/dev/urandom", "/dev/random")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class Policy:
    """The host paths a workload may read: allowed roots minus denied ones, plus exceptions."""

    def __init__(self, roots: Iterable[str], denied: Iterable[str], exceptions: Iterable[str]):
        self.roots = tuple(_real(p) for p in roots)
        self.denied = tuple(_real(p) for p in denied)
        self.exceptions = tuple(_real(p) for p in exceptions)

    def readable(self, path: str) -> bool:
        """Whether the workload may open `path` for reading."""
        real = _real(path)
        if _below(real, self.exceptions):
            return True
        return _below(real, self.roots) and not _below(real, self.denied)


def _real(path: str) -> str:
    return os.path.realpath(path)


def _below(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _writes(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def default_roots() -> list[str]:
    """The interpreter, its libraries and the system's shared files."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    return [*prefixes, *(p for p in sys.path if p), *_SYSTEM_ROOTS, f"/proc/{os.getpid()}"]


def install(policy: Policy) -> None:
    """Confine this process (and the rest of its life) to `policy`."""
    own_proc = f"/proc/{os.getpid()}"

    def deny(what: str, target: object) -> None:
        raise PermissionError(f"podid lab: a pod's process may not {what} on the host: {target}")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = [*args, None, None][:3]
            if isinstance(path, int) or path is None:
                return  # an already open descriptor
            path = os.fsdecode(path)
            if _writes(mode, flags):
                if _real(path) not in ("/dev/null",):
                    deny("write", path)
            elif not policy.readable(path) and not _below(_real(path), (own_proc,)):
                deny("read", path)
        elif event in _PROCESS_EVENTS:
            deny("start a program", args[0] if args else event)
        elif event in _MUTATING_EVENTS:
            deny(f"change files ({event})", args[0] if args else "")
        elif event == "ctypes.dlopen":
            name = os.fsdecode(args[0]) if args and args[0] else ""
            if "/" in name and not policy.readable(name):
                deny("load a library", name)

    sys.addaudithook(hook)

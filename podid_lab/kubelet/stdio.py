"""A pod process's standard streams: pipes, or a terminal when the container or exec asks for one.

Container processes and `kubectl exec` processes start here. With a TTY the process gets a
pseudo-terminal of its own (the kubelet's runtime does the same), so line editing, echo and
Ctrl-C/Ctrl-D behave as in a real container; without one it gets pipes. `ProcessIO` is what
exec and attach read from and write to.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import sys
import termios
from dataclasses import dataclass

_PR_SET_PDEATHSIG = 1
_CHUNK = 65536
# Ctrl-D: what closing a terminal's input means to the program reading it.
_END_OF_INPUT = b"\x04"


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the lab exits (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def _child_setup(tty: bool) -> None:
    if sys.platform.startswith("linux"):
        _die_with_parent()
    if tty:
        # The terminal becomes the new session's controlling terminal (Ctrl-C -> SIGINT).
        with contextlib.suppress(OSError):
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@dataclass
class ProcessIO:
    """A running process of a pod, with its streams."""

    process: asyncio.subprocess.Process
    master: int | None = None  # the terminal's other end, when the process has a TTY

    @property
    def pid(self) -> int:
        """The process ID."""
        return self.process.pid

    async def read_output(self) -> bytes:
        """The next output (stdout, and stderr when merged or on a TTY); b"" at the end."""
        if self.master is not None:
            return await self._read_terminal()
        assert self.process.stdout is not None
        return await self.process.stdout.read(_CHUNK)

    async def read_errors(self) -> bytes:
        """The next stderr output when it is separate; b"" at the end."""
        if self.process.stderr is None:
            return b""
        return await self.process.stderr.read(_CHUNK)

    async def _read_terminal(self) -> bytes:
        assert self.master is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                return os.read(self.master, _CHUNK)
            except BlockingIOError:
                ready: asyncio.Future[None] = loop.create_future()
                loop.add_reader(self.master, _settle, ready)
                try:
                    await ready
                finally:
                    loop.remove_reader(self.master)
            except OSError:
                return b""  # EIO: every process holding the terminal has ended

    def write(self, data: bytes) -> None:
        """Feed the process's standard input."""
        if self.master is not None:
            with contextlib.suppress(OSError):
                os.write(self.master, data)
        elif self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.write(data)

    def close_input(self) -> None:
        """End the process's standard input (on a TTY: the end-of-input character)."""
        if self.master is not None:
            self.write(_END_OF_INPUT)
        elif self.process.stdin is not None:
            self.process.stdin.close()

    def resize(self, width: int, height: int) -> None:
        """Set the terminal's size (a TTY only)."""
        if self.master is not None:
            with contextlib.suppress(OSError):
                fcntl.ioctl(
                    self.master, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0)
                )

    def signal(self, sig: int) -> None:
        """Signal the process and its children (its own process group)."""
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    async def wait(self) -> int:
        """Wait for the exit; the exit code."""
        code = await self.process.wait()
        return code

    def release(self) -> None:
        """Close the terminal once the process is gone."""
        if self.master is not None:
            with contextlib.suppress(OSError):
                os.close(self.master)
            self.master = None


async def start_with_stdio(
    argv: list[str], env: dict[str, str], *, stdin: bool, tty: bool, merge_stderr: bool
) -> ProcessIO:
    """Start argv with exactly env; stdin/tty as the container or exec asked for."""
    master: int | None = None
    if tty:
        master, slave = os.openpty()
        streams: tuple[int, int, int] = (slave, slave, slave)
    else:
        pipe, null = asyncio.subprocess.PIPE, asyncio.subprocess.DEVNULL
        streams = (
            pipe if stdin else null,
            pipe,
            asyncio.subprocess.STDOUT if merge_stderr else pipe,
        )
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=streams[0],
            stdout=streams[1],
            stderr=streams[2],
            env=env,
            start_new_session=True,
            preexec_fn=lambda: _child_setup(tty),
        )
    finally:
        if master is not None:
            os.close(streams[0])
    if master is not None:
        os.set_blocking(master, False)
    return ProcessIO(process, master)

"""A pod process's standard streams: pipes, or a terminal when the container or exec asks for one.

Container processes and `kubectl exec` processes start here, through the supervisor
(`process.start_in_pod`). With a TTY the process gets a pseudo-terminal of its own (the kubelet's
runtime does the same), so line editing, echo and Ctrl-C/Ctrl-D behave as in a real container;
without one it gets pipes. `ProcessIO` is what the container log, exec and attach read from and
write to.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import struct
import termios
from dataclasses import dataclass

from .process import PodProcess, kill_process, start_in_pod, stop_process

_CHUNK = 65536
# Ctrl-D: what closing a terminal's input means to the program reading it.
_END_OF_INPUT = b"\x04"


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@dataclass(eq=False)  # one per process: compared and hashed by identity
class ProcessIO:
    """A running process of a pod, with its streams."""

    process: asyncio.subprocess.Process
    master: int | None = None  # the terminal's other end, when the process has a TTY

    @property
    def pid(self) -> int:
        """The process ID (the supervisor's)."""
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

    def stop(self) -> None:
        """Ask the process and its tree to stop (SIGTERM, then SIGKILL after a grace period)."""
        stop_process(self.process)

    def kill(self) -> None:
        """SIGKILL the process and its tree at once."""
        kill_process(self.process)

    async def wait(self) -> int:
        """Wait for the exit; the exit code."""
        return await self.process.wait()

    def release(self) -> None:
        """Close the terminal once the process is gone."""
        if self.master is not None:
            with contextlib.suppress(OSError):
                os.close(self.master)
            self.master = None


async def start_with_stdio(spec: PodProcess, *, stdin: bool, merge_stderr: bool) -> ProcessIO:
    """Start `spec` in its pod, with stdin and a terminal (`spec.tty`) as its container or exec
    asked for."""
    master: int | None = None
    if spec.tty:
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
        process = await start_in_pod(spec, stdin=streams[0], stdout=streams[1], stderr=streams[2])
    except BaseException:
        if master is not None:
            os.close(master)
        raise
    finally:
        if master is not None:
            os.close(streams[0])
    if master is not None:
        os.set_blocking(master, False)
    return ProcessIO(process, master)

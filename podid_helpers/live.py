"""Progress for long operations: elapsed time and state while waiting, nothing left behind.

nbval compares a cell's first rendering of each output and ignores later updates and clears,
so anything shown while waiting would differ from the stored notebook. Progress is therefore
shown only when a human watches (JupyterLab: one display updated in place, then emptied; a
terminal: one line on stderr, then erased) and never in headless runs. The step's result, a
deterministic line, is what stays.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Protocol, TypeVar

from .form import is_headless

__all__ = ["LiveStatus", "wait_for_poller", "wait_until"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class _Handle(Protocol):
    def update(self, obj: Any, **kwargs: Any) -> None: ...


def _ipython_kernel() -> bool:
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    ip = get() if get is not None else None
    return ip is not None and getattr(ip, "kernel", None) is not None


class LiveStatus:
    """A status line for ``what`` that shows elapsed seconds and a state, and then vanishes."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.started = time.monotonic()
        self._handle: _Handle | None = None
        self._tty = False
        self._enabled = not is_headless()

    def __enter__(self) -> LiveStatus:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def watched(self) -> bool:
        """Whether progress is shown at all (a human in JupyterLab or at a terminal)."""
        return self._enabled

    @property
    def elapsed(self) -> float:
        """Seconds since the status was created."""
        return time.monotonic() - self.started

    def show(self, state: str) -> None:
        """Show ``⏳ what — state (12 s)`` in place of the previous status."""
        if not self._enabled:
            return
        line = f"⏳ {self.what} — {state} ({self.elapsed:.0f} s)"
        if self._handle is None and not self._tty:
            self._start(line)
        elif self._handle is not None:
            self._handle.update({"text/plain": line}, raw=True)
        else:
            sys.stderr.write(f"\r\x1b[2K{line}")
            sys.stderr.flush()

    def _start(self, line: str) -> None:
        if _ipython_kernel():
            from IPython.display import display

            self._handle = display(  # type: ignore[no-untyped-call]
                {"text/plain": line}, raw=True, display_id=True
            )
        elif sys.stderr.isatty():
            self._tty = True
            sys.stderr.write(line)
            sys.stderr.flush()
        else:
            # Neither a notebook nor a terminal (a log file): progress would only add noise.
            self._enabled = False

    def close(self) -> None:
        """Remove the status line."""
        if self._handle is not None:
            self._handle.update({"text/plain": ""}, raw=True)
            self._handle = None
        if self._tty:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
            self._tty = False


class _Poller(Protocol[T_co]):
    def done(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> None: ...
    def result(self, timeout: float | None = None) -> T_co: ...
    def status(self) -> str: ...


def wait_for_poller(
    poller: _Poller[T], what: str, state: Callable[[], str | None] | None = None
) -> T:
    """Wait for an Azure long-running operation, showing ``state()`` (else the poller's)."""
    with LiveStatus(what) as live:
        while not poller.done():
            # state() costs a request: only ask when someone is watching.
            shown = state() if state is not None and live.watched else None
            live.show(shown or poller.status())
            poller.wait(0.5)
        return poller.result()


# The first re-check comes this soon, then the pause doubles up to the caller's interval: a
# change that is quick (the lab, a pod starting) is seen at once, a slow one (Azure registering a
# feature) is asked about no more often than the interval.
FIRST_RECHECK_SECONDS = 0.05


def poll_delays(interval: float) -> Iterator[float]:
    """The pauses between checks: doubling from FIRST_RECHECK_SECONDS up to ``interval``."""
    delay = min(FIRST_RECHECK_SECONDS, interval)
    while True:
        yield delay
        delay = min(delay * 2, interval)


def wait_until(
    what: str,
    probe: Callable[[], tuple[bool, str]],
    *,
    timeout: float,
    interval: float = 0.5,
) -> tuple[bool, str]:
    """Call ``probe`` until it returns ``(True, state)`` or ``timeout`` passes; return the last."""
    with LiveStatus(what) as live:
        deadline = time.monotonic() + timeout
        delays = poll_delays(interval)
        while True:
            ok, state = probe()
            if ok or time.monotonic() >= deadline:
                return ok, state
            live.show(state)
            time.sleep(next(delays))

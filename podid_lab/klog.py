"""Log lines in klog's format (`Lmmdd hh:mm:ss.uuuuuu  pid file:line] msg`), as Go prints."""

from __future__ import annotations

import sys
import time

# Inside a container the demo is PID 1, and klog prints the PID right-aligned in 7 columns.
_PID = 1


def line(severity: str, source: str, message: str, now: float | None = None) -> str:
    """One klog line; `severity` is I, W, E or F and `source` is `file.go:NN`."""
    now = time.time() if now is None else now
    stamp = time.strftime("%m%d %H:%M:%S", time.gmtime(now))
    micros = int((now % 1) * 1_000_000)
    # klog ends a line with a newline only if the message has none (an HTTP body often does).
    message = message.removesuffix("\n")
    return f"{severity}{stamp}.{micros:06d} {_PID:7d} {source}] {message}"


def info(source: str, message: str) -> None:
    """Write an I line to stderr (klog's default sink) and flush it at once."""
    print(line("I", source, message), file=sys.stderr, flush=True)


def error(source: str, message: str) -> None:
    """Write an E line to stderr and flush it at once."""
    print(line("E", source, message), file=sys.stderr, flush=True)

"""Following a pod's log as `kubectl logs --follow` does, until the lines we wait for appear."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .live import LiveStatus
from .lookups import kube_errors

if TYPE_CHECKING:
    from .session import Session


def _read_timeouts() -> tuple[type[BaseException], ...]:
    import urllib3.exceptions

    return (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError, TimeoutError)


def follow_pod_log(
    session: Session,
    pod: str,
    namespace: str,
    *,
    done: Callable[[list[str]], bool],
    timeout: float,
) -> list[str]:
    """The pod's log lines, read until ``done(lines)`` is true or ``timeout`` seconds pass."""
    from kubernetes import watch

    lines: list[str] = []
    deadline = time.monotonic() + timeout
    stream = watch.Watch()  # type: ignore[no-untyped-call]
    with LiveStatus(f"following the log of pod {pod}") as live, kube_errors():
        try:
            for line in stream.stream(  # type: ignore[no-untyped-call]
                session.core_v1.read_namespaced_pod_log,
                name=pod,
                namespace=namespace,
                follow=True,
                _request_timeout=timeout,
            ):
                lines.append(str(line))
                live.show(f"{len(lines)} lines")
                if done(lines) or time.monotonic() > deadline:
                    break
        except _read_timeouts():
            pass  # no new line before the timeout: report what was read
        finally:
            stream.stop()  # type: ignore[no-untyped-call]
    return lines

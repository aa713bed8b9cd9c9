"""Pods and namespaces as the tutorial's steps handle them: make sure a namespace exists, delete a
pod and wait until it is gone, follow a pod's log until the lines we wait for appear."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import PodidError
from .i18n import _
from .live import LiveStatus, wait_until
from .lookups import find_pod, kube_errors

if TYPE_CHECKING:
    from .session import Session

POD_START_TIMEOUT = 120.0


def ensure_namespace(session: Session, namespace: str) -> None:
    """Create the namespace unless it exists (AKS makes the pod identity's; a learner may not)."""
    from kubernetes.client import V1Namespace, V1ObjectMeta
    from kubernetes.client.exceptions import ApiException

    with kube_errors():
        try:
            session.core_v1.read_namespace(namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise
            session.core_v1.create_namespace(V1Namespace(metadata=V1ObjectMeta(name=namespace)))


def delete_pod_and_wait(session: Session, name: str, namespace: str) -> None:
    """``kubectl delete pod``, which waits until the pod is gone."""
    with kube_errors():
        session.core_v1.delete_namespaced_pod(name, namespace)
    ok, _state = wait_until(
        _("deleting pod {pod}").format(pod=name),
        lambda: (find_pod(session, name, namespace) is None, "Terminating"),
        timeout=POD_START_TIMEOUT,
    )
    if not ok:
        raise PodidError(
            _("pod {pod} is still terminating; run this cell again shortly.").format(pod=repr(name))
        )


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
    container: str | None = None,
) -> list[str]:
    """The pod's (or one container's) log lines, until ``done(lines)`` or ``timeout`` seconds."""
    from kubernetes import watch

    lines: list[str] = []
    deadline = time.monotonic() + timeout
    stream = watch.Watch()  # type: ignore[no-untyped-call]
    following = _("following the log of pod {pod}").format(pod=pod)
    with LiveStatus(following) as live, kube_errors():
        try:
            for line in stream.stream(  # type: ignore[no-untyped-call]
                session.core_v1.read_namespaced_pod_log,
                name=pod,
                namespace=namespace,
                follow=True,
                **({"container": container} if container else {}),
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


def placed_summary(pod: str, namespace: str, *, created: bool) -> str:
    """A deploy step's summary: the pod was created in its namespace, or was already there."""
    line = (
        _("pod {pod} created in namespace {namespace}")
        if created
        else _("pod {pod} exists in namespace {namespace}")
    )
    return line.format(pod=repr(pod), namespace=repr(namespace))

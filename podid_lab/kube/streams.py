"""`kubectl exec`, `attach` and `run -it` over WebSocket: the remote-command protocol.

kubectl 1.30+ opens a WebSocket with the subprotocol `v5.channel.k8s.io` (client-go also knows
`v4.channel.k8s.io`). Every binary message starts with a channel byte: 0 stdin, 1 stdout,
2 stderr, 3 the error channel (a `Status` once the command ends), 4 terminal resize (JSON
`{"Width", "Height"}`); v5 adds 255 = "close this channel" (kubectl's end of stdin). The lab
serves no SPDY (the older upgrade): such a request gets a Status naming the kubectl it needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..kubelet.runtime import ExecError
from ..kubelet.stdio import ProcessIO
from . import errors
from .kinds import PODS

if TYPE_CHECKING:
    from ..lab import Lab
    from .models import Cluster

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
SUCCESS: dict[str, Any] = {"metadata": {}, "status": "Success"}


def spdy_refused() -> errors.KubeError:
    """The Status for an SPDY upgrade (kubectl before 1.30, or WebSockets turned off)."""
    # The wording is the lab's own: a real API server speaks SPDY too.
    return errors.bad_request(
        "the podid lab serves exec, attach and run -it over WebSocket only "
        "(v5.channel.k8s.io, v4.channel.k8s.io), not SPDY: use kubectl 1.30 or newer and leave "
        "KUBECTL_REMOTE_COMMAND_WEBSOCKETS unset (or true)"
    )


def exit_status(command: list[str], code: int) -> dict[str, Any]:
    """What the kubelet writes on the error channel when a command ends with `code`."""
    if code == 0:
        return SUCCESS
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command "
        f"[{' '.join(command)}], exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def internal_error(message: str) -> dict[str, Any]:
    """A start failure on the error channel, as the kubelet's streaming server reports it."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"Internal error occurred: error executing command in container: {message}",
        "reason": "InternalError",
        "details": {"causes": [{"message": f"error executing command in container: {message}"}]},
        "code": 500,
    }


class Channels:
    """The multiplexed streams of one WebSocket (writes serialised)."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._lock = asyncio.Lock()

    async def send(self, channel: int, data: bytes) -> None:
        """Send data on a channel."""
        async with self._lock:
            await self.websocket.send_bytes(bytes([channel]) + data)

    async def finish(self, status: dict[str, Any]) -> None:
        """Send the final Status and close normally."""
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.send(ERROR, json.dumps(status).encode())
            await self.websocket.close(1000)


async def _feed(
    websocket: WebSocket, process: ProcessIO, *, stdin: bool, close_input_on_end: bool
) -> None:
    """Client -> process: stdin, the end of stdin, terminal resizes; until the client leaves."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("bytes") or b""
            if not data:
                continue
            channel, payload = data[0], data[1:]
            if channel == STDIN and stdin:
                process.write(payload)
            elif channel == RESIZE:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    size = json.loads(payload)
                    process.resize(int(size["Width"]), int(size["Height"]))
            elif channel == CLOSE and payload[:1] == bytes([STDIN]) and close_input_on_end:
                process.close_input()
    finally:
        if close_input_on_end:
            process.close_input()


async def _copy(read: Any, channels: Channels, channel: int) -> None:
    while chunk := await read():
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await channels.send(channel, chunk)


def _target(websocket: WebSocket) -> tuple[str, str, str, str]:
    """(cluster key, namespace, pod, exec|attach) from the path, or a 404."""
    parts = websocket.path_params.get("path", "").strip("/").split("/")
    if len(parts) != 7 or parts[:3] != ["api", "v1", "namespaces"] or parts[4] != "pods":
        raise errors.server_not_found()
    if parts[6] not in ("exec", "attach"):
        raise errors.server_not_found()
    return websocket.path_params["key"], parts[3], parts[5], parts[6]


def _authorised(websocket: WebSocket, cluster: Cluster) -> bool:
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    tokens = cluster.doc["tokens"].values()
    return scheme.lower() == "bearer" and any(hmac.compare_digest(token.strip(), t) for t in tokens)


def _container(pod: dict[str, Any], requested: str) -> str:
    names = [c["name"] for c in pod["spec"].get("containers", [])]
    if not requested:
        return str(names[0])
    if requested not in names:
        raise errors.bad_request(
            f"container {requested} is not valid for pod {pod['metadata']['name']}"
        )
    return requested


async def stream(websocket: WebSocket) -> None:
    """Serve one exec or attach WebSocket."""
    lab: Lab = websocket.app.state.lab
    try:
        key, namespace, name, verb = _target(websocket)
        cluster = lab.kube.by_key(key)
        if cluster is None:
            raise errors.server_not_found()
        if not _authorised(websocket, cluster):
            raise errors.UNAUTHORIZED
        pod = cluster.get(PODS, namespace, name)
        container = _container(pod, websocket.query_params.get("container", ""))
        if not pod["spec"].get("nodeName"):
            raise errors.bad_request(f"pod {name} does not have a host assigned")
    except errors.KubeError as exc:
        await websocket.send_denial_response(JSONResponse(exc.status(), status_code=exc.code))
        return
    offered = [p.strip() for p in websocket.headers.get("sec-websocket-protocol", "").split(",")]
    chosen = next((p for p in PROTOCOLS if p in offered), None)
    if chosen is None:
        refusal = errors.bad_request(
            f"the podid lab speaks {' and '.join(PROTOCOLS)} for {verb}; the client offered "
            f"{', '.join(p for p in offered if p) or 'none'}"
        )
        await websocket.send_denial_response(
            JSONResponse(refusal.status(), status_code=refusal.code)
        )
        return
    await websocket.accept(subprotocol=chosen)
    flags = {k: websocket.query_params.get(k, "") in ("true", "1") for k in ("stdin", "tty")}
    channels = Channels(websocket)
    if verb == "exec":
        command = websocket.query_params.getlist("command")
        await _exec(lab, channels, cluster, pod, container, command, **flags)
    else:
        await _attach(lab, channels, cluster, pod, container, **flags)


async def _exec(
    lab: Lab,
    channels: Channels,
    cluster: Cluster,
    pod: dict[str, Any],
    container: str,
    command: list[str],
    *,
    stdin: bool,
    tty: bool,
) -> None:
    try:
        process = await lab.runtime.exec_in(cluster, pod, container, command, stdin=stdin, tty=tty)
    except ExecError as exc:
        await channels.finish(internal_error(str(exc)))
        return
    feeder = asyncio.create_task(
        _feed(channels.websocket, process, stdin=stdin, close_input_on_end=True)
    )
    # A client that leaves ends its command, as the kubelet's streaming server does.
    feeder.add_done_callback(lambda _: process.kill())
    try:
        await asyncio.gather(
            _copy(process.read_output, channels, STDOUT),
            _copy(process.read_errors, channels, STDERR),
        )
        code = await process.wait()
    finally:
        if process.process.returncode is None:  # the client went away first
            process.kill()
        process.release()
        feeder.cancel()
    await channels.finish(exit_status(command, code))


async def _attach(
    lab: Lab,
    channels: Channels,
    cluster: Cluster,
    pod: dict[str, Any],
    container: str,
    *,
    stdin: bool,
    tty: bool,
) -> None:
    meta = pod["metadata"]
    spec = next(c for c in pod["spec"]["containers"] if c["name"] == container)
    target = (cluster.key, meta["namespace"], meta["name"], container)
    try:
        process, output = lab.runtime.attach_to(*target)
    except ExecError as exc:
        await channels.finish(internal_error(str(exc)))
        return
    feeder = asyncio.create_task(
        _feed(
            channels.websocket,
            process,
            stdin=stdin and bool(spec.get("stdin")),
            close_input_on_end=bool(spec.get("stdinOnce")),
        )
    )
    copier = asyncio.create_task(_copy(output.get, channels, STDOUT))
    try:
        # Until the container's process ends, or the client detaches (the container runs on).
        await asyncio.wait([copier, feeder], return_when=asyncio.FIRST_COMPLETED)
    finally:
        copier.cancel()
        lab.runtime.detach(*target, output)
        feeder.cancel()
    await channels.finish(SUCCESS)

"""Running the lab: serve in the foreground, or start/stop/status it in the background."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from .home import DEFAULT_PORT, HomeError, LabHome, open_private_log, write_private

READY_TIMEOUT = 20.0


class LabError(Exception):
    """The lab could not be started, reached or stopped."""


# How long a stopping lab waits for its connections. A request in flight needs milliseconds; an
# idle kept-alive TLS connection would hold the whole wait, as the server's close_notify gets no
# answer from a client that keeps it pooled (every SDK and kubectl does). uvicorn's hint says int,
# but it hands the value to asyncio.timeout, which takes any number of seconds.
STOP_GRACE_SECONDS = 0.25


@dataclass(frozen=True)
class Status:
    """Whether the lab runs, and where."""

    running: bool
    pid: int | None
    port: int | None


def configured_port() -> int:
    """`PODID_LAB_PORT`, else the fixed default (0 means any free port)."""
    raw = os.environ.get("PODID_LAB_PORT", "")
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or int(raw) > 65535:
        raise LabError(f"PODID_LAB_PORT must be a port number or 0, not {raw!r}")
    return int(raw)


def _bind(port: int) -> socket.socket:
    """A TCP socket bound to 127.0.0.1:`port` (0 = any free port); OSError if it is taken."""
    # proto=IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections; without it a
    # response's body waits ~40 ms behind its headers (Nagle + delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


def _listen(port: int, variable: str) -> socket.socket:
    """A socket on a port the learner chose: taken means a clear error saying what to do."""
    try:
        return _bind(port)
    except OSError as exc:
        raise LabError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; is another lab running? "
            f"Set {variable} to another port, or 0 for any free one."
        ) from None


def _listen_imds(home: LabHome, https_port: int) -> socket.socket:
    """The IMDS socket: `PODID_LAB_IMDS_PORT` if set (it must be free); else the port this lab
    had on the same HTTPS port before, or the one after the HTTPS port, or any free one.

    Only the lab's own pods are told the IMDS port, so when a derived port is taken (another
    program's connection may hold it between a stop and a restart) any free one serves as well.
    """
    raw = os.environ.get("PODID_LAB_IMDS_PORT", "")
    if raw.isdigit():
        return _listen(int(raw), "PODID_LAB_IMDS_PORT")
    candidates = []
    if https_port and _read_int(home.port_file) == https_port:
        candidates.append(_read_int(home.imds_port_file))
    candidates.append(https_port + 1 if 0 < https_port < 65535 else None)
    for port in candidates:
        if port:
            with contextlib.suppress(OSError):
                return _bind(port)
    return _bind(0)


def serve(home: LabHome, port: int | None = None) -> None:
    """Run the lab in this process until interrupted: HTTPS for Azure and Kubernetes, plain
    HTTP for the pods' IMDS endpoints (IMDS is plain HTTP)."""
    import asyncio

    import uvicorn

    from .app import build_app
    from .keyvault.listeners import uvicorn_opener
    from .kubelet.proctree import become_subreaper
    from .lab import Lab
    from .nmi.http import build_imds_app

    os.umask(0o077)  # whatever the lab (or SQLite, or az) creates in its home is private
    home.ensure()
    # Orphans of pod processes come to the lab, which ends them (see kubelet.process).
    reaps_orphans = become_subreaper()
    wanted = configured_port() if port is None else port
    sock = _listen(wanted, "PODID_LAB_PORT")
    imds_sock = _listen_imds(home, wanted)
    bound, imds_bound = sock.getsockname()[1], imds_sock.getsockname()[1]
    lab = Lab(home)
    lab.reaps_orphans = reaps_orphans
    lab.origin = f"https://127.0.0.1:{bound}"
    lab.imds_origin = f"http://127.0.0.1:{imds_bound}"
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(lab),
            ssl_certfile=str(home.server_cert),
            ssl_keyfile=str(home.server_key),
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=STOP_GRACE_SECONDS,  # type: ignore[arg-type]
        )
    )
    imds = uvicorn.Server(
        uvicorn.Config(
            build_imds_app(lab),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=STOP_GRACE_SECONDS,  # type: ignore[arg-type]
        )
    )

    async def run_both() -> None:
        # Only the HTTPS server handles signals; the IMDS server stops when it does.
        imds_task = asyncio.create_task(imds._serve(sockets=[imds_sock]))
        # Each key vault answers on a port of its own (see keyvault.listeners).
        lab.vault_listeners.opener = uvicorn_opener(lab)
        lab.vault_listeners.start_all()
        try:
            await server.serve(sockets=[sock])
        finally:
            imds.should_exit = True
            await imds_task

    write_private(home.port_file, f"{bound}\n".encode())
    write_private(home.imds_port_file, f"{imds_bound}\n".encode())
    write_private(home.pid_file, f"{os.getpid()}\n".encode())
    try:
        asyncio.run(run_both())
    finally:
        lab.close()
        if home.pid_file.exists() and home.pid_file.read_text().strip() == str(os.getpid()):
            home.pid_file.unlink()


def _read_int(path: Any) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    # A lab started by this process and since stopped is a zombie until reaped: not alive.
    stat_file = f"/proc/{pid}/stat"
    if os.path.exists(stat_file):
        with open(stat_file) as fh:
            if fh.read().rsplit(")", 1)[-1].split()[0] == "Z":
                _reap(pid)
                return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ssl_context(home: LabHome) -> ssl.SSLContext:
    """A client context that trusts the lab's CA."""
    return ssl.create_default_context(cafile=str(home.ca_cert))


def health(home: LabHome, port: int, timeout: float = 2.0) -> dict[str, Any] | None:
    """The lab's /_lab/health document, or None if it does not answer."""
    try:
        with urllib.request.urlopen(
            f"https://127.0.0.1:{port}/_lab/health", timeout=timeout, context=ssl_context(home)
        ) as resp:
            return json.loads(resp.read())  # type: ignore[no-any-return]
    except (OSError, urllib.error.URLError, ValueError):
        return None


def status(home: LabHome) -> Status:
    """Running only if the recorded process lives and answers its health route."""
    pid, port = _read_int(home.pid_file), _read_int(home.port_file)
    if pid is None or port is None or not _alive(pid):
        return Status(False, None, None)
    return Status(health(home, port) is not None, pid, port)


def start(home: LabHome, port: int | None = None) -> Status:
    """Start the lab in the background unless it runs; return once it answers."""
    current = status(home)
    if current.running:
        return current
    try:
        home.ensure()
    except HomeError as exc:
        raise LabError(str(exc)) from None
    home.pid_file.unlink(missing_ok=True)
    env = {**os.environ, "PODID_LAB_HOME": str(home.root)}
    if port is not None:
        env["PODID_LAB_PORT"] = str(port)
    log = os.fdopen(open_private_log(home.log_file), "ab")
    log_start = log.tell()
    proc = subprocess.Popen(
        [sys.executable, "-m", "podid_lab", "serve"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    log.close()
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            exited = f"the lab exited with code {proc.returncode}; see {home.log_file}"
            reason = _startup_error(home, log_start)
            raise LabError(f"{reason} ({exited})" if reason else exited)
        pid = _read_int(home.pid_file)
        port_now = _read_int(home.port_file)
        if pid == proc.pid and port_now and health(home, port_now, timeout=1.0):
            return Status(True, pid, port_now)
        time.sleep(0.05)
    proc.kill()
    raise LabError(f"the lab did not become ready in {READY_TIMEOUT:.0f} s; see {home.log_file}")


def _startup_error(home: LabHome, offset: int) -> str | None:
    """The error a lab that failed to start wrote to its log (`podid-lab: ...`), if any."""
    try:
        with open(home.log_file, "rb") as fh:
            fh.seek(offset)
            lines = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    errors = [line.removeprefix("podid-lab: ") for line in lines if line.startswith("podid-lab: ")]
    return errors[-1] if errors else None


def stop(home: LabHome, timeout: float = 10.0) -> bool:
    """Stop the background lab; True if one was running."""
    pid = _read_int(home.pid_file)
    if pid is None or not _alive(pid):
        home.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
        _reap(pid)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    home.pid_file.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    """Collect a child we started ourselves (so it does not linger as a zombie)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)

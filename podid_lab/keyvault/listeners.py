"""One HTTPS listener per vault, so each vault has an origin of its own (`vaultUri`).

Ports are chosen when a vault is created and kept in the lab's state, so a vault's URI survives
a restart; should its port be taken by then, the vault moves to a free one (its `vaultUri`
follows). Listeners start only while the lab serves (the server sets `opener`).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..lab import Lab

log = logging.getLogger("podid_lab.keyvault")

PORTS = "vaultPorts"
# Binds a socket on 127.0.0.1:<port> (0 = any) and serves the data plane on it; returns
# (bound port, handle whose `should_exit = True` stops it).
Opener = Callable[[int], tuple[int, Any]]


class VaultListeners:
    """Which port serves which vault, and the running listeners."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self.opener: Opener | None = None
        self._running: dict[str, Any] = {}

    def url_for(self, name: str) -> str:
        """The vault's URI (`https://127.0.0.1:<port>/`), opening its listener if need be."""
        return f"https://127.0.0.1:{self._ensure(name.lower())}/"

    def vault_at(self, port: int) -> str | None:
        """The name of the vault served on `port`."""
        doc = self._lab.store.get(PORTS, str(port))
        return None if doc is None else str(doc["vault"])

    def _port_of(self, name: str) -> int | None:
        for key, doc in self._lab.store.scan(PORTS):
            if doc["vault"] == name:
                return int(key)
        return None

    def _ensure(self, name: str) -> int:
        port = self._port_of(name)
        if name in self._running and port is not None:
            return port
        if self.opener is None:
            if port is None:
                port = _free_port()
                self._lab.store.put(PORTS, str(port), {"vault": name})
            return port
        try:
            bound, handle = self.opener(port or 0)
        except OSError:
            log.warning("port %s of vault %s is taken; moving it to a free port", port, name)
            bound, handle = self.opener(0)
        if bound != port:
            if port is not None:
                self._lab.store.delete(PORTS, str(port))
            self._lab.store.put(PORTS, str(bound), {"vault": name})
        self._running[name] = handle
        return bound

    def start_all(self) -> None:
        """Open the listeners of every live vault (the lab has just started serving)."""
        for _, doc in list(self._lab.store.scan(PORTS)):
            vault = self._lab.vaults.by_name(doc["vault"])
            if vault is None:
                continue
            uri = self.url_for(doc["vault"])
            if vault["properties"]["vaultUri"] != uri:
                vault["properties"]["vaultUri"] = uri
                self._lab.resources.put(vault)

    def close(self, name: str) -> None:
        """Stop serving a vault (deleted); its port stays reserved for its recovery."""
        handle = self._running.pop(name.lower(), None)
        if handle is not None:
            handle.should_exit = True

    def forget(self, name: str) -> None:
        """Stop serving a vault and release its port (purged)."""
        self.close(name)
        port = self._port_of(name.lower())
        if port is not None:
            self._lab.store.delete(PORTS, str(port))

    def tick(self) -> None:
        """Close listeners whose vault is gone (e.g. after a reset)."""
        for name in list(self._running):
            if self._lab.vaults.by_name(name) is None:
                self.close(name)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uvicorn_opener(lab: Lab) -> Opener:
    """An opener serving the data plane over HTTPS with the lab's certificate, on this loop."""
    import asyncio

    import uvicorn

    from ..server import STOP_GRACE_SECONDS
    from .http import build_vault_app

    app = build_vault_app(lab)

    def open_listener(port: int) -> tuple[int, Any]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            raise
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                ssl_certfile=str(lab.home.server_cert),
                ssl_keyfile=str(lab.home.server_key),
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=STOP_GRACE_SECONDS,  # type: ignore[arg-type]
            )
        )
        asyncio.get_running_loop().create_task(server._serve(sockets=[sock]))
        return int(sock.getsockname()[1]), server

    return open_listener

"""A cluster API on a lab, driven by a stock kubectl and the kubernetes Python client."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import uvicorn
import yaml
from kubernetes import client, config

from podid_lab.app import build_app
from podid_lab.home import LabHome, write_private
from podid_lab.lab import Lab

KUBECTL = "/usr/bin/kubectl"


@dataclass
class KubeCluster:
    """One cluster API: its kubeconfig (0600), kubectl with a fresh HOME, and API clients."""

    cluster_id: str
    server: str
    kubeconfig: Path
    home: Path
    api: client.ApiClient = field(init=False)

    def __post_init__(self) -> None:
        self.api = config.new_client_from_config(config_file=str(self.kubeconfig))

    @property
    def key(self) -> str:
        return self.server.rsplit("/", 1)[-1]

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api)

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    @property
    def crds(self) -> client.ApiextensionsV1Api:
        return client.ApiextensionsV1Api(self.api)

    def kubectl(
        self, *args: str, input: str | None = None, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against the cluster (with its own HOME: no discovery cache from others)."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin"),
            "HOME": str(self.home),
            "KUBECONFIG": str(self.kubeconfig),
        }
        return subprocess.run(
            [KUBECTL, *args], env=env, input=input, capture_output=True, text=True, timeout=timeout
        )

    def kubectl_popen(self, *args: str) -> subprocess.Popen[str]:
        """Start a long-running kubectl (e.g. `get -w`); the caller ends it."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin"),
            "HOME": str(self.home),
            "KUBECONFIG": str(self.kubeconfig),
        }
        return subprocess.Popen(
            [KUBECTL, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def raw(
        self, method: str, path: str, *, token: str | None = "", **kwargs: Any
    ) -> requests.Response:
        """An HTTPS request to the API server (token "": the kubeconfig's, None: none)."""
        headers = kwargs.pop("headers", {})
        if token == "":
            token = yaml.safe_load(self.kubeconfig.read_text())["users"][0]["user"]["token"]
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(
            method,
            self.server + path,
            headers=headers,
            verify=self.api.configuration.ssl_ca_cert,
            timeout=30,
            **kwargs,
        )


def make_cluster(
    home: LabHome, origin: str, ca_bundle: str, folder: Path, **spec: Any
) -> KubeCluster:
    """Create a cluster API through the admin route and write its kubeconfig (0600)."""
    resp = requests.post(
        f"{origin}/_lab/kube/clusters",
        json=spec,
        headers={"x-podid-lab-key": home.admin_key()},
        verify=ca_bundle,
        timeout=30,
    )
    resp.raise_for_status()
    body = resp.json()
    folder.mkdir(parents=True, exist_ok=True)
    kubeconfig = folder / "kubeconfig"
    write_private(kubeconfig, body["kubeconfig"].encode())
    (folder / "home").mkdir(exist_ok=True)
    return KubeCluster(body["clusterId"], body["server"], kubeconfig, folder / "home")


class InProcessLab:
    """A lab served from a thread of this process, so tests can drive the node side
    (pod status, log lines) on the server's own event loop."""

    def __init__(self, root: Path) -> None:
        self.home = LabHome(root)
        self.lab = Lab(self.home)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.origin = f"https://127.0.0.1:{sock.getsockname()[1]}"
        app = build_app(self.lab, tickers=[self._capture_loop])
        cfg = uvicorn.Config(
            app,
            ssl_certfile=str(self.home.server_cert),
            ssl_keyfile=str(self.home.server_key),
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(cfg)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 20
        while not (self._ready.is_set() and self._server.started):
            if time.monotonic() > deadline:
                raise RuntimeError("the in-process lab did not start")
            time.sleep(0.02)

    def _capture_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._ready.set()

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` on the server's event loop (where the lab's state lives); return its result."""
        assert self._loop is not None
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except Exception as exc:  # handed back to the test thread
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout=10)

    def stop(self) -> None:
        """Stop serving and close the store."""
        self._server.should_exit = True
        self._thread.join(10)
        self.lab.close()


def lines(text: str) -> list[list[str]]:
    """kubectl's table output split into columns (on runs of 2+ spaces)."""
    import re

    return [re.split(r"\s{2,}", line.strip()) for line in text.strip().splitlines()]


def dump(obj: Any) -> str:
    """JSON for kubectl's stdin."""
    return json.dumps(obj)

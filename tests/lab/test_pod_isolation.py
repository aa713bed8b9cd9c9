"""A pod spec is data: hostile container env and args, applied through the real Kubernetes API,
reach only the workload's own environment and argv, and leave no trace on the host; what
libraries do with that environment at run time cannot read the lab's secrets or write files."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from podid_lab.home import LabHome
from podid_lab.server import stop

from .aks_steps import create_cluster, wait_for
from .conftest import azure_for, start_on_free_port
from .host_processes import alive, parent_of, pod_pids

NS = "attack"
DEMO_IMAGE = "mcr.microsoft.com/oss/azure/aad-pod-identity/demo:v1.6.3"
MARKER = "MARKER"  # every attack tries to create its folder's MARKER file on the host
INTERPRETER_ENV = {"LANG", "LC_ALL", "PATH"}  # all a pod process's exec environment may hold
PYVER = f"python{sys.version_info.major}.{sys.version_info.minor}"


@dataclass
class Lab:
    home: LabHome
    core: client.CoreV1Api
    info: dict[str, Any]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("isolation")
    home = LabHome(root / "lab")
    start_on_free_port(home)
    az = azure_for(home)
    # The pods here only need their IMDS calls to fail, not a learner's pace of failing.
    assert az.admin("PATCH", "/_lab/settings", {"time_scale": 1 / 4096}).ok
    create_cluster(az, "iso-rg", "iso-aks")
    creds = az.aks.managed_clusters.list_cluster_admin_credentials("iso-rg", "iso-aks")
    kubeconfig = root / "kubeconfig"
    kubeconfig.write_bytes(creds.kubeconfigs[0].value)
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    core.create_namespace({"metadata": {"name": NS}})
    yield Lab(home, core, az.info)
    stop(home)


def _touch_script(folder: Path, name: str) -> Path:
    """An executable that creates the folder's marker (what a hijacked lookup would run)."""
    path = folder / name
    path.write_text(f"#!/bin/sh\ntouch {folder / MARKER}\n")
    path.chmod(0o755)
    return path


def _python_touch(folder: Path) -> str:
    return f"open({str(folder / MARKER)!r}, 'w').close()\n"


def _shared_object(folder: Path) -> Path:
    """A library whose constructor creates the marker (for the dynamic linker's variables)."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler to build the preload library")
    source = folder / "evil.c"
    source.write_text(
        "#include <fcntl.h>\n#include <unistd.h>\n"
        "unsigned int la_version(unsigned int v) { return v; }\n"
        "__attribute__((constructor)) static void hit(void) {\n"
        f'  int fd = open("{folder / MARKER}", O_CREAT | O_WRONLY, 0600);\n'
        "  if (fd >= 0) close(fd);\n}\n"
    )
    library = folder / "evil.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


def _browser(folder: Path) -> dict[str, str]:
    # The issue's attack: a warnings filter naming `antigravity` imports it at start-up, and it
    # opens a "browser" — any command BROWSER names.
    return {
        "PYTHONWARNINGS": "ignore::antigravity.X",
        "BROWSER": f"sh -c 'touch {folder / MARKER}' #%s",
    }


def _ld_preload(folder: Path) -> dict[str, str]:
    return {"LD_PRELOAD": str(_shared_object(folder))}


def _ld_audit(folder: Path) -> dict[str, str]:
    return {"LD_AUDIT": str(_shared_object(folder))}


def _ld_library_path(folder: Path) -> dict[str, str]:
    library = _shared_object(folder)
    for name in ("libz.so.1", "libffi.so.8", "libssl.so.3", "libcrypto.so.3"):
        (folder / name).symlink_to(library)
    return {"LD_LIBRARY_PATH": str(folder)}


def _pythonpath(folder: Path) -> dict[str, str]:
    for name in ("sitecustomize.py", "usercustomize.py"):
        (folder / name).write_text(_python_touch(folder))
    return {"PYTHONPATH": str(folder)}


def _pythonstartup(folder: Path) -> dict[str, str]:
    (folder / "startup.py").write_text(_python_touch(folder))
    return {"PYTHONSTARTUP": str(folder / "startup.py"), "PYTHONINSPECT": "1"}


def _path(folder: Path) -> dict[str, str]:
    for name in ("python3", "python", "sh", "uname", "ldconfig", "gcc", "cc", "file", "az"):
        _touch_script(folder, name)
    return {"PATH": str(folder)}


def _home(folder: Path) -> dict[str, str]:
    site = folder / ".local" / "lib" / PYVER / "site-packages"
    site.mkdir(parents=True)
    (site / "evil.pth").write_text(f"import os; {_python_touch(folder).strip()}\n")
    return {"HOME": str(folder)}


def _pythonuserbase(folder: Path) -> dict[str, str]:
    site = folder / "lib" / PYVER / "site-packages"
    site.mkdir(parents=True)
    (site / "evil.pth").write_text(f"import os; {_python_touch(folder).strip()}\n")
    return {"PYTHONUSERBASE": str(folder)}


def _pythonhome(folder: Path) -> dict[str, str]:
    # A PYTHONHOME the interpreter obeyed would break its start-up (the pod could not run).
    return {"PYTHONHOME": str(folder)}


def _ssl_key_log(folder: Path) -> dict[str, str]:
    # The ssl module appends TLS secrets to SSLKEYLOGFILE unless the environment is ignored.
    return {"SSLKEYLOGFILE": str(folder / MARKER)}


def _pycache_prefix(folder: Path) -> dict[str, str]:
    return {"PYTHONPYCACHEPREFIX": str(folder / MARKER)}


VECTORS: dict[str, Callable[[Path], dict[str, str]]] = {
    "browser": _browser,
    "ld-preload": _ld_preload,
    "ld-audit": _ld_audit,
    "ld-library-path": _ld_library_path,
    "pythonpath": _pythonpath,
    "pythonstartup": _pythonstartup,
    "path": _path,
    "home": _home,
    "pythonuserbase": _pythonuserbase,
    "pythonhome": _pythonhome,
    "sslkeylogfile": _ssl_key_log,
    "pycache-prefix": _pycache_prefix,
}


def demo_pod(name: str, env: dict[str, str], args: list[str] | None = None) -> dict[str, Any]:
    """A demo pod whose start line shows `env`'s first value (through MY_POD_IP = $(NAME))."""
    first = next(iter(env))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "demo",
                    "image": DEMO_IMAGE,
                    "args": args if args is not None else ["--retry-wait-time=1s"],
                    "env": [
                        *({"name": k, "value": v} for k, v in env.items()),
                        {
                            "name": "MY_POD_NAME",
                            "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                        },
                        {
                            "name": "MY_POD_NAMESPACE",
                            "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                        },
                        {"name": "MY_POD_IP", "value": f"$({first})"},
                    ],
                }
            ],
        },
    }


def exec_environment(pid: int) -> dict[str, str]:
    """The environment `pid` was started with (what the interpreter and the linker saw)."""
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if item)


def log_with(core: client.CoreV1Api, pod: str, text: str, timeout: float = 30) -> str:
    def read() -> str | None:
        try:
            log = core.read_namespaced_pod_log(pod, NS)
        except client.ApiException:
            return None
        return log if text in log else None

    return str(wait_for(read, timeout))


@pytest.mark.parametrize("vector", list(VECTORS))
def test_hostile_env_reaches_only_the_workload(lab: Lab, tmp_path: Path, vector: str) -> None:
    env = VECTORS[vector](tmp_path)
    pod = f"env-{vector}"
    lab.core.create_namespaced_pod(NS, demo_pod(pod, env))
    value = next(iter(env.values()))
    # The workload got the value: the demo's start line prints MY_POD_IP, i.e. that value.
    log_with(lab.core, pod, f"starting demo pod {NS}/{pod} {value}\n")
    pids = pod_pids(NS, pod, "demo")
    assert len(pids) == 2, pids  # the supervisor and its workload
    for pid in pids:
        assert set(exec_environment(pid)) <= INTERPRETER_ENV, exec_environment(pid)
    # The demo's first token and ARM requests (imports, warnings, HTTP) have happened.
    log_with(lab.core, pod, "main.go:87")
    lab.core.delete_namespaced_pod(pod, NS)
    wait_for(lambda: not any(alive(p) for p in pids), timeout=15)
    assert not (tmp_path / MARKER).exists()


@pytest.mark.parametrize(
    "args",
    [
        ["-c", f"import os; open('{MARKER}', 'w')"],
        ["--subscriptionid=$(touch MARKER)", "; touch MARKER", "`touch MARKER`"],
        ["-m", "antigravity"],
    ],
    ids=["interpreter-options", "shell-syntax", "module-option"],
)
def test_hostile_args_reach_only_the_workload_argv(
    lab: Lab, tmp_path: Path, args: list[str], request: pytest.FixtureRequest
) -> None:
    pod = f"args-{request.node.callspec.id}"
    marker = tmp_path / MARKER
    args = [a.replace(MARKER, str(marker)) for a in args]
    lab.core.create_namespaced_pod(NS, demo_pod(pod, {"X": "x"}, args))

    def finished() -> Any:
        phase = lab.core.read_namespaced_pod(pod, NS).status.phase
        return phase if phase in ("Succeeded", "Failed") else None

    # The demo's own flag parser sees the args (they are not the interpreter's, not a shell's).
    log = log_with(lab.core, pod, "demo: error:")
    assert "usage: demo" in log
    assert wait_for(finished, timeout=30) == "Failed"
    assert not marker.exists()
    assert not Path(MARKER).exists()


def test_a_workload_whose_supervisor_is_killed_is_ended_by_the_lab(lab: Lab) -> None:
    pod = "orphaned"
    lab.core.create_namespaced_pod(NS, demo_pod(pod, {"X": "x"}))
    log_with(lab.core, pod, "starting demo pod")
    pids = pod_pids(NS, pod, "demo")
    [workload] = [p for p in pids if parent_of(p) in pids]  # forked by its supervisor
    [supervisor] = [p for p in pids if p != workload]
    os.kill(supervisor, signal.SIGKILL)
    # The workload is re-parented to the lab (a subreaper), which ends it as an orphan.
    wait_for(lambda: not alive(workload), timeout=15)
    lab.core.delete_namespaced_pod(pod, NS)


def workload_identity_pod(name: str, env: dict[str, str]) -> dict[str, Any]:
    """The quick start's msal-go pod, with its projected token, and `env` on top."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "app",
                    "image": "ghcr.io/azure/azure-workload-identity/msal-go",
                    "env": [{"name": k, "value": v} for k, v in env.items()],
                    "volumeMounts": [
                        {"name": "token", "mountPath": "/var/run/secrets/azure/tokens"}
                    ],
                }
            ],
            "volumes": [
                {
                    "name": "token",
                    "projected": {
                        "sources": [
                            {
                                "serviceAccountToken": {
                                    "audience": "api://AzureADTokenExchange",
                                    "path": "azure-identity-token",
                                }
                            }
                        ]
                    },
                }
            ],
        },
    }


def credential_env(lab: Lab) -> dict[str, str]:
    """What the webhook would inject, the secret's vault being the lab's (it answers 401)."""
    return {
        "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000001",
        "AZURE_TENANT_ID": lab.info["tenant_id"],
        "AZURE_AUTHORITY_HOST": lab.info["authority_host"],
        "AZURE_FEDERATED_TOKEN_FILE": "/var/run/secrets/azure/tokens/azure-identity-token",
        "KEYVAULT_URL": lab.info["arm_endpoint"] + "/",
        "SECRET_NAME": "any",
    }


def test_a_token_file_variable_cannot_send_the_labs_keys(lab: Lab) -> None:
    # azure-identity reads AZURE_FEDERATED_TOKEN_FILE and posts it as the client assertion.
    pod = "exfil"
    stolen = lab.home.admin_key_file
    env = {**credential_env(lab), "AZURE_FEDERATED_TOKEN_FILE": str(stolen)}
    lab.core.create_namespaced_pod(NS, workload_identity_pod(pod, env))
    log = log_with(lab.core, pod, "failed to get secret from keyvault")
    assert f"a pod's process may not read on the host: {stolen}" in log
    assert lab.home.admin_key() not in log


def test_a_key_log_variable_writes_nothing(lab: Lab, tmp_path: Path) -> None:
    # urllib3 appends TLS secrets to SSLKEYLOGFILE, from os.environ, whatever `-I` says.
    pod = "keylog"
    env = {**credential_env(lab), "SSLKEYLOGFILE": str(tmp_path / MARKER)}
    lab.core.create_namespaced_pod(NS, workload_identity_pod(pod, env))
    log = log_with(lab.core, pod, "failed to get secret from keyvault")
    assert f"a pod's process may not write on the host: {tmp_path / MARKER}" in log
    assert not (tmp_path / MARKER).exists()

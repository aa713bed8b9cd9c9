"""The Kubernetes room's hub config loads with KubeSpawner and builds a learner's pod.

No cluster or image build is possible here: this checks the config, as the hub would load it
from the chart's values, and the pod KubeSpawner would ask the cluster for.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from traitlets.config import Config

from podid_room.progress import SERVER_ARGS

kubespawner = pytest.importorskip("kubespawner")
VALUES = Path(__file__).resolve().parents[2] / "podid_room" / "kube" / "values.yaml"


def _hub_config() -> Config:
    values = yaml.safe_load(VALUES.read_text())
    c = Config()
    # What the chart's jupyterhub_config.py does with each hub.extraConfig snippet.
    for snippet in values["hub"]["extraConfig"].values():
        exec(snippet, {"c": c, "get_config": lambda: c})
    return c


def test_the_hub_config_selects_kubespawner_and_the_room_view() -> None:
    c = _hub_config()
    assert c.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert "access:servers" in roles["room-view"]["scopes"]
    assert roles["room-instructor"]["scopes"] == ["access:services!service=podid-room"]
    view = next(s for s in c.JupyterHub.services if s["name"] == "podid-room")
    assert view["url"] == "http://hub:8181"
    values = yaml.safe_load(VALUES.read_text())
    assert values["hub"]["service"]["extraPorts"][0]["port"] == 8181


# KubeSpawner loads a kubeconfig when built; this one names a cluster nobody calls.
KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}],
    "users": [{"name": "none", "user": {"token": "unused"}}],
    "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
    "current-context": "none",
}


def test_kubespawner_builds_a_learner_pod_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubernetes_asyncio.config import kube_config

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(KUBECONFIG))
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(kubeconfig))

    async def build() -> Any:
        # As in the hub: the spawner is made, and asked for its pod, inside the event loop.
        spawner = kubespawner.KubeSpawner(config=_hub_config(), _mock=True)
        return await spawner.get_pod_manifest()

    pod = asyncio.run(build())
    container = pod.spec.containers[0]
    assert container.image == "podid-tutorial-learner:0.1.0"
    assert container.args[-2:] == SERVER_ARGS
    env = {e.name: e.value for e in container.env}
    assert env["PODID_LAB_PORT"] == "0"
    assert env["PODID_LAB_HOME"] == "/home/jovyan/.podid-lab"
    # Never root, no escalation; the home volume belongs to the users group.
    assert container.security_context == {"runAsUser": 1000, "allowPrivilegeEscalation": False}
    assert pod.spec.security_context == {"fsGroup": 100}
    assert container.resources.limits == {"cpu": 1.0, "memory": 1024**3}
    assert pod.spec.volumes[0].persistent_volume_claim["claimName"].startswith("claim-mock")
    assert [m.mount_path for m in container.volume_mounts] == ["/home/jovyan"]

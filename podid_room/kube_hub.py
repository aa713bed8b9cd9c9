"""The hub config for the same room on Kubernetes: Zero to JupyterHub with KubeSpawner.

A learner is a pod (their own JupyterLab and lab, on their own volume) instead of a Unix user;
the room view and the progress extension are the same as on one machine. Loaded by the Helm
chart's ``hub.extraConfig`` (``podid_room/kube/values.yaml``); instructor/room.md has the plan.
Only checked by loading it with KubeSpawner here: no cluster or image build is possible on the
machine this was written on.
"""

from __future__ import annotations

from typing import Any

from .hub_view import apply_room_view
from .progress import SERVER_ARGS

__all__ = ["HOME", "LEARNER_IMAGE", "VIEW_PORT", "configure"]

LEARNER_IMAGE = "podid-tutorial-learner"
HOME = "/home/jovyan"
VIEW_PORT = 8181  # the chart's hub Service exposes it to the proxy (values.yaml)
# Z2JH's names: the hub's Service and the proxy's public Service in the release's namespace.
_HUB_HOST = "hub"
_PROXY_URL = "http://proxy-public"


def configure(
    c: Any,
    *,
    instructors: list[str],
    image_tag: str = "0.1.0",
    stuck_after_s: float = 600,
    poll_s: float = 5,
) -> None:
    """Fill JupyterHub's config ``c``: KubeSpawner pods for learners, and the room view."""
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    c.KubeSpawner.image = f"{LEARNER_IMAGE}:{image_tag}"
    c.KubeSpawner.cmd = ["jupyterhub-singleuser"]
    c.KubeSpawner.args = SERVER_ARGS
    c.KubeSpawner.default_url = "/lab"
    c.KubeSpawner.notebook_dir = f"{HOME}/podid-notebooks"
    c.KubeSpawner.environment = {
        "PODID_LAB_HOME": f"{HOME}/.podid-lab",
        "PODID_LAB_PORT": "0",
        "PODID_SETTINGS": f"{HOME}/.podid/settings.json",
    }
    # One pod per learner, never root, on a volume of their own.
    c.KubeSpawner.uid = 1000
    c.KubeSpawner.fs_gid = 100
    c.KubeSpawner.cpu_guarantee = 0.1
    c.KubeSpawner.cpu_limit = 1.0
    c.KubeSpawner.mem_guarantee = "512M"
    c.KubeSpawner.mem_limit = "1G"
    c.KubeSpawner.storage_pvc_ensure = True
    c.KubeSpawner.storage_capacity = "1Gi"
    c.KubeSpawner.pvc_name_template = "claim-{username}"
    c.KubeSpawner.volumes = [
        {"name": "home", "persistentVolumeClaim": {"claimName": "claim-{username}"}}
    ]
    c.KubeSpawner.volume_mounts = [{"name": "home", "mountPath": HOME}]
    apply_room_view(
        c,
        instructors=instructors,
        learners=[],
        python="python3",
        view_url=f"http://{_HUB_HOST}:{VIEW_PORT}",
        proxy_url=_PROXY_URL,
        stuck_after_s=stuck_after_s,
        poll_s=poll_s,
    )

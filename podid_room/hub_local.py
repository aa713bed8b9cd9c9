"""The hub's configuration for a room on one machine: PAM, one Unix user and process per learner.

``jupyterhub_config.py`` (the file `podid-room start` hands to JupyterHub) calls ``configure``.
"""

from __future__ import annotations

import contextlib
import pwd
import subprocess
from pathlib import Path
from typing import Any

from .home import RoomHome, RoomSettings
from .hub_view import apply_room_view
from .progress import SERVER_ARGS

__all__ = [
    "NOTEBOOKS_DIR",
    "configure",
    "learner_bin",
    "learner_env",
    "stop_learner_lab",
]

CULLER_SERVICE = "idle-culler"
NOTEBOOKS_DIR = "podid-notebooks"


def learner_bin(settings: RoomSettings, name: str) -> str:
    """The path of command ``name`` in the Python environment learners' servers run from."""
    return str(Path(settings.learner_python).parent / name)


def learner_env(settings: RoomSettings, name: str) -> dict[str, str]:
    """The environment of learner ``name``'s server: their own lab, on free ports, in their home."""
    home = pwd.getpwnam(name).pw_dir
    return {
        "PODID_LAB_HOME": f"{home}/.podid-lab",
        "PODID_LAB_PORT": "0",
        "PODID_SETTINGS": f"{home}/.podid/settings.json",
        "PATH": f"{Path(settings.learner_python).parent}:/usr/local/bin:/usr/bin:/bin",
        **settings.extra_env,
    }


def stop_learner_lab(settings: RoomSettings, name: str) -> None:
    """Stop learner ``name``'s lab daemon, as them (it outlives their Jupyter server)."""
    env = learner_env(settings, name)
    # A lab that does not stop in time is stopped with the learner's other processes instead.
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(
            [
                "runuser",
                "-u",
                name,
                "--",
                "env",
                *(f"{k}={v}" for k, v in env.items()),
                learner_bin(settings, "podid-lab"),
                "stop",
            ],
            capture_output=True,
            timeout=30,
            check=False,
        )


def configure(c: Any, home: RoomHome) -> None:
    """Fill JupyterHub's config ``c`` from the room's settings."""
    s = home.settings()
    c.JupyterHub.ip = s.ip
    c.JupyterHub.port = s.port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = s.hub_port
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
    c.JupyterHub.db_url = f"sqlite:///{home.root / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(home.root / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(home.hub_pid_file)
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True

    # PAM: each learner signs in with their own Unix password (never a shared one).
    c.JupyterHub.authenticator_class = "pam"
    c.Authenticator.allowed_users = {*s.learners, s.instructor}
    c.Authenticator.admin_users = set()
    c.PAMAuthenticator.open_sessions = False  # no logind to open a session with here

    c.JupyterHub.spawner_class = "localprocess"
    c.Spawner.cmd = [learner_bin(s, "jupyterhub-singleuser")]
    c.Spawner.args = SERVER_ARGS
    c.Spawner.default_url = "/lab"
    c.Spawner.notebook_dir = f"~/{NOTEBOOKS_DIR}"
    c.Spawner.http_timeout = 60
    c.Spawner.start_timeout = 120
    c.Spawner.environment = {
        key: (lambda spawner, key=key: learner_env(s, spawner.user.name)[key])
        for key in learner_env(s, s.instructor)
    }
    c.Spawner.post_stop_hook = lambda spawner: stop_learner_lab(s, spawner.user.name)

    apply_room_view(
        c,
        instructors=[s.instructor],
        learners=s.learners,
        python=s.python,
        view_url=f"http://127.0.0.1:{s.view_port}",
        proxy_url=s.url,
        stuck_after_s=s.stuck_after_s,
        poll_s=s.poll_s,
        extra_roles=[
            {
                "name": "idle-culler",
                "description": "stop idle learners' servers",
                "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
                "services": [CULLER_SERVICE],
            }
        ],
        extra_services=[
            {
                "name": CULLER_SERVICE,
                "command": [
                    s.python,
                    "-m",
                    "jupyterhub_idle_culler",
                    f"--timeout={s.cull_after_s}",
                ],
            }
        ],
    )

"""The hub config that the room view needs, the same on one machine and on Kubernetes:
the instructors group, the scopes (instructors may open the view; the view may read learners'
servers through the hub, ``access:servers``) and the managed service itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["INSTRUCTORS", "VIEW_SERVICE", "apply_room_view"]

VIEW_SERVICE = "podid-room"
INSTRUCTORS = "instructors"


def apply_room_view(
    c: Any,
    *,
    instructors: list[str],
    learners: list[str],
    python: str,
    view_url: str,
    proxy_url: str,
    stuck_after_s: float,
    poll_s: float,
    extra_roles: Sequence[dict[str, Any]] = (),
    extra_services: Sequence[dict[str, Any]] = (),
) -> None:
    """Set groups, roles and services on JupyterHub config ``c`` for the room view."""
    c.JupyterHub.load_groups = {INSTRUCTORS: {"users": list(instructors)}}
    c.JupyterHub.load_roles = [
        {
            "name": "room-instructor",
            "description": "open the room view",
            "scopes": [f"access:services!service={VIEW_SERVICE}"],
            "groups": [INSTRUCTORS],
        },
        {
            "name": "room-view",
            "description": "read learners' progress through their servers",
            "scopes": ["list:users", "read:users", "read:servers", "access:servers"],
            "services": [VIEW_SERVICE],
        },
        *extra_roles,
    ]
    c.JupyterHub.services = [
        {
            "name": VIEW_SERVICE,
            "display": True,
            "oauth_no_confirm": True,
            "url": view_url,
            "command": [python, "-m", "podid_room.view"],
            "environment": {
                "PODID_ROOM_STUCK_AFTER_S": str(stuck_after_s),
                "PODID_ROOM_POLL_S": str(poll_s),
                # Empty: every user outside the instructors group (learners sign up on Kubernetes).
                "PODID_ROOM_LEARNERS": ",".join(learners),
                "PODID_ROOM_INSTRUCTORS": ",".join(instructors),
                "PODID_ROOM_PROXY_URL": proxy_url,
            },
        },
        *extra_services,
    ]

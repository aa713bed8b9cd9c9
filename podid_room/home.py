"""The room's folder: its settings, the 0600 roster of passwords, the hub's database and log."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RoomHome", "RoomSettings"]


@dataclass
class RoomSettings:
    """What `podid-room start` decided: who is in the room and where the hub listens."""

    learners: list[str]
    instructor: str
    created_users: list[str]
    ip: str
    port: int
    hub_port: int
    proxy_api_port: int
    view_port: int
    python: str
    learner_python: str
    cull_after_s: int
    stuck_after_s: int
    poll_s: float
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The address learners open (on this machine)."""
        host = "127.0.0.1" if self.ip in ("", "0.0.0.0") else self.ip
        return f"http://{host}:{self.port}"


def _write_json(path: Path, data: Any, mode: int) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        json.dump(data, stream, indent=2)
    os.chmod(temp, mode)
    os.replace(temp, path)


@dataclass(frozen=True)
class RoomHome:
    """The folder named by ``PODID_ROOM_HOME`` (default ``~/.podid-room``), owner-only (0700)."""

    root: Path

    @classmethod
    def from_env(cls) -> RoomHome:
        """The room folder named by ``PODID_ROOM_HOME``, else ``~/.podid-room``."""
        raw = os.environ.get("PODID_ROOM_HOME") or "~/.podid-room"
        return cls(Path(raw).expanduser().resolve())

    @property
    def settings_file(self) -> Path:
        return self.root / "room.json"

    @property
    def roster_file(self) -> Path:
        return self.root / "roster.json"

    @property
    def hub_pid_file(self) -> Path:
        return self.root / "jupyterhub.pid"

    @property
    def hub_log(self) -> Path:
        return self.root / "jupyterhub.log"

    def create(self) -> None:
        """Make the folder, private to its owner (the hub's database and secrets live here)."""
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)

    def save_settings(self, settings: RoomSettings) -> None:
        """Write room.json (0600)."""
        _write_json(self.settings_file, asdict(settings), 0o600)

    def settings(self) -> RoomSettings:
        """Read room.json."""
        return RoomSettings(**json.loads(self.settings_file.read_text(encoding="utf-8")))

    def save_roster(self, passwords: dict[str, str]) -> None:
        """Write the names and passwords to hand out, readable by the instructor only (0600)."""
        _write_json(self.roster_file, passwords, 0o600)

    def roster(self) -> dict[str, str]:
        """Read the roster: user name → password (users the room did not create are absent)."""
        if not self.roster_file.exists():
            return {}
        data = json.loads(self.roster_file.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}

"""JupyterHub's config file for a room on this machine (`podid-room start` passes it with -f)."""

from podid_room.home import RoomHome
from podid_room.hub_local import configure

configure(get_config(), RoomHome.from_env())  # type: ignore[name-defined]  # noqa: F821

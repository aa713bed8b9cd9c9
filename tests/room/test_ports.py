"""The room's ports: chosen before the hub binds them, so from outside the ephemeral range."""

from __future__ import annotations

from pathlib import Path

from podid_room.room import _PORT_RANGE, _free_ports

EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")


def test_ports_are_distinct_and_below_the_ephemeral_range() -> None:
    ports = _free_ports(4, avoid=_PORT_RANGE.start)
    assert len(set(ports)) == 4
    assert all(p in _PORT_RANGE and p != _PORT_RANGE.start for p in ports)
    low = int(EPHEMERAL.read_text().split()[0])
    assert all(p < low for p in ports)  # the kernel never hands these out for "any free port"

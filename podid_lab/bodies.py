"""Request bodies (JSON or YAML) parsed with a nesting limit: too deep is a ValueError, not a crash.

Python's parsers recurse once per level, so 100k nested `[` would end in a RecursionError. The
limit is checked before parsing: Kubernetes stops at 10000 levels, ARM's limit is unpublished;
no object the lab serves comes near 100.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

MAX_DEPTH = 100
# Quoted strings (JSON's double quotes, YAML's single quotes too), whose brackets do not nest.
_QUOTED = re.compile(rb'"(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'', re.DOTALL)
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")


# YAML aliases can make a small document expand into a huge (or cyclic) one.
MAX_NODES = 100_000


class TooDeep(ValueError):
    """A body nested deeper than MAX_DEPTH (or, through YAML aliases, too big or cyclic)."""

    def __init__(self, reason: str = f"exceeded max depth of {MAX_DEPTH}") -> None:
        super().__init__(reason)


def check_depth(raw: bytes | str) -> None:
    """Raise TooDeep if brackets outside quoted strings nest deeper than MAX_DEPTH."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return  # cannot nest that deep: the common case costs two counts
    depth = 0
    for byte in _QUOTED.sub(b'""', data):
        if byte in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                raise TooDeep()
        elif byte in _CLOSE:
            depth -= 1


def parse_json(raw: bytes | str) -> Any:
    """`json.loads`, with the nesting limit."""
    check_depth(raw)
    try:
        return json.loads(raw)
    except RecursionError:
        raise TooDeep() from None


def parse_yaml(raw: bytes | str) -> Any:
    """`yaml.safe_load`, with the nesting limit (block nesting and aliases included)."""
    check_depth(raw)
    try:
        value = yaml.safe_load(raw)
    except RecursionError:
        raise TooDeep() from None
    _measure(value, {}, 1)
    return value


def _measure(value: Any, seen: dict[int, tuple[int, int]], depth: int) -> tuple[int, int]:
    """(height, expanded nodes) of a parsed value; TooDeep past the limits or on a cycle.

    Shared nodes (YAML aliases) are measured once, so a billion laughs costs its size in the
    document, not its expansion.
    """
    if not isinstance(value, (list, dict)):
        return 0, 1
    if depth > MAX_DEPTH:
        raise TooDeep()
    key = id(value)
    if key in seen:
        height, nodes = seen[key]
        if height < 0:
            raise TooDeep("a YAML alias refers to the node that contains it")
    else:
        seen[key] = (-1, 0)
        height, nodes = 0, 1
        for child in value.values() if isinstance(value, dict) else value:
            child_height, child_nodes = _measure(child, seen, depth + 1)
            height, nodes = max(height, child_height), nodes + child_nodes
            if nodes > MAX_NODES:
                raise TooDeep(f"expands to more than {MAX_NODES} nodes")
        height += 1
        seen[key] = (height, nodes)
    if depth - 1 + height > MAX_DEPTH:
        raise TooDeep()
    return height, nodes

"""Label and field selectors, parsed and matched as the API server does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .kinds import Kind

_SET_RE = re.compile(r"^\s*([^\s!=<>]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


@dataclass(frozen=True)
class Requirement:
    """One clause: key, operator (=, !=, in, notin, exists, !exists, gt, lt) and values."""

    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        """True if `labels` satisfy this clause."""
        present = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "in"):
            return present and value in self.values
        if self.op in ("!=", "notin"):
            return not present or value not in self.values
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        try:
            number, bound = int(value or ""), int(self.values[0])
        except ValueError:
            return False
        return number > bound if self.op == "gt" else number < bound


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def parse_labels(text: str) -> list[Requirement]:
    """Parse a label selector (`app=web,tier!=db,env in (a,b),!legacy`)."""
    requirements = []
    for part in _split(text or ""):
        if m := _SET_RE.match(part):
            values = tuple(v.strip() for v in m.group(3).split(",") if v.strip())
            requirements.append(Requirement(m.group(1), m.group(2), values))
        elif part.startswith("!"):
            requirements.append(Requirement(part[1:].strip(), "!exists"))
        elif "!=" in part:
            key, value = part.split("!=", 1)
            requirements.append(Requirement(key.strip(), "!=", (value.strip(),)))
        elif "==" in part or "=" in part:
            key, value = part.split("==", 1) if "==" in part else part.split("=", 1)
            requirements.append(Requirement(key.strip(), "=", (value.strip(),)))
        elif ">" in part or "<" in part:
            op = "gt" if ">" in part else "lt"
            key, value = part.split(">" if op == "gt" else "<", 1)
            requirements.append(Requirement(key.strip(), op, (value.strip(),)))
        elif re.fullmatch(r"[A-Za-z0-9._/-]+", part):
            requirements.append(Requirement(part, "exists"))
        else:
            raise bad_request(f"unable to parse requirement: found '{part}', expected: identifier")
    return requirements


def parse_fields(text: str, kind: Kind) -> list[Requirement]:
    """Parse a field selector (`metadata.name=demo,status.phase!=Running`) for `kind`."""
    requirements = []
    for part in _split(text or ""):
        if "!=" in part:
            key, value, op = *part.split("!=", 1), "!="
        elif "=" in part:
            key, value = part.split("==", 1) if "==" in part else part.split("=", 1)
            op = "="
        else:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        key = key.strip()
        if not kind.accepts_field(key):
            raise bad_request(f"field label not supported: {key}")
        requirements.append(Requirement(key, op, (value.strip(),)))
    return requirements


def field_value(obj: dict[str, Any], path: str) -> str:
    """The string a field selector compares for `path` (missing fields compare as "")."""
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if path == "source" and isinstance(value, dict):
        return str(value.get("component", ""))
    return "" if value is None else str(value)


def matches(obj: dict[str, Any], labels: list[Requirement], fields: list[Requirement]) -> bool:
    """True if `obj` satisfies every label and field requirement."""
    own = obj.get("metadata", {}).get("labels") or {}
    if not all(r.matches(own) for r in labels):
        return False
    return all(r.matches({r.key: field_value(obj, r.key)}) for r in fields)

"""The lab's tunable knobs: timings and realism switches, all fast and forgiving by default."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .home import LabHome, write_private


@dataclass(frozen=True)
class Knob:
    """One tunable setting, with its default and what it does."""

    name: str
    default: float | int | bool
    help: str


# go-autorest adal's retryForIMDS waits after each of its five attempts at a retried status:
# the delay grows by 2^attempt seconds and is capped at 60 s (112 s per failed call). At 1/16 a
# learner waits 7 s and the log keeps the same lines, in the same order.
ADAL_IMDS_WAITS = (2.0, 6.0, 14.0, 30.0, 60.0)
TIME_SCALE = 0.0625

KNOBS: tuple[Knob, ...] = (
    Knob("retry_after_seconds", 1, "Retry-After sent with long-running operations"),
    Knob("feature_registration_seconds", 2.0, "Registering -> Registered for preview features"),
    Knob("provider_registration_seconds", 1.0, "Registering -> Registered for providers"),
    Knob("cluster_create_seconds", 1.0, "time a managed cluster create or update takes"),
    Knob("cluster_delete_seconds", 1.0, "time a managed cluster delete takes"),
    Knob("resource_group_delete_seconds", 0.5, "time a resource group delete takes"),
    Knob(
        "replication_delay_seconds", 0.0, "a new identity is unknown to role assignments this long"
    ),
    Knob("page_size", 100, "items per page before a nextLink"),
    Knob("namespace_delete_seconds", 0.5, "a deleted namespace stays Terminating this long"),
    Knob("pod_termination_seconds", 1.0, "longest a running pod takes to terminate when deleted"),
    Knob("max_body_bytes", 4 * 1024 * 1024, "largest request body accepted"),
    Knob("token_lifetime_seconds", 3599, "lifetime of access tokens the lab issues"),
    Knob(
        "time_scale",
        TIME_SCALE,
        "lab seconds per real second of adal's IMDS retry waits (1 = Azure's own rhythm)",
    ),
)

_BY_NAME = {knob.name: knob for knob in KNOBS}


class UnknownKnobError(KeyError):
    """A knob name the lab does not have."""


def defaults() -> dict[str, Any]:
    """Every knob at its default."""
    return {knob.name: knob.default for knob in KNOBS}


def coerce(name: str, raw: Any) -> Any:
    """Convert `raw` (a string from the CLI, or JSON) to the knob's type, or raise."""
    knob = _BY_NAME.get(name)
    if knob is None:
        raise UnknownKnobError(f"unknown knob {name!r}; known: {', '.join(sorted(_BY_NAME))}")
    kind = type(knob.default)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"knob {name!r} takes true or false, not {raw!r}")
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise ValueError(f"knob {name!r} takes a number, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"knob {name!r} must not be negative")
    return value


def load(home: LabHome) -> dict[str, Any]:
    """Knobs from the lab's config file over the defaults; unknown names are ignored."""
    values = defaults()
    if home.knobs_file.exists():
        saved = json.loads(home.knobs_file.read_text() or "{}")
        for name, raw in saved.items():
            if name in _BY_NAME:
                values[name] = coerce(name, raw)
    return values


def save(home: LabHome, values: dict[str, Any]) -> None:
    """Persist the knobs that differ from their defaults."""
    changed = {k: v for k, v in values.items() if _BY_NAME[k].default != v}
    write_private(home.knobs_file, (json.dumps(changed, indent=2, sort_keys=True) + "\n").encode())


def time_scale_line(values: dict[str, Any]) -> str:
    """How the lab compresses adal's retry waits, in one line (for `podid-lab status`)."""
    scale = float(values.get("time_scale", TIME_SCALE))
    per_call = sum(ADAL_IMDS_WAITS) * scale
    return (
        f"time scale {scale:g}: adal's IMDS retry waits ({sum(ADAL_IMDS_WAITS):g} s per failed "
        f"call on Azure) take {per_call:g} s here"
    )

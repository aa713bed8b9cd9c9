"""Deterministic identifiers: the same names give the same GUIDs on every machine and run."""

from __future__ import annotations

import uuid

_LAB_NAMESPACE = uuid.UUID("5f0c6b7e-3c1d-4e59-9a57-0d1a2f6c9b41")


def stable_guid(*parts: str) -> str:
    """A GUID derived from `parts` (case-insensitive, as Azure names are)."""
    return str(uuid.uuid5(_LAB_NAMESPACE, "/".join(p.lower() for p in parts)))


TENANT_ID = stable_guid("tenant", "podid-lab")
SUBSCRIPTION_ID = stable_guid("subscription", "podid-lab")
SUBSCRIPTION_NAME = "podid lab subscription"
TENANT_DOMAIN = "podidlab.onmicrosoft.com"
LEARNER_APP_ID = stable_guid("application", "podid-learner")
LEARNER_OBJECT_ID = stable_guid("service-principal", "podid-learner")
LEARNER_DISPLAY_NAME = "podid-learner"
# The lab user who signs in to a stock `az` with a device code (Owner, like the learner's SP).
LEARNER_USER_OBJECT_ID = stable_guid("user", "podid-learner")
LEARNER_USER_NAME = f"learner@{TENANT_DOMAIN}"
LEARNER_USER_DISPLAY_NAME = "Lab Learner"


def resource_key(resource_id: str) -> str:
    """The store key of a resource ID: lower-case, no trailing slash."""
    return resource_id.rstrip("/").lower()


def is_within(scope: str, target: str) -> bool:
    """True if `target` is `scope` or below it (case-insensitive, by whole segments)."""
    s, t = resource_key(scope), resource_key(target)
    return s in ("", "/") or t == s or t.startswith(s + "/")

"""The event log on its own: numbering, the bound, the JWT guard, claims only, clearing."""

from __future__ import annotations

import base64
import json

import pytest

from podid_lab.events.models import EventLog, claims_of, describe


def _jwt(claims: dict[str, object]) -> str:
    def part(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.c2lnbmF0dXJlLW5vdC1rZXB0"


def test_numbering_bound_and_clear() -> None:
    log = EventLog(limit=3)
    for n in range(5):
        log.record("arm", "allowed", n=n)
    assert [e["n"] for e in log.after(0)] == [2, 3, 4]  # the newest three
    assert [e["seq"] for e in log.after(3)] == [4, 5] and log.last == 5
    log.clear()
    assert log.after(0) == []
    assert log.record("nmi", "refused")["seq"] == 6  # followers see only new events


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event kind 'token'"):
        EventLog().record("token", "issued")


def test_claims_only_and_no_token_survives() -> None:
    token = _jwt({"aud": "https://management.azure.com", "oid": "o", "secret_thing": "s"})
    assert claims_of(token) == {"aud": "https://management.azure.com", "oid": "o"}
    assert claims_of("not-a-jwt") == {}
    log = EventLog()
    log.entra("client_credentials", "app", 200, token=token)
    event = log.record("nmi", "refused", reason=f"upstream said {token}", nested={"t": [token]})
    text = json.dumps(log.after(0))
    assert token not in text and "c2lnbmF0dXJl" not in text
    assert event["reason"] == "upstream said [token withheld]"
    assert log.after(0)[0]["claims"] == {"aud": "https://management.azure.com", "oid": "o"}


def test_describe_says_what_was_decided() -> None:
    log = EventLog()
    log.arm(
        "oid-1", "Microsoft.Compute/virtualMachines/read", "/subscriptions/s/resourceGroups/g", None
    )
    log.keyvault("kv", "get", "name", ("oid-2", "app"), "Key Vault Secrets User")
    arm, vault = log.after(0)
    assert describe(arm).endswith("-> AuthorizationFailed")
    assert describe(vault) == "oid oid-2 get secret name in kv -> Key Vault Secrets User"

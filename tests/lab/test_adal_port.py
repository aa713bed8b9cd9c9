"""The demo port's adal: retryForIMDS's waits and the MSI URL it builds (pure functions)."""

from __future__ import annotations

import pytest

from podid_lab import knobs
from podid_lab.nmi.models import adal_refresh_error, msi_response, redact
from podid_lab.workloads import adal


def test_waits_follow_retry_for_imds() -> None:
    # The delay grows by 2^attempt seconds and is capped at 60 s: 112 s per failed call.
    assert adal.waits() == [2.0, 6.0, 14.0, 30.0, 60.0]
    assert sum(adal.waits()) == 112.0
    assert adal.waits(1 / 16) == [0.125, 0.375, 0.875, 1.875, 3.75]
    assert tuple(adal.waits()) == knobs.ADAL_IMDS_WAITS


def test_retried_statuses_are_adals() -> None:
    assert {404, 408, 410, 429, 500, 503}.issubset(adal.RETRIED_STATUSES)
    assert not {200, 400, 401, 403}.intersection(adal.RETRIED_STATUSES)


def test_token_url_sorts_the_query_as_go_does() -> None:
    assert adal.token_url("https://management.azure.com/") == (
        "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01"
        "&resource=https%3A%2F%2Fmanagement.azure.com%2F"
    )
    assert adal.token_url("https://vault.azure.net", "abc").endswith(
        "?api-version=2018-02-01&client_id=abc&resource=https%3A%2F%2Fvault.azure.net"
    )


@pytest.mark.parametrize(("raw", "scale"), [("0.5", 0.5), ("-1", 0.0), ("fast", 1.0), (None, 1.0)])
def test_time_scale_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str | None, scale: float
) -> None:
    if raw is None:
        monkeypatch.delenv("PODID_LAB_TIME_SCALE", raising=False)
    else:
        monkeypatch.setenv("PODID_LAB_TIME_SCALE", raw)
    assert adal.time_scale() == scale


def test_nmi_wording() -> None:
    assert redact("40740192-a00a-55d3-8540-e381b93f452c") == "4074##### REDACTED #####452c"
    assert redact("") == ""
    assert adal_refresh_error(400, '{"e":1}', "cid", "https://x/") == (
        "adal: Refresh request failed. Status Code = '400'. Response body: {\"e\":1} Endpoint "
        "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01"
        "&client_id=cid&resource=https%3A%2F%2Fx%2F"
    )
    imds = {
        "access_token": "t",
        "client_id": "c",
        "expires_in": "3599",
        "expires_on": "1",
        "ext_expires_in": "3599",
        "not_before": "0",
        "resource": "r",
        "token_type": "Bearer",
    }
    assert msi_response(imds) == {
        "access_token": "t",
        "refresh_token": "",
        "expires_in": "3599",
        "expires_on": "1",
        "not_before": "0",
        "resource": "r",
        "token_type": "Bearer",
    }

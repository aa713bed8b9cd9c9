"""go-autorest adal's MSI token refresh as demo v1.6.3 runs it: its request, retries and errors.

Facts from adal's source (`token.go`, v0.8.x/v0.9.x): an MSI refresh is a GET on
`http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&client_id=…&resource=…`
with `Metadata: true`; `retryForIMDS` sends it at most five times while the answer's status is
one it retries (below), waiting after each attempt 2, 6, 14, 30 and 60 s (the delay grows by
2^attempt seconds, capped at 60 s); any other status ends the call at once. A failed refresh
reads "adal: Refresh request failed. Status Code = '<n>'. Response body: <body>" (the
" Endpoint <url>" suffix came in later adal releases than the demo's).

The lab multiplies every wait by its time scale (`PODID_LAB_TIME_SCALE`), so a failing pod
logs the same lines in the same order as on Azure, only sooner. The scale never shows in a log.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MSI_ENDPOINT = "http://169.254.169.254/metadata/identity/oauth2/token"
MSI_API_VERSION = "2018-02-01"
MAX_ATTEMPTS = 5
MAX_DELAY_SECONDS = 60.0
# retryForIMDS's list: autorest's own (408, 429, 500, 502, 503, 504), then 404, 410 and the
# remaining 5xx that net/http names.
RETRIED_STATUSES = frozenset(
    {408, 429, 500, 502, 503, 504, 404, 410, 501, 505, 506, 507, 508, 510, 511}
)
# Go's http.Client in the demo has no timeout for MSI calls; the lab bounds a hung request.
REQUEST_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Token:
    """The fields of IMDS's answer the demo uses."""

    access_token: str
    expires_on: str
    resource: str


class AdalError(Exception):
    """A refresh that failed, worded as adal words it; `status` is 0 when no answer came."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def waits(scale: float = 1.0) -> list[float]:
    """The waits after each of retryForIMDS's attempts, in seconds, times `scale`."""
    delay, out = 0.0, []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        delay = min(delay + 2.0**attempt, MAX_DELAY_SECONDS)
        out.append(delay * scale)
    return out


def time_scale() -> float:
    """The lab's time scale for this process (1 outside the lab)."""
    try:
        return max(0.0, float(os.environ.get("PODID_LAB_TIME_SCALE", "1")))
    except ValueError:
        return 1.0


def token_url(resource: str, client_id: str = "") -> str:
    """The MSI URL adal builds: query keys sorted, as Go's url.Values.Encode sorts them."""
    query = {"api-version": MSI_API_VERSION, "resource": resource}
    if client_id:
        query["client_id"] = client_id
    return f"{MSI_ENDPOINT}?{urllib.parse.urlencode(sorted(query.items()))}"


def _send(url: str) -> tuple[int, str]:
    """One GET with `Metadata: true`; (status, body)."""
    request = urllib.request.Request(url, headers={"Metadata": "true"})
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def refresh(
    authority: str,
    resource: str,
    client_id: str = "",
    *,
    scale: float = 1.0,
    sleep: Callable[[float], Any] = time.sleep,
) -> Token:
    """adal's `spt.Refresh()` for an MSI token, through `authority` (the pod's IMDS)."""
    shown = token_url(resource, client_id)
    actual = authority.rstrip("/") + shown.removeprefix("http://169.254.169.254")
    status, body = 0, ""
    for wait in waits(scale):
        try:
            status, body = _send(actual)
        except (urllib.error.URLError, OSError) as exc:
            # Go words this `Get "<url>": <cause>`; the cause here is Python's wording.
            reason = getattr(exc, "reason", exc)
            raise AdalError(
                f"adal: Failed to execute the refresh request. Error = 'Get \"{shown}\": {reason}'"
            ) from None
        if status == 200 or status not in RETRIED_STATUSES:
            break
        sleep(wait)  # adal waits after its last attempt too, before it gives up
    if status != 200:
        raise AdalError(
            f"adal: Refresh request failed. Status Code = '{status}'. Response body: {body}",
            status,
        )
    try:
        doc = json.loads(body)
        return Token(str(doc["access_token"]), str(doc.get("expires_on", "")), resource)
    except (ValueError, KeyError, TypeError) as exc:
        # Go's encoding/json words the cause differently; the frame is adal's.
        raise AdalError(
            "adal: Failed to unmarshal the service principal token during refresh. "
            f"Error = '{exc}' JSON = '{body}'"
        ) from None

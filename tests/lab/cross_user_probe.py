"""What one Unix user can get from another user's lab with everything it can reach: run as the
"attacker" user by test_two_users.py, it prints one JSON object of results.

The argument is a JSON object: the victim's home, ports, tenant, cluster key, a pod's UID and
the IMDS paths an attacker would try for it, and the attacker's own lab's credentials (its
learner secret, token, admin key, kube token).
Standard library only, and TLS unverified: the attacker cannot read the victim's CA.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
ARM_SCOPE = "https://management.azure.com//.default"
_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE


def call(
    url: str,
    *,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    """Status and JSON body (or {}) of one request (`data` is sent as a form)."""
    if data is not None:
        body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10, context=_TLS) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, {}


def read_home(home: str) -> str:
    """ "denied" unless some file or listing of the victim's home could be read."""
    for attempt in (
        lambda: os.listdir(home),
        lambda: Path(home, "keys", "admin-key").read_bytes(),
        lambda: Path(home, "keys", "learner-secret").read_bytes(),
        lambda: Path(home, "state.db").read_bytes(),
        lambda: Path(home, "run", "lab.log").read_bytes(),
    ):
        try:
            attempt()
        except PermissionError:
            continue
        return "READ"
    return "denied"


def main() -> None:
    args = json.loads(sys.argv[1])
    arm = f"https://127.0.0.1:{args['https']}"
    own = args["own"]
    results: dict[str, Any] = {"read_home": read_home(args["home"])}
    subs = f"{arm}/subscriptions?api-version=2022-12-01"
    results["arm_no_token"] = call(subs)[0]
    results["arm_foreign_token"] = call(subs, headers={"Authorization": f"Bearer {own['token']}"})[
        0
    ]
    status, body = call(
        f"{arm}/{args['tenant']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": own["client_id"],
            "client_secret": own["client_secret"],
            "scope": ARM_SCOPE,
        },
    )
    results["foreign_client_secret"] = "TOKEN" if "access_token" in body else status
    # A keyed admin route, with a body that would change nothing even if it got through.
    results["admin_foreign_key"] = call(
        f"{arm}/_lab/settings",
        method="PATCH",
        body=b"{}",
        headers={"x-podid-lab-key": own["admin_key"], "Content-Type": "application/json"},
    )[0]
    results["kube_foreign_token"] = call(
        f"{arm}/k8s/{args['cluster_key']}/api/v1/namespaces",
        headers={"Authorization": f"Bearer {own['kube_token']}"},
    )[0]
    results["kube_no_token"] = call(f"{arm}/k8s/{args['cluster_key']}/api/v1/namespaces")[0]
    status, body = call(
        f"{arm}/organizations/oauth2/v2.0/devicecode",
        data={"client_id": AZURE_CLI, "scope": ARM_SCOPE},
    )
    if "device_code" in body:
        status, body = call(
            f"{arm}/organizations/oauth2/v2.0/token",
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "client_id": AZURE_CLI,
                "device_code": body["device_code"],
            },
        )
    results["device_code"] = "TOKEN" if "access_token" in body else body.get("error", status)
    token_path = (
        "/metadata/identity/oauth2/token?resource=https://management.azure.com/"
        "&api-version=2018-02-01"
    )
    if args.get("pod_uid"):
        answers = []
        for guess in args["imds_guesses"]:
            status, body = call(
                f"http://127.0.0.1:{args['imds']}{guess}{token_path}", headers={"Metadata": "true"}
            )
            answers.append("TOKEN" if "access_token" in body else status)
        results["pod_identity"] = answers
        status, body = call(
            f"{arm}/_lab/pods/{args['pod_uid']}/imds{token_path}",
            headers={"x-podid-lab-key": own["admin_key"]},
        )
        results["admin_as_pod"] = "TOKEN" if "access_token" in body else status
    print(json.dumps(results))


if __name__ == "__main__":
    main()

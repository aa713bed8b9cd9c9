"""A Python port of the AAD Pod Identity demo (image `aad-pod-identity/demo:v1.6.3`).

The same flags, downward-API environment, loop and klog lines (file:line included) as the Go
program (`cmd/demo/main.go` at v1.6.3), with a port of adal's MSI refresh (`adal.py`: its
request, its retries per status code, its error wording). It reaches "IMDS" through
`AZURE_POD_IDENTITY_AUTHORITY_HOST` (the lab points that at the pod's NMI endpoint) and ARM
through `PODID_LAB_ARM_ENDPOINT`. adal's waits run at the lab's time scale, which the lab
reports (`podid-lab status`, `/_lab/health`) and the pod's log never shows.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from .. import klog
from . import adal

ARM_RESOURCE = "https://management.azure.com/"
INSTANCE_URL = "http://169.254.169.254/metadata/instance?api-version=2017-08-01"
# The demo's http.Client for the instance metadata request times out after 2 s.
INSTANCE_TIMEOUT_SECONDS = 2.0
# The Go loop starts over at once after a failure; a call that failed without adal waiting
# (403, 400) would then spin. The lab paces such a turn so a shared machine is not flooded.
FAILED_TURN_FLOOR_SECONDS = 1.0


def go_duration(text: str) -> float:
    """Parse a Go duration such as `20s`, `1m30s` or `500ms` into seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "ns": 1e-9}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f'invalid duration "{text}"')
    return sum(float(n) * units[u] for n, u in parts)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="demo", allow_abbrev=False)
    parser.add_argument("--subscriptionid", default="", help="subscription id for test")
    parser.add_argument("--clientid", default="", help="client id for the msi id")
    parser.add_argument(
        "--resourcegroup",
        default="",
        help="any resource group name with reader permission to the aad object",
    )
    parser.add_argument(
        "--aad-resourcename",
        default="https://management.azure.com/",
        help="name of resource to grant token",
    )
    parser.add_argument(
        "--retry-wait-time", type=go_duration, default=20.0, help="retry wait time in seconds"
    )
    return parser.parse_args(argv)


def _authority() -> str:
    return os.environ.get("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://169.254.169.254").rstrip("/")


def _refresh(resource: str, client_id: str = "") -> adal.Token:
    return adal.refresh(_authority(), resource, client_id, scale=adal.time_scale())


class _MsiAuthorizer:
    """`auth.NewAuthorizerFromEnvironment()` on a VM: MSI with no client ID, for ARM."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        token = _refresh(ARM_RESOURCE)
        expires = int(token.expires_on) if token.expires_on.isdigit() else int(time.time()) + 300
        return AccessToken(token.access_token, expires)


def do_arm_operations(args: argparse.Namespace) -> None:
    """List the VMs in --resourcegroup with the pod's identity (no client ID, as the demo)."""
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.compute import ComputeManagementClient

    base_url = os.environ.get("PODID_LAB_ARM_ENDPOINT", "https://management.azure.com")
    verify = os.environ.get("PODID_LAB_CA_BUNDLE") or True
    client = ComputeManagementClient(
        _MsiAuthorizer(), args.subscriptionid, base_url=base_url, connection_verify=verify
    )
    try:
        count = sum(1 for _ in client.virtual_machines.list(args.resourcegroup))
    except adal.AdalError as exc:
        url = (
            f"https://management.azure.com/subscriptions/{args.subscriptionid}/resourceGroups/"
            f"{args.resourcegroup}/providers/Microsoft.Compute/virtualMachines"
            "?api-version=2019-12-01"
        )
        klog.error(
            "main.go:73",
            "failed list all vm, error: azure.BearerAuthorizer#WithAuthorization: Failed to "
            f"refresh the Token for request to {url}: StatusCode={exc.status} -- Original "
            f"Error: {exc}",
        )
        return
    except HttpResponseError as exc:
        code = exc.error.code if exc.error else ""
        message = exc.error.message if exc.error else str(exc)
        klog.error(
            "main.go:73",
            "failed list all vm, error: compute.VirtualMachinesClient#List: Failure "
            f"responding to request: StatusCode={exc.status_code} -- Original Error: "
            f"autorest/azure: Service returned an error. Status={exc.status_code} "
            f'Code="{code}" Message="{message}"',
        )
        return
    klog.info("main.go:77", f"successfully counted VM from ARM: {count}")


def test_msi_endpoint(args: argparse.Namespace) -> adal.Token | None:
    """A token from the MSI endpoint with no client ID."""
    try:
        token = _refresh(args.aad_resourcename)
    except adal.AdalError as exc:
        klog.error(
            "main.go:87",
            "failed to refresh ServicePrincipalTokenFromMSI using the MSI endpoint "
            f"({adal.MSI_ENDPOINT}), error: {exc}",
        )
        return None
    klog.info(
        "main.go:95",
        f"successfully acquired a token using the MSI, msiEndpoint({adal.MSI_ENDPOINT})",
    )
    return token


def test_msi_endpoint_from_user_assigned_id(args: argparse.Namespace) -> adal.Token | None:
    """A token from the MSI endpoint for --clientid."""
    try:
        token = _refresh(args.aad_resourcename, args.clientid)
    except adal.AdalError:
        # The Go program logs this failure without the error.
        klog.error(
            "main.go:106",
            "failed to refresh ServicePrincipalToken userAssignedID MSI, "
            f"msiEndpoint({adal.MSI_ENDPOINT})",
        )
        return None
    klog.info(
        "main.go:114",
        "successfully acquired a token, userAssignedID MSI, "
        f"msiEndpoint({adal.MSI_ENDPOINT}) clientID({args.clientid})",
    )
    return token


def test_instance_metadata_requests() -> None:
    """GET /metadata/instance, as the demo does, and log the body whatever the status."""
    request = urllib.request.Request(
        f"{_authority()}/metadata/instance?api-version=2017-08-01", headers={"Metadata": "true"}
    )
    try:
        with urllib.request.urlopen(request, timeout=INSTANCE_TIMEOUT_SECONDS) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()  # Go's client returns any status without an error
    except (urllib.error.URLError, OSError) as exc:
        # The demo logs the bare error (`klog.Error(err)`): Go words it `Get "<url>": <cause>`;
        # the cause here is Python's wording.
        klog.error("main.go:132", f'Get "{INSTANCE_URL}": {getattr(exc, "reason", exc)}')
        return
    klog.info(
        "main.go:141",
        f"successfully made GET on instance metadata, {body.decode('utf-8', 'replace')}",
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The Go demo's log holds only its own klog lines; azure-identity's warnings would otherwise
    # reach stderr (Python's last-resort handler) and the pod's log.
    logging.getLogger("azure").setLevel(logging.CRITICAL)
    pod = f"{os.environ.get('MY_POD_NAMESPACE', '')}/{os.environ.get('MY_POD_NAME', '')}"
    klog.info("main.go:33", f"starting demo pod {pod} {os.environ.get('MY_POD_IP', '')}")
    while True:
        turn = time.monotonic()
        do_arm_operations(args)
        t1 = test_msi_endpoint(args)
        t2 = test_msi_endpoint_from_user_assigned_id(args) if t1 is not None else None
        if t1 is None or t2 is None:
            time.sleep(max(0.0, FAILED_TURN_FLOOR_SECONDS - (time.monotonic() - turn)))
            continue
        if t1.access_token.lower() != t2.access_token.lower():
            # The Go demo prints both tokens here; the port never prints a token.
            klog.error("main.go:54", "msi, emsi test failed with t1(<redacted>) and t2(<redacted>)")
        test_instance_metadata_requests()
        time.sleep(args.retry_wait_time)


if __name__ == "__main__":
    sys.exit(main())

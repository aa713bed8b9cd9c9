"""A Python port of the AAD Pod Identity demo (image `aad-pod-identity/demo:v1.6.3`).

The same flags, downward-API environment, loop and klog lines as the Go program
(`cmd/demo/main.go` at v1.6.3), with azure-identity's `ManagedIdentityCredential` in place of
adal. It reaches "IMDS" through `AZURE_POD_IDENTITY_AUTHORITY_HOST` (the lab points that at the
pod's NMI endpoint) and ARM through `PODID_LAB_ARM_ENDPOINT`. One deliberate difference, said in
its start line: token retries are shortened, so a failure shows in seconds rather than minutes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from .. import klog

IMDS_TOKEN_ENDPOINT = "http://169.254.169.254/metadata/identity/oauth2/token"
TOKEN_RETRIES = 2


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


def _scope(resource: str) -> str:
    return resource.rstrip("/") + "/.default"


class _Recorder:
    """Remembers the last IMDS response, so a failure can be reported as adal reports it
    (status code and body); azure-identity/MSAL only say the body was not JSON."""

    last: tuple[int, str] | None = None

    @classmethod
    def transport(cls) -> Any:
        from azure.core.pipeline.transport import RequestsTransport

        class Transport(RequestsTransport):  # type: ignore[misc]
            def send(self, request: Any, **kwargs: Any) -> Any:
                response = super().send(request, **kwargs)
                cls.last = (response.status_code, response.text())
                return response

        return Transport()


def _credential(client_id: str | None = None) -> Any:
    from azure.identity import ManagedIdentityCredential

    options: dict[str, Any] = {
        "retry_total": TOKEN_RETRIES,
        "retry_backoff_factor": 0.2,
        "transport": _Recorder.transport(),
    }
    if client_id:
        options["client_id"] = client_id
    return ManagedIdentityCredential(**options)


def _adal_error(exc: BaseException) -> str:
    """Describe a failed token request the way adal's refresh error reads."""
    if _Recorder.last is not None and _Recorder.last[0] != 200:
        status, body = _Recorder.last
        return (
            f"adal: Refresh request failed. Status Code = '{status}'. Response body: {body.strip()}"
        )
    return f"adal: {exc}"


def do_arm_operations(args: argparse.Namespace) -> None:
    """List the VMs in --resourcegroup with the pod's identity (no client ID, as the demo)."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
    from azure.mgmt.compute import ComputeManagementClient

    base_url = os.environ.get("PODID_LAB_ARM_ENDPOINT", "https://management.azure.com")
    verify = os.environ.get("PODID_LAB_CA_BUNDLE") or True
    client = ComputeManagementClient(
        _credential(), args.subscriptionid, base_url=base_url, connection_verify=verify
    )
    _Recorder.last = None
    try:
        count = sum(1 for _ in client.virtual_machines.list(args.resourcegroup))
    except HttpResponseError as exc:
        if exc.status_code is not None and not isinstance(exc, ClientAuthenticationError):
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
        _token_failed_for_arm(args, exc)
        return
    except Exception as exc:  # the token request failed before ARM was reached
        _token_failed_for_arm(args, exc)
        return
    klog.info("main.go:77", f"successfully counted VM from ARM: {count}")


def _token_failed_for_arm(args: argparse.Namespace, exc: Exception) -> None:
    url = (
        f"https://management.azure.com/subscriptions/{args.subscriptionid}/resourceGroups/"
        f"{args.resourcegroup}/providers/Microsoft.Compute/virtualMachines?api-version=2019-12-01"
    )
    status = _Recorder.last[0] if _Recorder.last else 0
    klog.error(
        "main.go:73",
        "failed list all vm, error: azure.BearerAuthorizer#WithAuthorization: Failed to refresh "
        f"the Token for request to {url}: StatusCode={status} -- Original Error: "
        f"{_adal_error(exc.__cause__ or exc)}",
    )


def test_msi_endpoint(args: argparse.Namespace) -> str | None:
    """A token from the MSI endpoint with no client ID."""
    _Recorder.last = None
    try:
        return str(_credential().get_token(_scope(args.aad_resourcename)).token)
    except Exception as exc:
        klog.error(
            "main.go:87",
            "failed to refresh ServicePrincipalTokenFromMSI using the MSI endpoint "
            f"({IMDS_TOKEN_ENDPOINT}), error: {_adal_error(exc.__cause__ or exc)}",
        )
        return None


def test_msi_endpoint_from_user_assigned_id(args: argparse.Namespace) -> str | None:
    """A token from the MSI endpoint for --clientid."""
    _Recorder.last = None
    try:
        return str(_credential(args.clientid).get_token(_scope(args.aad_resourcename)).token)
    except Exception as exc:
        klog.error(
            "main.go:105",
            "failed to refresh ServicePrincipalTokenFromMSIWithUserAssignedID using the MSI "
            f"endpoint ({IMDS_TOKEN_ENDPOINT}) clientID({args.clientid}), error: "
            f"{_adal_error(exc.__cause__ or exc)}",
        )
        return None


def test_instance_metadata_requests() -> None:
    """GET /metadata/instance, as the demo does, and log the JSON."""
    request = urllib.request.Request(
        f"{_authority()}/metadata/instance?api-version=2017-08-01", headers={"Metadata": "true"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            body = json.loads(resp.read())
    except (urllib.error.URLError, ValueError) as exc:
        klog.error("main.go:131", f"failed to make GET on instance metadata, error: {exc}")
        return
    klog.info(
        "main.go:141",
        f"successfully made GET on instance metadata, {json.dumps(body, separators=(',', ':'))}",
    )


def watch_parent() -> None:
    """Exit when the lab that started us is gone (where no parent-death signal exists)."""
    expected = os.environ.get("PODID_LAB_PARENT_PID")
    if not expected:
        return

    def loop() -> None:
        while os.getppid() == int(expected):
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=loop, name="parent-watchdog", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    watch_parent()
    # The Go demo's log holds only its own klog lines; azure-identity's warnings would otherwise
    # reach stderr (Python's last-resort handler) and the pod's log.
    logging.getLogger("azure").setLevel(logging.CRITICAL)
    # adal asks IMDS only. azure-identity's ManagedIdentityCredential would use a Workload ID
    # token file instead when the webhook injected one, so the port hides it, as adal ignores it.
    os.environ.pop("AZURE_FEDERATED_TOKEN_FILE", None)
    pod = f"{os.environ.get('MY_POD_NAMESPACE', '')}/{os.environ.get('MY_POD_NAME', '')}"
    klog.info(
        "main.go:33",
        f"starting demo pod {pod} {os.environ.get('MY_POD_IP', '')} "
        f"(podid lab port of demo v1.6.3; token retries shortened to {TOKEN_RETRIES})",
    )
    while True:
        do_arm_operations(args)
        t1 = test_msi_endpoint(args)
        if t1 is None:
            continue
        klog.info(
            "main.go:95",
            f"successfully acquired a token using the MSI, msiEndpoint({IMDS_TOKEN_ENDPOINT})",
        )
        t2 = test_msi_endpoint_from_user_assigned_id(args)
        if t2 is None:
            continue
        klog.info(
            "main.go:114",
            "successfully acquired a token, userAssignedID MSI, "
            f"msiEndpoint({IMDS_TOKEN_ENDPOINT}) clientID({args.clientid})",
        )
        if t1 != t2:
            # The Go demo prints both tokens here; the port never prints a token.
            klog.error(
                "main.go:117", "msi, emsi test failed with t1(<redacted>) and t2(<redacted>)"
            )
        test_instance_metadata_requests()
        time.sleep(args.retry_wait_time)


if __name__ == "__main__":
    sys.exit(main())

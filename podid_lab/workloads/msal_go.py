"""A Python port of the Workload ID quick start's image (`azure-workload-identity/msal-go`).

Same environment contract as the Go program (`examples/msal-go`): `KEYVAULT_URL` (else
`https://<KEYVAULT_NAME>.vault.azure.net/`) and `SECRET_NAME`, plus what the webhook injects
(`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST`);
the same loop (read the secret every 60 s, exit 1 on the first failure) and klog lines. The token
comes from azure-identity's `WorkloadIdentityCredential`, which reads those variables. Two lab
necessities: `disable_instance_discovery=True` (MSAL would ask login.microsoftonline.com, and
there is no environment switch for it), and `verify_challenge_resource=False`, because the
vault's challenge names `https://vault.azure.net` while the lab's vault answers at 127.0.0.1.
The Go program's Key Vault client does not check that either; on Azure, leave it on.
"""

from __future__ import annotations

import os
import sys
import time

from .. import klog

POLL_SECONDS = 60.0


def _quote(value: str) -> str:
    """A value as klog's structured logging quotes it (Go's %q)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _error_text(exc: Exception) -> str:
    # klog prints a multi-line error as err=<\n\t...\n >
    text = str(exc).strip()
    if "\n" in text:
        indented = "\n".join(f"\t{line}" for line in text.splitlines())
        return f"err=<\n{indented}\n >"
    return f"err={_quote(text)}"


def main() -> int:
    from azure.identity import WorkloadIdentityCredential
    from azure.keyvault.secrets import SecretClient

    vault_url = os.environ.get("KEYVAULT_URL", "")
    if not vault_url:
        vault_url = f"https://{os.environ.get('KEYVAULT_NAME', '')}.vault.azure.net/"
    secret_name = os.environ.get("SECRET_NAME", "")
    verify = os.environ.get("PODID_LAB_CA_BUNDLE") or True
    client: SecretClient | None = None
    while True:
        try:
            if client is None:
                # Built inside the loop: like the Go program, a pod without the webhook's
                # environment fails here with an error line, not a traceback.
                credential = WorkloadIdentityCredential(
                    disable_instance_discovery=True, connection_verify=verify
                )
                client = SecretClient(
                    vault_url, credential, verify_challenge_resource=False, connection_verify=verify
                )
            secret = client.get_secret(secret_name)
        except Exception as exc:
            klog.error(
                "main.go:60",
                f'"failed to get secret from keyvault" {_error_text(exc)} '
                f"keyvault={_quote(vault_url)} secretName={_quote(secret_name)}",
            )
            return 1
        klog.info("main.go:63", f'"successfully got secret" secret={_quote(secret.value or "")}')
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    sys.exit(main())

"""Settings that point a stock `az` at the lab, for `podid-lab az-env`."""

from __future__ import annotations

import shlex

from . import ids
from .arm.metadata import CLOUD_NAME
from .azext import INDEX_PATH
from .home import LabHome, write_private

# The list-shaped metadata version: the one az reads through ARM_CLOUD_METADATA_URL.
METADATA_API_VERSION = "2019-05-01"


def az_settings(home: LabHome, port: int) -> dict[str, str]:
    """Environment for az: its own config folder, trust in the lab's CA, the lab cloud."""
    origin = f"https://127.0.0.1:{port}"
    ca = str(home.ca_cert)
    return {
        "AZURE_CONFIG_DIR": str(home.az_config_dir),
        # MSAL and the SDKs under az verify with requests; the cloud metadata comes via urllib.
        "REQUESTS_CA_BUNDLE": ca,
        "SSL_CERT_FILE": ca,
        "ARM_CLOUD_METADATA_URL": f"{origin}/metadata/endpoints?api-version={METADATA_API_VERSION}",
        "AZURE_CLOUD_NAME": CLOUD_NAME,
        # Without this MSAL asks login.microsoftonline.com about the lab's authority, and fails.
        "AZURE_CORE_INSTANCE_DISCOVERY": "false",
        "AZURE_CORE_COLLECT_TELEMETRY": "false",
        # `az extension add --name aks-preview` finds the lab's stand-in, installed in az-env's
        # own extension folder; a learner's real az and its extensions are untouched.
        "AZURE_EXTENSION_INDEX_URL": f"{origin}{INDEX_PATH}",
        "AZURE_EXTENSION_DIR": str(home.az_extension_dir),
        # `az aks get-credentials` and kubectl use this file instead of ~/.kube/config.
        "KUBECONFIG": str(home.az_kubeconfig),
    }


def az_env_script(home: LabHome, port: int) -> str:
    """A shell snippet: export the settings, then sign az in as the learner's service principal."""
    lines = ["# podid lab: settings for a stock az CLI (from `podid-lab az-env`)"]
    lines += [
        f"export {name}={shlex.quote(value)}" for name, value in az_settings(home, port).items()
    ]
    # `--password=` because a secret may start with '-'; read from its file so it is not printed.
    login = (
        f"az login --service-principal --username {ids.LEARNER_APP_ID} "
        f'--password="$(cat {shlex.quote(str(home.learner_secret_file))})" '
        f"--tenant {ids.TENANT_ID} --output none"
    )
    lines += [
        "if command -v az >/dev/null 2>&1; then",
        f"  {login}",
        "else",
        "  echo 'podid lab: az is not installed here; get one with: "
        "podid-lab az-install (the settings are exported all the same)' >&2",
        "fi",
    ]
    return "\n".join(lines) + "\n"


def write_az_env(home: LabHome, port: int) -> str:
    """Write the snippet to the lab's home (to be sourced later) and return it."""
    script = az_env_script(home, port)
    write_private(home.az_env_file, script.encode())
    # az caches the cloud metadata, port included: a lab on another port must be asked afresh.
    (home.az_config_dir / "cloudEndpoints.json").unlink(missing_ok=True)
    return script

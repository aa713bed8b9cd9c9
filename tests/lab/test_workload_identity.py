"""Workload ID end to end: OIDC issuer, federated credentials, the token exchange, the webhook,
the projected token and Key Vault, with the real SDKs, the kubernetes client and kubectl."""

from __future__ import annotations

import os
import stat
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import WorkloadIdentityCredential
from azure.keyvault.secrets import SecretClient
from azure.mgmt.keyvault import KeyVaultManagementClient
from kubernetes import client, config

from podid_lab.home import LabHome
from podid_lab.kube.models import cluster_key
from podid_lab.pki import load_private_key
from podid_lab.server import start, stop

from .aks_steps import POLL, assign, create_cluster, wait_for
from .conftest import Azure, arm_kwargs, azure_for, start_on_free_port

GROUP, CLUSTER, IDENTITY, NS, SA = "wi-rg", "wi-aks", "wi-identity", "wi-demo", "wi-sa"
VAULT, SECRET = "kv-podid-wi", "my-secret"
AUDIENCE = "api://AzureADTokenExchange"
MSAL_GO = "ghcr.io/azure/azure-workload-identity/msal-go"
TOKEN_SUFFIX = "azure-identity-token/azure-identity-token"


@dataclass
class World:
    """A lab with a Workload ID cluster, an identity with a federated credential, and a vault."""

    az: Azure
    home: LabHome
    kubeconfig: Path
    kube_home: Path
    cluster: Any
    identity: Any
    vault_uri: str
    kv: KeyVaultManagementClient

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(config.new_client_from_config(config_file=str(self.kubeconfig)))

    @property
    def issuer(self) -> str:
        return str(self.cluster.oidc_issuer_profile.issuer_url)

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), "HOME": str(self.kube_home)}
        return subprocess.run(
            ["kubectl", *args], env=env, capture_output=True, text=True, timeout=30, input=stdin
        )

    def token_file(self, pod: str, namespace: str = NS) -> Path:
        key = cluster_key(self.cluster.id)
        return self.home.root / "run" / "pods" / key / namespace / pod / TOKEN_SUFFIX

    def secrets(self, credential: Any) -> SecretClient:
        return SecretClient(
            self.vault_uri,
            credential,
            verify_challenge_resource=False,
            connection_verify=self.az.info["ca_bundle"],
        )

    def workload_credential(self, client_id: str, token_file: Path) -> WorkloadIdentityCredential:
        return WorkloadIdentityCredential(
            tenant_id=self.az.info["tenant_id"],
            client_id=client_id,
            token_file_path=str(token_file),
            authority=self.az.info["authority_host"],
            disable_instance_discovery=True,
            connection_verify=self.az.info["ca_bundle"],
        )


def pod_manifest(name: str, *, labelled: bool = True, sa: str = SA, image: str = MSAL_GO) -> str:
    label = '    azure.workload.identity/use: "true"\n' if labelled else ""
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {NS}
  labels:
{label}    app: {name}
spec:
  serviceAccountName: {sa}
  containers:
    - image: {image}
      name: oidc
      env:
      - name: KEYVAULT_URL
        value: "$VAULT"
      - name: SECRET_NAME
        value: {SECRET}
  nodeSelector:
    kubernetes.io/os: linux
"""


def apply(w: World, manifest: str) -> None:
    result = w.kubectl("apply", "-f", "-", stdin=manifest.replace("$VAULT", w.vault_uri))
    assert result.returncode == 0, result.stderr


def pod_log(w: World, name: str, contains: str, timeout: float = 30) -> str:
    seen: list[str] = [""]

    def read() -> str | None:
        try:
            seen[0] = w.core.read_namespaced_pod_log(name, NS)
        except client.ApiException as exc:
            seen[0] = str(exc)
            return None
        return seen[0] if contains in seen[0] else None

    try:
        return str(wait_for(read, timeout))
    except AssertionError:
        raise AssertionError(f"{contains!r} not in the log of {name}: {seen[0]}") from None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("workload-identity")
    home = LabHome(root / "lab")
    start_on_free_port(home)
    az = azure_for(home)
    cluster = create_cluster(az, GROUP, CLUSTER)
    # `az aks update --enable-oidc-issuer --enable-workload-identity`
    cluster.oidc_issuer_profile = {"enabled": True}
    cluster.security_profile = {"workloadIdentity": {"enabled": True}}
    cluster = az.aks.managed_clusters.begin_create_or_update(
        GROUP, CLUSTER, cluster, **POLL
    ).result()
    identity = az.msi.user_assigned_identities.create_or_update(
        GROUP, IDENTITY, {"location": "japaneast"}
    )
    kv = KeyVaultManagementClient(az.credential, az.info["subscription_id"], **arm_kwargs(az.info))
    vault = kv.vaults.begin_create_or_update(
        GROUP,
        VAULT,
        {
            "location": "japaneast",
            "properties": {
                "tenantId": az.info["tenant_id"],
                "sku": {"family": "A", "name": "standard"},
                "enableRbacAuthorization": True,
            },
        },
        **POLL,
    ).result()
    creds = az.aks.managed_clusters.list_cluster_user_credentials(GROUP, CLUSTER)
    kubeconfig = root / "kubeconfig"
    kubeconfig.write_bytes(creds.kubeconfigs[0].value)
    kubeconfig.chmod(0o600)
    w = World(
        az, home, kubeconfig, root / "kube-home", cluster, identity, vault.properties.vault_uri, kv
    )
    apply(w, f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NS}\n")
    yield w
    stop(home)


# -- the issuer -----------------------------------------------------------------------------


def test_issuer_is_https_under_the_lab_and_serves_discovery_and_keys(world: World) -> None:
    origin = world.az.info["arm_endpoint"].rstrip("/")
    assert world.issuer == f"{origin}/oidc/{cluster_key(world.cluster.id)}/"
    assert world.cluster.security_profile.workload_identity.enabled is True
    ca = world.az.info["ca_bundle"]
    discovery = requests.get(
        f"{world.issuer}.well-known/openid-configuration", verify=ca, timeout=10
    ).json()
    assert discovery["issuer"] == world.issuer
    assert discovery["jwks_uri"] == f"{world.issuer}openid/v1/jwks"
    keys = requests.get(discovery["jwks_uri"], verify=ca, timeout=10).json()["keys"]
    assert [k["alg"] for k in keys] == ["RS256"]
    key_file = (
        world.home.root / "keys" / "service-accounts" / f"{cluster_key(world.cluster.id)}.pem"
    )
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_an_issuer_that_is_off_is_not_served(world: World) -> None:
    origin = world.az.info["arm_endpoint"].rstrip("/")
    reply = requests.get(
        f"{origin}/oidc/no-such-cluster/.well-known/openid-configuration",
        verify=world.az.info["ca_bundle"],
        timeout=10,
    )
    assert reply.status_code == 404


# -- federated identity credentials ------------------------------------------------------------


def test_federated_credentials_crud_and_validation(world: World) -> None:
    fics = world.az.msi.federated_identity_credentials
    spare = world.az.msi.user_assigned_identities.create_or_update(
        GROUP, "wi-spare", {"location": "japaneast"}
    )
    body = {
        "properties": {
            "issuer": world.issuer,
            "subject": "system:serviceaccount:a:b",
            "audiences": [AUDIENCE],
        }
    }
    made = fics.create_or_update(GROUP, spare.name, "fic-1", body)
    assert (
        made.type == "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
    )
    assert (made.issuer, made.subject, made.audiences) == (
        world.issuer,
        "system:serviceaccount:a:b",
        [AUDIENCE],
    )
    assert fics.get(GROUP, spare.name, "fic-1").id == made.id
    for bad in (
        {"issuer": "http://insecure.example/", "subject": "s", "audiences": [AUDIENCE]},
        {"issuer": world.issuer, "subject": "", "audiences": [AUDIENCE]},
        {"issuer": world.issuer, "subject": "s", "audiences": [AUDIENCE, "other"]},
    ):
        with pytest.raises(HttpResponseError) as caught:
            fics.create_or_update(GROUP, spare.name, "fic-bad", {"properties": bad})
        assert caught.value.status_code == 400
    for i in range(2, 21):
        fics.create_or_update(GROUP, spare.name, f"fic-{i}", body)
    assert len(list(fics.list(GROUP, spare.name))) == 20
    with pytest.raises(HttpResponseError) as caught:
        fics.create_or_update(GROUP, spare.name, "fic-21", body)
    assert caught.value.status_code == 400 and "maximum of 20" in str(caught.value)
    fics.delete(GROUP, spare.name, "fic-1")
    assert len(list(fics.list(GROUP, spare.name))) == 19
    world.az.msi.user_assigned_identities.delete(GROUP, spare.name)


# -- the full migration --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated(world: World) -> World:
    """The quick start's steps: secret, role, federated credential, service account, pod."""
    az = world.az
    vault_id = f"{az.sub}/resourceGroups/{GROUP}/providers/Microsoft.KeyVault/vaults/{VAULT}"
    # The learner writes the secret: Key Vault Secrets Officer (Owner has no data actions).
    assign(az, vault_id, "Key Vault Secrets Officer", _learner_oid(az))
    world.secrets(az.credential).set_secret(SECRET, "Hello!")
    assign(az, vault_id, "Key Vault Secrets User", world.identity.principal_id)
    trust_service_account(world, SA, "wi-fic")
    apply(world, pod_manifest("quick-start"))
    return world


def trust_service_account(w: World, service_account: str, credential: str) -> None:
    """A federated credential for the service account on the identity, and the annotated SA."""
    w.az.msi.federated_identity_credentials.create_or_update(
        GROUP,
        IDENTITY,
        credential,
        {
            "properties": {
                "issuer": w.issuer,
                "subject": f"system:serviceaccount:{NS}:{service_account}",
                "audiences": [AUDIENCE],
            }
        },
    )
    apply(
        w,
        f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: {service_account}
  namespace: {NS}
  annotations:
    azure.workload.identity/client-id: "{w.identity.client_id}"
""",
    )


def _learner_oid(az: Azure) -> str:
    token = az.credential.get_token("https://management.azure.com/.default").token
    return str(jwt.decode(token, options={"verify_signature": False})["oid"])


def test_the_pod_reads_the_secret_as_the_quick_start_shows(migrated: World) -> None:
    text = pod_log(migrated, "quick-start", "successfully got secret")
    line = next(x for x in text.splitlines() if "successfully got secret" in x)
    assert line.startswith("I") and 'main.go:63] "successfully got secret" secret="Hello!"' in line


def test_the_webhook_injected_env_and_the_projected_token(migrated: World) -> None:
    pod = migrated.core.read_namespaced_pod("quick-start", NS)
    env = {e.name: e.value for e in pod.spec.containers[0].env}
    assert env["AZURE_CLIENT_ID"] == migrated.identity.client_id
    assert env["AZURE_TENANT_ID"] == migrated.az.info["tenant_id"]
    assert env["AZURE_FEDERATED_TOKEN_FILE"] == "/var/run/secrets/azure/tokens/azure-identity-token"
    assert env["AZURE_AUTHORITY_HOST"] == migrated.az.info["authority_host"].rstrip("/") + "/"
    volume = next(v for v in pod.spec.volumes if v.name == "azure-identity-token")
    projection = volume.projected.sources[0].service_account_token
    assert (projection.audience, projection.expiration_seconds) == (AUDIENCE, 3600)
    mount = next(
        m for m in pod.spec.containers[0].volume_mounts if m.name == "azure-identity-token"
    )
    assert (mount.mount_path, mount.read_only) == ("/var/run/secrets/azure/tokens", True)
    token_file = migrated.token_file("quick-start")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    claims = jwt.decode(token_file.read_text(), options={"verify_signature": False})
    assert claims["iss"] == migrated.issuer
    assert claims["sub"] == f"system:serviceaccount:{NS}:{SA}"
    assert claims["aud"] == [AUDIENCE]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["kubernetes.io"]["pod"]["name"] == "quick-start"


def test_a_pod_without_the_label_gets_no_env_and_no_token(migrated: World) -> None:
    apply(migrated, pod_manifest("unlabelled", labelled=False))
    pod = migrated.core.read_namespaced_pod("unlabelled", NS)
    names = {e.name for e in pod.spec.containers[0].env}
    assert not names & {"AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST"}
    assert all(v.name != "azure-identity-token" for v in pod.spec.volumes)
    text = pod_log(migrated, "unlabelled", "failed to get secret from keyvault")
    assert "WorkloadIdentityCredential" in text or "AZURE_" in text
    assert not migrated.token_file("unlabelled").exists()


def test_a_labelled_pod_whose_service_account_is_missing_is_refused(migrated: World) -> None:
    result = migrated.kubectl("apply", "-f", "-", stdin=pod_manifest("no-sa", sa="nobody"))
    assert result.returncode != 0
    assert (
        'admission webhook "mutation.azure-workload-identity.io" denied the request'
        in result.stderr
    )


def test_token_exchange_with_the_real_credential_and_its_latency(migrated: World) -> None:
    credential = migrated.workload_credential(
        migrated.identity.client_id, migrated.token_file("quick-start")
    )
    started = time.perf_counter()
    token = credential.get_token("https://vault.azure.net/.default")
    elapsed = time.perf_counter() - started
    claims = jwt.decode(token.token, options={"verify_signature": False})
    assert (
        claims["oid"] == migrated.identity.principal_id
        and claims["aud"] == "https://vault.azure.net"
    )
    print(f"first WorkloadIdentityCredential token (discovery + exchange): {elapsed * 1000:.0f} ms")
    timings = []
    for _ in range(5):
        fresh = migrated.workload_credential(
            migrated.identity.client_id, migrated.token_file("quick-start")
        )
        t0 = time.perf_counter()
        fresh.get_token("https://vault.azure.net/.default")
        timings.append(time.perf_counter() - t0)
    print(f"token exchange, new credential each time: median {sorted(timings)[2] * 1000:.0f} ms")


# -- each federation mismatch gives Entra's error ------------------------------------------------


def _exchange_error(w: World, client_id: str, token_file: Path) -> str:
    with pytest.raises(ClientAuthenticationError) as caught:
        w.workload_credential(client_id, token_file).get_token("https://vault.azure.net/.default")
    return str(caught.value)


def _identity_with(w: World, name: str, **fic: Any) -> Any:
    identity = w.az.msi.user_assigned_identities.create_or_update(
        GROUP, name, {"location": "japaneast"}
    )
    if fic:
        props = {
            "issuer": w.issuer,
            "subject": f"system:serviceaccount:{NS}:{SA}",
            "audiences": [AUDIENCE],
            **fic,
        }
        w.az.msi.federated_identity_credentials.create_or_update(
            GROUP, name, "fic", {"properties": props}
        )
    return identity


def test_no_federated_credential_is_70021(migrated: World) -> None:
    identity = _identity_with(migrated, "wi-none")
    message = _exchange_error(migrated, identity.client_id, migrated.token_file("quick-start"))
    assert (
        "AADSTS70021: No matching federated identity record found for presented assertion."
        in message
    )
    assert f"Assertion Subject: 'system:serviceaccount:{NS}:{SA}'" in message


def test_issuer_mismatch_is_700211(migrated: World) -> None:
    identity = _identity_with(migrated, "wi-issuer", issuer="https://oidc.example.com/other/")
    message = _exchange_error(migrated, identity.client_id, migrated.token_file("quick-start"))
    assert (
        "AADSTS700211: No matching federated identity record found for presented assertion "
        f"issuer '{migrated.issuer}'"
    ) in message


def test_subject_mismatch_is_700213_and_case_matters(migrated: World) -> None:
    identity = _identity_with(migrated, "wi-subject", subject=f"system:serviceaccount:{NS}:other")
    message = _exchange_error(migrated, identity.client_id, migrated.token_file("quick-start"))
    assert (
        "AADSTS700213: No matching federated identity record found for presented assertion subject"
        in message
    )
    identity = _identity_with(
        migrated, "wi-case", subject=f"system:serviceaccount:{NS}:{SA.upper()}"
    )
    message = _exchange_error(migrated, identity.client_id, migrated.token_file("quick-start"))
    assert "AADSTS7002138" in message and "case-insensitive" in message


def test_audience_mismatch_is_700212(migrated: World) -> None:
    identity = _identity_with(migrated, "wi-audience", audiences=["api://SomethingElse"])
    message = _exchange_error(migrated, identity.client_id, migrated.token_file("quick-start"))
    assert (
        "AADSTS700212: No matching federated identity record found for presented assertion "
        f"audience '{AUDIENCE}'"
    ) in message


def _forged(w: World, tmp: Path, *, lifetime: int, issued: float, key: Any = None) -> Path:
    key_file = w.home.root / "keys" / "service-accounts" / f"{cluster_key(w.cluster.id)}.pem"
    real = w.token_file("quick-start").read_text()
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    claims.update(iat=int(issued), nbf=int(issued), exp=int(issued) + lifetime)
    signing = key or load_private_key(key_file.read_bytes())
    path = tmp / f"token-{uuid.uuid4().hex}"
    path.write_text(jwt.encode(claims, signing, algorithm="RS256", headers={"kid": header["kid"]}))
    return path


def test_expired_assertion_is_700024(migrated: World, tmp_path: Path) -> None:
    expired = _forged(migrated, tmp_path, lifetime=3600, issued=time.time() - 7200)
    message = _exchange_error(migrated, migrated.identity.client_id, expired)
    assert "AADSTS700024: Client assertion is not within its valid time range." in message


def test_foreign_signature_is_rejected(migrated: World, tmp_path: Path) -> None:
    from podid_lab.pki import new_rsa_key

    forged = _forged(migrated, tmp_path, lifetime=3600, issued=time.time(), key=new_rsa_key())
    message = _exchange_error(migrated, migrated.identity.client_id, forged)
    assert "AADSTS700027: Client assertion failed signature validation." in message


# -- Key Vault ------------------------------------------------------------------------------------


def test_key_vault_without_a_role_is_403_forbidden(migrated: World) -> None:
    identity = _identity_with(migrated, "wi-norole", issuer=migrated.issuer)
    credential = migrated.workload_credential(
        identity.client_id, migrated.token_file("quick-start")
    )
    with pytest.raises(HttpResponseError) as caught:
        migrated.secrets(credential).get_secret(SECRET)
    assert caught.value.status_code == 403
    assert caught.value.error is not None and caught.value.error.code == "Forbidden"
    assert "Caller is not authorized to perform action on resource." in str(caught.value)
    assert "Microsoft.KeyVault/vaults/secrets/getSecret/action" in str(caught.value)


def test_key_vault_challenge_and_secret_shape(migrated: World) -> None:
    reply = requests.get(
        f"{migrated.vault_uri}secrets/{SECRET}?api-version=7.6",
        verify=migrated.az.info["ca_bundle"],
        timeout=10,
    )
    assert reply.status_code == 401
    challenge = reply.headers["WWW-Authenticate"]
    assert (
        challenge.startswith('Bearer authorization="')
        and 'resource="https://vault.azure.net"' in challenge
    )
    secret = migrated.secrets(migrated.az.credential).get_secret(SECRET)
    assert secret.value == "Hello!" and secret.name == SECRET
    assert secret.properties.vault_url == migrated.vault_uri.rstrip("/")


def test_key_vault_refuses_a_body_nested_too_deep(migrated: World) -> None:
    token = migrated.az.credential.get_token("https://vault.azure.net/.default").token
    url = f"{migrated.vault_uri}secrets/too-deep?api-version=7.6"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    ca = migrated.az.info["ca_bundle"]
    for body in (b"[" * 100_000, b'{"value":' * 100_000):
        refused = requests.put(url, data=body, headers=headers, verify=ca, timeout=10)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "BadParameter"
    assert requests.get(url, headers=headers, verify=ca, timeout=10).status_code == 404


def test_secrets_user_cannot_write(migrated: World) -> None:
    credential = migrated.workload_credential(
        migrated.identity.client_id, migrated.token_file("quick-start")
    )
    with pytest.raises(HttpResponseError) as caught:
        migrated.secrets(credential).set_secret("other", "x")
    assert caught.value.status_code == 403 and "setSecret/action" in str(caught.value)


def test_the_lab_recorded_the_exchanges_and_key_vault_decisions(migrated: World) -> None:
    """After the tests above: the events name the credential that matched, the AADSTS codes,
    the role that let Key Vault answer, and never the secret's value or a token."""
    answer = requests.get(
        f"{migrated.az.info['arm_endpoint']}/_lab/events",
        headers={"x-podid-lab-key": migrated.home.admin_key()},
        verify=migrated.az.info["ca_bundle"],
        timeout=10,
    )
    events = answer.json()["value"]
    exchanged = [e for e in events if e["kind"] == "workload-identity" and e["status"] == 200]
    assert exchanged and exchanged[0]["credential"].endswith("/federatedIdentityCredentials/wi-fic")
    assert exchanged[0]["subject"] == f"system:serviceaccount:{NS}:{SA}"
    assert exchanged[0]["issuer"] == migrated.issuer
    refused = {e["outcome"] for e in events if e["kind"] == "workload-identity"}
    assert {"AADSTS70021", "AADSTS700211", "AADSTS700213", "AADSTS700212"} <= refused
    vault = [e for e in events if e["kind"] == "keyvault"]
    read = next(e for e in vault if e["oid"] == migrated.identity.principal_id)
    assert (read["outcome"], read["operation"], read["secret_name"]) == ("allowed", "get", SECRET)
    assert read["granted_by"] == "Key Vault Secrets User"
    assert any(e["outcome"] == "Forbidden" and e["operation"] == "set" for e in vault)
    raw = answer.text
    assert "Hello!" not in raw and "eyJ" not in raw


def test_vault_soft_delete_then_purge_frees_the_name(world: World) -> None:
    kv = world.kv
    body = {
        "location": "japaneast",
        "properties": {
            "tenantId": world.az.info["tenant_id"],
            "sku": {"family": "A", "name": "standard"},
        },
    }
    kv.vaults.begin_create_or_update(GROUP, "kv-podid-tmp", body, **POLL).result()
    kv.vaults.delete(GROUP, "kv-podid-tmp")
    assert kv.vaults.get_deleted("kv-podid-tmp", "japaneast").name == "kv-podid-tmp"
    with pytest.raises(HttpResponseError) as caught:
        kv.vaults.begin_create_or_update(GROUP, "kv-podid-tmp", body, **POLL).result()
    assert "already exists in deleted state" in str(caught.value)
    kv.vaults.begin_purge_deleted("kv-podid-tmp", "japaneast", **POLL).result()
    again = kv.vaults.begin_create_or_update(GROUP, "kv-podid-tmp", body, **POLL).result()
    assert again.properties.enable_rbac_authorization is True


def test_zz_restart_keeps_the_vault_endpoint_keys_and_secret(migrated: World) -> None:
    """Last in the module: after a restart the vault answers at the same URI with its secret,
    and the cluster's signing key (hence every federated token) is unchanged."""
    key_file = (
        migrated.home.root / "keys" / "service-accounts" / f"{cluster_key(migrated.cluster.id)}.pem"
    )
    before = key_file.read_bytes()
    stop(migrated.home)
    start(migrated.home, port=0)
    az = azure_for(migrated.home)
    assert key_file.read_bytes() == before
    client_ = SecretClient(
        migrated.vault_uri,
        az.credential,
        verify_challenge_resource=False,
        connection_verify=az.info["ca_bundle"],
    )
    assert client_.get_secret(SECRET).value == "Hello!"

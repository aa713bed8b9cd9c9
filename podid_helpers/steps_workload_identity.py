"""09-workload-identity: migrate the pod identity to Microsoft Entra Workload ID, as Learn does.

The order is Microsoft's: turn on the OIDC issuer and workload identity, make a vault with a
secret and let the existing identity read it, trust the service account with a federated
credential, annotate the service account, run the quick start's labelled pod beside the pod
identity demo, and only then remove the pod identity.
"""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

from .errors import AzureOperationError, PodidError, StepOrderError
from .i18n import _
from .live import wait_for_poller, wait_until
from .lookups import (
    ASSIGNMENT_DESCRIPTION,
    STEP_CLUSTER,
    assignment_name,
    azure_errors,
    find_cluster,
    find_identity,
    find_pod,
    find_resource_group,
    find_role_assignments,
    kube_errors,
    pod_identity_enabled,
    pod_identity_entry,
    require_cluster,
    require_identity,
    role_definition_id,
)
from .manifests import DEMO_POD
from .pods import (
    POD_START_TIMEOUT,
    delete_pod_and_wait,
    ensure_namespace,
    follow_pod_log,
    placed_summary,
)
from .results import DemoLog, StepResult
from .session import TAGS
from .steps_demo import log_line_text, pod_state

if TYPE_CHECKING:
    from azure.keyvault.secrets import SecretClient
    from azure.mgmt.containerservice.models import ManagedCluster
    from azure.mgmt.keyvault.models import Vault

    from .session import Session

__all__ = [
    "MSAL_GO_IMAGE",
    "SECRET_VALUE",
    "WORKLOAD_IDENTITY_POD",
    "clean_up_workload_identity",
    "create_federated_credential",
    "create_key_vault",
    "create_service_account",
    "deploy_workload_identity_demo",
    "enable_workload_identity",
    "follow_workload_identity_logs",
    "grant_secret_reader",
    "remove_pod_identity",
    "store_secret",
    "workload_identity_costs",
    "workload_identity_manifest",
]

STEP_WORKLOAD_ID = "09-workload-identity"
AUDIENCE = "api://AzureADTokenExchange"
USE_LABEL = "azure.workload.identity/use"
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
SECRETS_OFFICER = "Key Vault Secrets Officer"
SECRETS_USER = "Key Vault Secrets User"
# The quick start's pod, image and secret value, unchanged.
WORKLOAD_IDENTITY_POD = "sample-workload-identity-key-vault"
# Path A's pod (migration_sidecar), which the clean-up removes too.
SIDECAR_DEMO_POD = "demo-sidecar"
MSAL_GO_IMAGE = "ghcr.io/azure/azure-workload-identity/msal-go"
SECRET_VALUE = "Hello!"
SUCCESS_LINE = '"successfully got secret"'
FAILURE_LINE = '"failed to get secret from keyvault"'
# Azure RBAC takes minutes to reach Key Vault's data plane; the lab needs none of it.
RBAC_PROPAGATION_TIMEOUT = 300.0
_ARM_SCOPE = "https://management.azure.com/.default"

_MANIFEST = """\
apiVersion: v1
kind: Pod
metadata:
  name: {pod}
  namespace: {namespace}
  labels:
    {label}: "true"
spec:
  serviceAccountName: {service_account}
  containers:
    - image: {image}
      name: oidc
      env:
      - name: KEYVAULT_URL
        value: ${{KEYVAULT_URL}}
      - name: SECRET_NAME
        value: {secret}
  nodeSelector:
    kubernetes.io/os: linux
"""


# -- shared reads -----------------------------------------------------------------------------


def shown_url(session: Session, url: str) -> str:
    """A URL fit for stored output: the lab's listens on a port of this run, so hide it."""
    return url if session.mode == "azure" else re.sub(r"^(https?://[^/:]+):\d+", r"\1:<port>", url)


def signed_in(session: Session) -> dict[str, Any]:
    """The claims of this session's ARM token: who is signed in (``oid``, ``tid``, ``idtyp``)."""
    token = session.credential.get_token(_ARM_SCOPE).token
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def workload_identity_enabled(cluster: ManagedCluster) -> bool:
    """Whether the OIDC issuer and workload identity are both on."""
    oidc = cluster.oidc_issuer_profile
    security = cluster.security_profile
    workload = security.workload_identity if security is not None else None
    return bool(oidc and oidc.enabled and workload and workload.enabled)


def issuer_url(cluster: ManagedCluster) -> str | None:
    """The cluster's OIDC issuer URL (``az aks show --query oidcIssuerProfile.issuerUrl``)."""
    oidc = cluster.oidc_issuer_profile
    return oidc.issuer_url if oidc is not None and oidc.enabled else None


def require_workload_identity(session: Session) -> ManagedCluster:
    """The cluster with Workload ID on, or ``StepOrderError`` naming the step that turns it on."""
    cluster = require_cluster(session)
    if not workload_identity_enabled(cluster):
        raise StepOrderError(
            f"{STEP_WORKLOAD_ID} (enable_workload_identity)",
            _(
                "the OIDC issuer and workload identity are not both enabled on cluster {cluster}"
            ).format(cluster=repr(session.settings.cluster_name)),
        )
    return cluster


def find_vault(session: Session) -> Vault | None:
    """The key vault named in the settings, in the settings' resource group, or None."""
    from azure.core.exceptions import ResourceNotFoundError

    s = session.settings
    with azure_errors():
        try:
            found: Vault = session.keyvault.vaults.get(s.resource_group, s.key_vault_name)
            return found
        except ResourceNotFoundError:
            return None


def require_vault(session: Session) -> Vault:
    """The vault, or ``StepOrderError`` naming ``create_key_vault``."""
    vault = find_vault(session)
    if vault is None:
        s = session.settings
        raise StepOrderError(
            f"{STEP_WORKLOAD_ID} (create_key_vault)",
            _("key vault {vault} not found in resource group {group}").format(
                vault=repr(s.key_vault_name), group=repr(s.resource_group)
            ),
        )
    return vault


def secret_client(session: Session, vault: Vault) -> SecretClient:
    """A Key Vault secrets client for ``vault``, signed in as this session."""
    from azure.keyvault.secrets import SecretClient

    # The challenge names https://vault.azure.net while the lab's vault answers at 127.0.0.1,
    # so the SDK's check that the two match must be off there; on Azure it stays on.
    return SecretClient(
        str(vault.properties.vault_uri),
        session.credential,
        verify_challenge_resource=session.mode == "azure",
        connection_verify=session.verify,
    )


def find_federated_credential(session: Session) -> Any | None:
    """The federated identity credential named in the settings, or None."""
    from azure.core.exceptions import ResourceNotFoundError

    s = session.settings
    with azure_errors():
        try:
            return session.msi.federated_identity_credentials.get(
                s.resource_group, s.identity_name, s.federated_credential_name
            )
        except ResourceNotFoundError:
            return None


def find_service_account(session: Session) -> Any | None:
    """The service account named in the settings, or None."""
    from kubernetes.client.exceptions import ApiException

    s = session.settings
    with kube_errors():
        try:
            return session.core_v1.read_namespaced_service_account(
                s.service_account_name, s.namespace
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise


def subject(session: Session) -> str:
    """The subject Kubernetes puts in the service account's tokens."""
    s = session.settings
    return f"system:serviceaccount:{s.namespace}:{s.service_account_name}"


def grant(
    session: Session, scope: str, principal_id: str, role: str, principal_type: str | None
) -> bool:
    """Assign ``role`` to ``principal_id`` at ``scope`` unless it is; True when it was made."""
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    if find_role_assignments(session, scope, principal_id, role):
        return False
    parameters = RoleAssignmentCreateParameters(
        role_definition_id=role_definition_id(session, scope, role),
        principal_id=principal_id,
        description=ASSIGNMENT_DESCRIPTION,
    )
    # Azure rejects a wrong principalType; left out, Azure looks the principal up itself.
    if principal_type is not None:
        parameters.principal_type = principal_type
    try:
        with azure_errors():
            session.authorization.role_assignments.create(
                scope, assignment_name(scope, principal_id, role), parameters
            )
    except AzureOperationError as exc:
        if exc.code != "RoleAssignmentExists":
            raise
        return False
    return True


# -- Step 1: the OIDC issuer and workload identity ---------------------------------------------


def _put_cluster(session: Session, cluster: ManagedCluster, what: str) -> ManagedCluster:
    s = session.settings
    with azure_errors():
        poller = session.containerservice.managed_clusters.begin_create_or_update(
            s.resource_group, s.cluster_name, cluster
        )
        return wait_for_poller(poller, what)


def enable_workload_identity(session: Session) -> StepResult:
    """``az aks update --enable-oidc-issuer --enable-workload-identity``, unless both are on."""
    from azure.mgmt.containerservice import models as m

    s = session.settings
    cluster = require_cluster(session)
    changed = not workload_identity_enabled(cluster)
    if changed:
        # As az does: change the cluster as fetched and PUT all of it back.
        cluster.oidc_issuer_profile = m.ManagedClusterOIDCIssuerProfile(enabled=True)
        security = cluster.security_profile or m.ManagedClusterSecurityProfile()
        security.workload_identity = m.ManagedClusterSecurityProfileWorkloadIdentity(enabled=True)
        cluster.security_profile = security
        cluster = _put_cluster(
            session,
            cluster,
            _("enabling workload identity on {cluster}").format(cluster=s.cluster_name),
        )
    issuer = issuer_url(cluster)
    return StepResult(
        step="enable_workload_identity",
        changed=changed,
        summary=(
            _("enabled the OIDC issuer and workload identity on cluster {cluster}")
            if changed
            else _("the OIDC issuer and workload identity are on for cluster {cluster}")
        ).format(cluster=repr(s.cluster_name)),
        details=(
            f"oidcIssuerProfile.issuerUrl: {shown_url(session, issuer) if issuer else None}",
            f"securityProfile.workloadIdentity.enabled: {workload_identity_enabled(cluster)}",
        ),
    )


# -- Step 2: the vault, the secret, and who may read it ----------------------------------------


def find_deleted_vault(session: Session) -> Any | None:
    """The soft-deleted vault with the settings' name (``az keyvault show-deleted``), or None."""
    from azure.core.exceptions import ResourceNotFoundError

    s = session.settings
    with azure_errors():
        try:
            return session.keyvault.vaults.get_deleted(s.key_vault_name, s.location)
        except ResourceNotFoundError:
            return None


def create_key_vault(session: Session) -> StepResult:
    """``az keyvault create --enable-rbac-authorization``; recovers this vault if soft-deleted."""
    from azure.mgmt.keyvault import models as kv

    s = session.settings
    if find_resource_group(session) is None:
        raise StepOrderError(
            STEP_CLUSTER,
            _("resource group {group} not found").format(group=repr(s.resource_group)),
        )
    vault = find_vault(session)
    if vault is not None and vault.properties.enable_rbac_authorization:
        return StepResult(
            step="create_key_vault",
            changed=False,
            summary=_("key vault {vault} exists").format(vault=repr(s.key_vault_name)),
            details=("enableRbacAuthorization: True",),
        )
    # Deleting a vault (or its resource group, as 07 does) only soft-deletes it: its name stays
    # taken for 90 days unless the vault is recovered or purged. Recover ours, as az suggests.
    recover = vault is None and find_deleted_vault(session) is not None
    parameters = kv.VaultCreateOrUpdateParameters(
        location=s.location,
        tags=dict(TAGS),
        properties=kv.VaultProperties(
            tenant_id=signed_in(session)["tid"],
            sku=kv.Sku(family="A", name="standard"),
            enable_rbac_authorization=True,
            create_mode="recover" if recover else None,
        ),
    )
    try:
        with azure_errors():
            poller = session.keyvault.vaults.begin_create_or_update(
                s.resource_group, s.key_vault_name, parameters
            )
            wait_for_poller(poller, _("creating key vault {vault}").format(vault=s.key_vault_name))
    except AzureOperationError as exc:
        if exc.code != "VaultAlreadyExists":
            raise
        raise PodidError(
            _(
                "The key vault name {vault} is taken: vault names are unique across "
                "all of Azure. Choose another key_vault_name in 00's settings form "
                "(or set PODID_KEY_VAULT_NAME), then run this cell again."
            ).format(vault=repr(s.key_vault_name))
        ) from None
    made = (
        _("recovered soft-deleted key vault {vault} in {group}")
        if recover
        else _("created key vault {vault} in {group}")
    )
    return StepResult(
        step="create_key_vault",
        changed=True,
        summary=made.format(vault=repr(s.key_vault_name), group=repr(s.resource_group)),
        details=("enableRbacAuthorization: True", "sku: standard"),
    )


def _principal_type(claims: dict[str, Any]) -> str | None:
    return {"user": "User", "app": "ServicePrincipal"}.get(str(claims.get("idtyp")))


def _read_secret(session: Session, vault: Vault) -> str | None:
    from azure.core.exceptions import ResourceNotFoundError

    with azure_errors():
        try:
            secret = secret_client(session, vault).get_secret(session.settings.secret_name)
        except ResourceNotFoundError:
            return None
    return secret.value


def store_secret(session: Session) -> StepResult:
    """Grant yourself Key Vault Secrets Officer, then ``az keyvault secret set`` the demo's."""
    s = session.settings
    vault = require_vault(session)
    claims = signed_in(session)
    who = (
        _("you (signed in as a user)")
        if claims.get("idtyp") == "user"
        else _("you (signed in as a service principal)")
    )
    granted = grant(
        session, str(vault.id), str(claims["oid"]), SECRETS_OFFICER, _principal_type(claims)
    )

    def write() -> tuple[bool, str]:
        # A fresh grant may take minutes to reach the data plane on Azure: 403 until then.
        try:
            current = _read_secret(session, vault)
            if current != SECRET_VALUE:
                with azure_errors():
                    secret_client(session, vault).set_secret(s.secret_name, SECRET_VALUE)
            return True, "stored" if current != SECRET_VALUE else "present"
        except AzureOperationError as exc:
            if exc.status != 403:
                raise
            return False, _("waiting for the role to reach Key Vault")

    ok, state = wait_until(
        _("writing secret {secret}").format(secret=s.secret_name),
        write,
        timeout=RBAC_PROPAGATION_TIMEOUT,
        interval=5.0,
    )
    if not ok:
        raise PodidError(
            _(
                "Key Vault still refuses to let you write to {vault}; role "
                "assignments can take a few minutes to apply. Run this cell again shortly."
            ).format(vault=repr(s.key_vault_name))
        )
    return StepResult(
        step="store_secret",
        changed=granted or state == "stored",
        summary=(
            _("secret {secret} in key vault {vault} stored")
            if state == "stored"
            else _("secret {secret} in key vault {vault} exists")
        ).format(secret=repr(s.secret_name), vault=repr(s.key_vault_name)),
        details=(
            _held(SECRETS_OFFICER, granted, who),
            _("value: {value}").format(value=repr(SECRET_VALUE)),
        ),
    )


def _held(role: str, granted: bool, who: str) -> str:
    # After a new grant "<role> assigned to <who>", else "<role> already held by <who>".
    line = _("{role} assigned to {grantee}") if granted else _("{role} already held by {grantee}")
    return line.format(role=role, grantee=who)


def grant_secret_reader(session: Session) -> StepResult:
    """Give the pod identity's managed identity Key Vault Secrets User on the vault."""
    s = session.settings
    vault = require_vault(session)
    identity = require_identity(session)
    granted = grant(
        session, str(vault.id), str(identity.principal_id), SECRETS_USER, "ServicePrincipal"
    )
    return StepResult(
        step="grant_secret_reader",
        changed=granted,
        summary=_("{grant} on key vault {vault}").format(
            grant=_held(
                SECRETS_USER,
                granted,
                _("identity {identity}").format(identity=repr(s.identity_name)),
            ),
            vault=repr(s.key_vault_name),
        ),
        details=(f"principalId: {identity.principal_id}",),
    )


# -- Step 3: trust between the identity and the service account --------------------------------


def create_federated_credential(session: Session) -> StepResult:
    """``az identity federated-credential create`` for the cluster's issuer and the SA."""
    s = session.settings
    cluster = require_workload_identity(session)
    require_identity(session)
    issuer = str(issuer_url(cluster))
    wanted = (issuer, subject(session), [AUDIENCE])
    current = find_federated_credential(session)
    changed = current is None or (current.issuer, current.subject, current.audiences) != wanted
    if changed:
        with azure_errors():
            session.msi.federated_identity_credentials.create_or_update(
                s.resource_group,
                s.identity_name,
                s.federated_credential_name,
                {"properties": {"issuer": issuer, "subject": wanted[1], "audiences": wanted[2]}},
            )
    summary = (
        _("federated credential {credential} on identity {identity} created")
        if current is None
        else _("federated credential {credential} on identity {identity} updated")
        if changed
        else _("federated credential {credential} on identity {identity} exists")
    )
    return StepResult(
        step="create_federated_credential",
        changed=changed,
        summary=summary.format(
            credential=repr(s.federated_credential_name), identity=repr(s.identity_name)
        ),
        details=(
            f"issuer: {shown_url(session, issuer)}",
            f"subject: {wanted[1]}",
            f"audience: {AUDIENCE}",
        ),
    )


def create_service_account(session: Session) -> StepResult:
    """The service account, annotated with the identity's client ID (``kubectl apply``)."""
    from kubernetes.client import V1ObjectMeta, V1ServiceAccount

    s = session.settings
    require_workload_identity(session)
    client_id = str(require_identity(session).client_id)
    current = find_service_account(session)
    annotations = (current.metadata.annotations or {}) if current is not None else {}
    changed = annotations.get(CLIENT_ID_ANNOTATION) != client_id
    if current is None:
        ensure_namespace(session, s.namespace)
        body = V1ServiceAccount(
            metadata=V1ObjectMeta(
                name=s.service_account_name,
                namespace=s.namespace,
                annotations={CLIENT_ID_ANNOTATION: client_id},
            )
        )
        with kube_errors():
            session.core_v1.create_namespaced_service_account(s.namespace, body)
    elif changed:
        patch = {"metadata": {"annotations": {CLIENT_ID_ANNOTATION: client_id}}}
        with kube_errors():
            session.core_v1.patch_namespaced_service_account(
                s.service_account_name, s.namespace, patch
            )
    return StepResult(
        step="create_service_account",
        changed=changed,
        summary=(
            _("service account {account} in namespace {namespace} created")
            if current is None
            else _("service account {account} in namespace {namespace} annotated")
            if changed
            else _("service account {account} in namespace {namespace} exists")
        ).format(account=repr(s.service_account_name), namespace=repr(s.namespace)),
        details=(f"{CLIENT_ID_ANNOTATION}: {client_id}",),
    )


# -- Step 4: the quick start's pod, beside the pod identity demo -------------------------------


def workload_identity_manifest(session: Session) -> str:
    """The quick start's pod for these names; ``${KEYVAULT_URL}`` is the vault's URI."""
    s = session.settings
    return _MANIFEST.format(
        pod=WORKLOAD_IDENTITY_POD,
        namespace=s.namespace,
        label=USE_LABEL,
        service_account=s.service_account_name,
        image=MSAL_GO_IMAGE,
        secret=s.secret_name,
    )


def wanted_pod(session: Session, vault: Vault) -> dict[str, Any]:
    """The quick start's pod as the dict ``kubectl apply`` sends, with the vault's URI in."""
    import yaml

    text = workload_identity_manifest(session)
    # As the quick start's `envsubst`; kept out of the shown manifest (a lab port is in it).
    parsed: dict[str, Any] = yaml.safe_load(
        text.replace("${KEYVAULT_URL}", str(vault.properties.vault_uri))
    )
    return parsed


def _same_pod(pod: Any, wanted: dict[str, Any]) -> bool:
    container = wanted["spec"]["containers"][0]
    labels = (pod.metadata.labels or {}) if pod.metadata else {}
    current = pod.spec.containers[0] if pod.spec and pod.spec.containers else None
    env = {e.name: e.value for e in (current.env or [])} if current is not None else {}
    return bool(
        current is not None
        and labels.get(USE_LABEL) == "true"
        and pod.spec.service_account_name == wanted["spec"]["serviceAccountName"]
        and current.image == container["image"]
        and all(env.get(e["name"]) == e["value"] for e in container["env"])
    )


def wait_until_running(session: Session, pod: str, timeout: float) -> str:
    """Wait while the pod in the learner's namespace starts; its state, or PodidError."""
    namespace = session.settings.namespace

    def running() -> tuple[bool, str]:
        found = find_pod(session, pod, namespace)
        state = pod_state(found) if found is not None else "(gone)"
        return state not in ("Pending", "ContainerCreating", "(gone)"), state

    _done, state = wait_until(_("starting pod {pod}").format(pod=pod), running, timeout=timeout)
    if state != "Running":
        raise PodidError(
            _(
                "pod {pod} is {state}, not Running. See its events and log: "
                "kubectl describe pod {name} -n {namespace}"
            ).format(pod=repr(pod), state=state, name=pod, namespace=namespace)
        )
    return str(state)


def deploy_workload_identity_demo(
    session: Session, *, timeout: float = POD_START_TIMEOUT
) -> StepResult:
    """``kubectl apply`` the quick start's pod and wait until it runs."""
    from kubernetes.client import V1Pod

    s = session.settings
    require_workload_identity(session)
    vault = require_vault(session)
    if find_service_account(session) is None:
        raise StepOrderError(
            f"{STEP_WORKLOAD_ID} (create_service_account)",
            _("service account {account} not found in namespace {namespace}").format(
                account=repr(s.service_account_name), namespace=repr(s.namespace)
            ),
        )
    wanted = wanted_pod(session, vault)
    existing = find_pod(session, WORKLOAD_IDENTITY_POD, s.namespace)
    changed = existing is None or not _same_pod(existing, wanted)
    if existing is not None and changed:
        delete_pod_and_wait(session, WORKLOAD_IDENTITY_POD, s.namespace)
    if changed:
        with kube_errors():
            body = V1Pod.from_dict(wanted)
            assert body is not None  # from_dict returns None only for None
            session.core_v1.create_namespaced_pod(s.namespace, body)

    state = wait_until_running(session, WORKLOAD_IDENTITY_POD, timeout)
    return StepResult(
        step="deploy_workload_identity_demo",
        changed=changed,
        summary=placed_summary(WORKLOAD_IDENTITY_POD, s.namespace, created=changed),
        details=(
            _("status: {state}").format(state=state),
            f'label {USE_LABEL}: "true"',
            f"serviceAccountName: {s.service_account_name}",
        ),
    )


def follow_workload_identity_logs(session: Session, *, timeout: float = 60.0) -> DemoLog:
    """``kubectl logs --follow`` the quick start's pod until it reports the secret (or fails)."""
    s = session.settings
    if find_pod(session, WORKLOAD_IDENTITY_POD, s.namespace) is None:
        raise StepOrderError(
            f"{STEP_WORKLOAD_ID} (deploy_workload_identity_demo)",
            _("pod {pod} not found in namespace {namespace}").format(
                pod=repr(WORKLOAD_IDENTITY_POD), namespace=repr(s.namespace)
            ),
        )
    lines = follow_pod_log(
        session,
        WORKLOAD_IDENTITY_POD,
        s.namespace,
        done=lambda read: SUCCESS_LINE in read[-1] or FAILURE_LINE in read[-1],
        timeout=timeout,
    )
    succeeded = any(SUCCESS_LINE in line for line in lines)
    return DemoLog(
        step="follow_workload_identity_logs",
        changed=False,
        summary=(
            _("pod {pod} read secret {secret} with its federated token")
            if succeeded
            else _("pod {pod} has not read the secret")
        ).format(pod=repr(WORKLOAD_IDENTITY_POD), secret=repr(s.secret_name)),
        details=tuple(log_line_text(line) for line in lines),
        lines=tuple(lines),
        succeeded=succeeded,
    )


# -- Step 5: the migration's last step ----------------------------------------------------------


def remove_pod_identity(session: Session) -> StepResult:
    """Delete the old demo, ``az aks pod-identity delete``, then disable the add-on."""
    from azure.mgmt.containerservice import models as m

    s = session.settings
    cluster = require_workload_identity(session)
    if find_pod(session, WORKLOAD_IDENTITY_POD, s.namespace) is None:
        raise StepOrderError(
            f"{STEP_WORKLOAD_ID} (deploy_workload_identity_demo)",
            _("migrate before removing: the Workload ID pod is not running yet"),
        )
    done: list[str] = []
    if find_pod(session, DEMO_POD, s.namespace) is not None:
        delete_pod_and_wait(session, DEMO_POD, s.namespace)
        done.append(_("deleted pod {pod} (the pod identity demo)").format(pod=repr(DEMO_POD)))
    entry = pod_identity_entry(cluster, s.pod_identity_name, s.namespace)
    if entry is not None:
        done.append(
            _("removed pod identity {name} (az aks pod-identity delete)").format(
                name=repr(s.pod_identity_name)
            )
        )
    if pod_identity_enabled(cluster):
        # --disable-pod-identity drops every pod identity with the add-on; one PUT does both.
        cluster.pod_identity_profile = m.ManagedClusterPodIdentityProfile(enabled=False)
        _put_cluster(
            session,
            cluster,
            _("disabling pod identity on {cluster}").format(cluster=s.cluster_name),
        )
        done.append(_("disabled the pod identity add-on (az aks update --disable-pod-identity)"))
    return StepResult(
        step="remove_pod_identity",
        changed=bool(done),
        summary=(
            _("pod identity removed from cluster {cluster}")
            if done
            else _("no pod identity left on cluster {cluster}")
        ).format(cluster=repr(s.cluster_name)),
        details=tuple(done),
    )


# -- Clean up -------------------------------------------------------------------------------------


def _delete_vault_assignments(session: Session, vault: Vault) -> int:
    scope = str(vault.id).lower()
    with azure_errors():
        listed = list(session.authorization.role_assignments.list_for_scope(str(vault.id)))
        ours = [
            a
            for a in listed
            if a.description == ASSIGNMENT_DESCRIPTION and str(a.scope or "").lower() == scope
        ]
        for assignment in ours:
            session.authorization.role_assignments.delete_by_id(assignment.id)
    return len(ours)


def _clean_cluster_side(session: Session, done: list[str]) -> None:
    s = session.settings
    cluster = find_cluster(session)
    if cluster is None or not session.kubeconfig_path.exists():
        return
    for pod in (WORKLOAD_IDENTITY_POD, SIDECAR_DEMO_POD):
        if find_pod(session, pod, s.namespace) is not None:
            delete_pod_and_wait(session, pod, s.namespace)
            done.append(_("deleted pod {pod}").format(pod=repr(pod)))
    if find_service_account(session) is not None:
        with kube_errors():
            session.core_v1.delete_namespaced_service_account(s.service_account_name, s.namespace)
        done.append(
            _("deleted service account {account}").format(account=repr(s.service_account_name))
        )


def _disable_workload_identity(session: Session, done: list[str]) -> None:
    from azure.mgmt.containerservice import models as m

    s = session.settings
    cluster = find_cluster(session)
    security = cluster.security_profile if cluster is not None else None
    if cluster is None or security is None or not security.workload_identity:
        return
    if not security.workload_identity.enabled:
        return
    # The OIDC issuer stays: AKS does not support turning it off once it is on.
    security.workload_identity = m.ManagedClusterSecurityProfileWorkloadIdentity(enabled=False)
    _put_cluster(
        session,
        cluster,
        _("disabling workload identity on {cluster}").format(cluster=s.cluster_name),
    )
    done.append(_("disabled workload identity (az aks update --disable-workload-identity)"))


def clean_up_workload_identity(session: Session) -> StepResult:
    """Remove what 09 made: pod, service account, credential, grants, vault (purged), webhook."""
    s = session.settings
    done: list[str] = []
    _clean_cluster_side(session, done)
    if find_identity(session) is not None and find_federated_credential(session) is not None:
        with azure_errors():
            session.msi.federated_identity_credentials.delete(
                s.resource_group, s.identity_name, s.federated_credential_name
            )
        done.append(
            _("deleted federated credential {credential}").format(
                credential=repr(s.federated_credential_name)
            )
        )
    vault = find_vault(session)
    if vault is not None:
        removed = _delete_vault_assignments(session, vault)
        if removed:
            done.append(_("removed {count} Key Vault role assignment(s)").format(count=removed))
        with azure_errors():
            session.keyvault.vaults.delete(s.resource_group, s.key_vault_name)
        done.append(_("deleted key vault {vault}").format(vault=repr(s.key_vault_name)))
    if find_deleted_vault(session) is not None:
        # Purged so that the name is free again and nothing of the vault lingers.
        with azure_errors():
            poller = session.keyvault.vaults.begin_purge_deleted(s.key_vault_name, s.location)
            wait_for_poller(poller, _("purging key vault {vault}").format(vault=s.key_vault_name))
        done.append(_("purged key vault {vault}").format(vault=repr(s.key_vault_name)))
    _disable_workload_identity(session, done)
    return StepResult(
        step="clean_up_workload_identity",
        changed=bool(done),
        summary=(
            _("removed what 09-workload-identity made") if done else _("nothing left to remove")
        ),
        details=tuple(done),
    )


def workload_identity_costs(session: Session) -> str:
    """What this notebook costs in the current mode (nothing in the lab)."""
    if session.mode == "lab":
        return _("lab mode: nothing in this notebook costs money")
    return _(
        "⚠ Azure mode: this notebook adds a Key Vault (standard tier, billed per operation) to "
        "the AKS cluster that is already billing by the hour. Run its last step, then "
        "07-cleanup, when you are done."
    )

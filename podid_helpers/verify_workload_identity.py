"""The checks behind 09-workload-identity's verify cells, and the pod identity → Workload ID map."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .checks import CheckReport, CheckResult
from .errors import PodidError
from .lookups import (
    find_cluster,
    find_custom_object,
    find_identity,
    find_pod,
    find_role_assignments,
    kube_errors,
    pod_identity_enabled,
    pod_identity_entry,
)
from .manifests import DEMO_POD
from .steps_demo import log_line_text, pod_state
from .steps_workload_identity import (
    AUDIENCE,
    CLIENT_ID_ANNOTATION,
    MSAL_GO_IMAGE,
    SECRET_VALUE,
    SECRETS_OFFICER,
    SECRETS_USER,
    SIDECAR_DEMO_POD,
    SUCCESS_LINE,
    USE_LABEL,
    WORKLOAD_IDENTITY_POD,
    find_deleted_vault,
    find_federated_credential,
    find_service_account,
    find_vault,
    issuer_url,
    secret_client,
    shown_url,
    signed_in,
    subject,
)

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "MigrationMap",
    "check_federated_credential",
    "check_key_vault",
    "check_pod_identity_removed",
    "check_secret_reader",
    "check_secret_stored",
    "check_service_account",
    "check_side_by_side",
    "check_workload_identity_cleaned_up",
    "check_workload_identity_demo",
    "check_workload_identity_enabled",
    "check_workload_identity_logs",
    "migration_map",
]

_INJECTED = (
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
)


def _report(title: str, hint: str, run: Callable[[], list[CheckResult]]) -> CheckReport:
    """Run the checks of one verify cell; an error on the way (lab down…) becomes the answer."""
    try:
        return CheckReport(title, run())
    except PodidError as exc:
        observed = str(exc).splitlines()[0]
        failed = CheckResult(
            "reading the live state",
            passed=False,
            observed=observed,
            expected="an answer",
            hint=hint,
        )
        return CheckReport(title, [failed])


def _present(name: str, found: object, where: str, hint: str) -> CheckResult:
    return CheckResult(
        name,
        passed=found is not None,
        observed=f"present in {where}" if found is not None else "not found",
        expected=f"present in {where}",
        hint=hint,
    )


# -- Step 1 -----------------------------------------------------------------------------------


def _discovery(session: Session, issuer: str) -> CheckResult:
    import requests

    name = "issuer publishes its OpenID configuration and keys"
    config = requests.get(
        f"{issuer.rstrip('/')}/.well-known/openid-configuration", verify=session.verify, timeout=30
    ).json()
    keys = requests.get(config["jwks_uri"], verify=session.verify, timeout=30).json()["keys"]
    return CheckResult(
        name,
        passed=config.get("issuer") == issuer and bool(keys),
        observed=f"issuer matches: {config.get('issuer') == issuer}, {len(keys)} signing key(s)",
        expected="issuer matches: True, 1 or more signing keys",
        hint="the issuer must name itself exactly as the tokens do; re-run the step above",
    )


def check_workload_identity_enabled(session: Session) -> CheckReport:
    """The OIDC issuer and workload identity are on, and the issuer serves its discovery."""
    hint = "run enable_workload_identity(session) above"

    def run() -> list[CheckResult]:
        cluster = find_cluster(session)
        if cluster is None:
            return [_present("cluster", None, "the resource group", "run 02-create-cluster")]
        security = cluster.security_profile
        workload = security.workload_identity if security is not None else None
        issuer = issuer_url(cluster)
        results = [
            CheckResult.compare(
                "oidcIssuerProfile.enabled",
                bool(cluster.oidc_issuer_profile and cluster.oidc_issuer_profile.enabled),
                True,
                hint=hint,
            ),
            CheckResult.compare(
                "securityProfile.workloadIdentity.enabled",
                bool(workload and workload.enabled),
                True,
                hint=hint,
            ),
        ]
        if issuer:
            results.append(_discovery(session, issuer))
        return results

    return _report("09 Workload ID on the cluster", hint, run)


# -- Step 2 -----------------------------------------------------------------------------------


def check_key_vault(session: Session) -> CheckReport:
    """The vault exists and uses Azure RBAC (not access policies)."""
    s = session.settings
    hint = "run create_key_vault(session) above"

    def run() -> list[CheckResult]:
        vault = find_vault(session)
        results = [_present(f"key vault {s.key_vault_name}", vault, s.resource_group, hint)]
        if vault is not None:
            results.append(
                CheckResult.compare(
                    "enableRbacAuthorization",
                    vault.properties.enable_rbac_authorization,
                    True,
                    hint="roles decide who reads secrets; run create_key_vault(session) again",
                )
            )
        return results

    return _report("09 key vault", hint, run)


def _holds(session: Session, scope: str, principal: str, role: str, who: str) -> CheckResult:
    held = bool(find_role_assignments(session, scope, principal, role))
    return CheckResult(
        f"{role} for {who}",
        passed=held,
        observed="assigned on the vault" if held else "not assigned",
        expected="assigned on the vault",
        hint=f"run the step above; {role} is a data-plane role, Owner alone does not include it",
    )


def check_secret_stored(session: Session) -> CheckReport:
    """You hold Key Vault Secrets Officer on the vault, and the secret has the demo's value."""
    s = session.settings
    hint = "run store_secret(session) above"

    def run() -> list[CheckResult]:
        from azure.core.exceptions import HttpResponseError

        vault = find_vault(session)
        if vault is None:
            return [_present(f"key vault {s.key_vault_name}", None, s.resource_group, hint)]
        oid = str(signed_in(session)["oid"])
        try:
            value: object = secret_client(session, vault).get_secret(s.secret_name).value
        except HttpResponseError as exc:
            value = f"HTTP {exc.status_code} {getattr(exc.error, 'code', '') or ''}".strip()
        return [
            _holds(session, str(vault.id), oid, SECRETS_OFFICER, "you"),
            CheckResult.compare(f"secret {s.secret_name}", value, SECRET_VALUE, hint=hint),
        ]

    return _report("09 secret", hint, run)


def check_secret_reader(session: Session) -> CheckResult:
    """The pod identity's managed identity holds Key Vault Secrets User on the vault."""
    s = session.settings
    name = f"{SECRETS_USER} for identity {s.identity_name}"
    hint = "run grant_secret_reader(session) above"
    try:
        vault = find_vault(session)
        identity = find_identity(session)
        if vault is None or identity is None:
            missing = "key vault" if vault is None else "managed identity"
            return CheckResult(
                name, passed=False, observed=f"no {missing}", expected="assigned", hint=hint
            )
        return _holds(
            session,
            str(vault.id),
            str(identity.principal_id),
            SECRETS_USER,
            f"identity {s.identity_name}",
        )
    except PodidError as exc:
        return CheckResult(
            name, passed=False, observed=str(exc).splitlines()[0], expected="assigned", hint=hint
        )


# -- Step 3 -----------------------------------------------------------------------------------


def check_federated_credential(session: Session) -> CheckReport:
    """The credential's issuer, subject and audience match the cluster and the service account."""
    s = session.settings
    hint = "run create_federated_credential(session) above; all three must match exactly"

    def run() -> list[CheckResult]:
        credential = find_federated_credential(session)
        where = f"identity {s.identity_name}"
        results = [
            _present(f"federated credential {s.federated_credential_name}", credential, where, hint)
        ]
        if credential is None:
            return results
        cluster = find_cluster(session)
        issuer = issuer_url(cluster) if cluster is not None else None
        same = credential.issuer == issuer
        results += [
            CheckResult(
                "issuer is the cluster's OIDC issuer URL",
                passed=same,
                observed=shown_url(session, str(credential.issuer)),
                expected=shown_url(session, str(issuer)),
                hint=hint,
            ),
            CheckResult.compare("subject", credential.subject, subject(session), hint=hint),
            CheckResult.compare("audiences", credential.audiences, [AUDIENCE], hint=hint),
        ]
        return results

    return _report("09 federated credential", hint, run)


def check_service_account(session: Session) -> CheckReport:
    """The service account exists and names the identity's client ID in its annotation."""
    s = session.settings
    hint = "run create_service_account(session) above"

    def run() -> list[CheckResult]:
        account = find_service_account(session)
        results = [
            _present(
                f"service account {s.service_account_name}",
                account,
                f"namespace {s.namespace}",
                hint,
            )
        ]
        if account is not None:
            identity = find_identity(session)
            annotations = account.metadata.annotations or {}
            results.append(
                CheckResult.compare(
                    CLIENT_ID_ANNOTATION,
                    annotations.get(CLIENT_ID_ANNOTATION),
                    identity.client_id if identity is not None else "(no identity)",
                    hint="it must be the managed identity's client ID",
                )
            )
        return results

    return _report("09 service account", hint, run)


# -- Step 4 -----------------------------------------------------------------------------------


def check_workload_identity_demo(session: Session) -> CheckReport:
    """The quick start's pod runs, and the webhook gave it the identity's environment."""
    s = session.settings
    hint = "run deploy_workload_identity_demo(session) above"

    def run() -> list[CheckResult]:
        pod = find_pod(session, WORKLOAD_IDENTITY_POD, s.namespace)
        if pod is None:
            return [_present(f"pod {WORKLOAD_IDENTITY_POD}", None, s.namespace, hint)]
        container = pod.spec.containers[0]
        env = {e.name: e.value for e in container.env or []}
        identity = find_identity(session)
        vault = find_vault(session)
        vault_uri = vault.properties.vault_uri if vault is not None else None
        return [
            CheckResult.compare(
                f"pod {WORKLOAD_IDENTITY_POD}", pod_state(pod), "Running", hint=hint
            ),
            CheckResult.compare(
                f"label {USE_LABEL}",
                (pod.metadata.labels or {}).get(USE_LABEL),
                "true",
                hint="only labelled pods are mutated",
            ),
            CheckResult.compare(
                "serviceAccountName",
                pod.spec.service_account_name,
                s.service_account_name,
                hint=hint,
            ),
            CheckResult.compare("image", container.image, MSAL_GO_IMAGE, hint=hint),
            CheckResult(
                "env injected by the webhook",
                passed=all(n in env for n in _INJECTED),
                observed=", ".join(n for n in _INJECTED if n in env) or "none",
                expected=", ".join(_INJECTED),
                hint="the webhook mutates a pod only when it is created with the label and an "
                "annotated service account; delete the pod and deploy it again",
            ),
            CheckResult.compare(
                "AZURE_CLIENT_ID",
                env.get("AZURE_CLIENT_ID"),
                identity.client_id if identity is not None else "(no identity)",
                hint="the service account's annotation decides it",
            ),
            CheckResult(
                "KEYVAULT_URL",
                passed=vault_uri is not None and env.get("KEYVAULT_URL") == vault_uri,
                observed=f"the URI of key vault {s.key_vault_name}"
                if vault_uri is not None and env.get("KEYVAULT_URL") == vault_uri
                else "another URL",
                expected=f"the URI of key vault {s.key_vault_name}",
                hint=hint,
            ),
        ]

    return _report("09 Workload ID pod", hint, run)


def check_workload_identity_logs(
    session: Session, lines: tuple[str, ...] | None = None
) -> CheckReport:
    """The quick start's pod logged ``successfully got secret`` with the demo's value."""
    s = session.settings
    hint = "follow the log again with follow_workload_identity_logs(session)"

    def run() -> list[CheckResult]:
        read = lines
        if read is None:
            with kube_errors():
                text = session.core_v1.read_namespaced_pod_log(WORKLOAD_IDENTITY_POD, s.namespace)
            read = tuple(str(text or "").splitlines())
        hit = next((log_line_text(line) for line in read if SUCCESS_LINE in line), None)
        wanted = f"secret={SECRET_VALUE!r}".replace("'", '"')
        return [
            CheckResult(
                "successfully got secret",
                passed=hit is not None,
                observed=hit or "not in the log",
                expected="in the log",
                hint=hint,
            ),
            CheckResult.compare(
                "the value is the one you stored",
                wanted if hit is not None and wanted in hit else "another value",
                wanted,
                hint="store_secret(session) writes it",
            ),
        ]

    return _report("09 Workload ID log", hint, run)


def check_side_by_side(session: Session) -> CheckReport:
    """The pod identity demo and the Workload ID pod run together, as one identity."""
    s = session.settings
    hint = "both pods must run: deploy_demo(session) (06) and the step above"

    def run() -> list[CheckResult]:
        old = find_pod(session, DEMO_POD, s.namespace)
        new = find_pod(session, WORKLOAD_IDENTITY_POD, s.namespace)
        identity = find_identity(session)
        old_args = list(old.spec.containers[0].args or []) if old is not None else []
        old_client = next(
            (a.split("=", 1)[1] for a in old_args if a.startswith("--clientid=")), None
        )
        new_env = {e.name: e.value for e in new.spec.containers[0].env or []} if new else {}
        client_id = identity.client_id if identity is not None else None
        return [
            CheckResult.compare(
                f"pod {DEMO_POD} (pod identity, via NMI)",
                pod_state(old) if old else "not found",
                "Running",
                hint=hint,
            ),
            CheckResult.compare(
                f"pod {WORKLOAD_IDENTITY_POD} (Workload ID)",
                pod_state(new) if new else "not found",
                "Running",
                hint=hint,
            ),
            CheckResult(
                "both use the same managed identity",
                passed=client_id is not None
                and old_client == client_id == new_env.get("AZURE_CLIENT_ID"),
                observed=f"clientId {client_id}"
                if old_client == client_id == new_env.get("AZURE_CLIENT_ID")
                else f"{old_client} and {new_env.get('AZURE_CLIENT_ID')}",
                expected=f"clientId {client_id}",
                hint="migration keeps the identity: only how the pod gets its token changes",
            ),
        ]

    return _report("09 side by side", hint, run)


# -- Step 5 -----------------------------------------------------------------------------------


def check_pod_identity_removed(session: Session) -> CheckReport:
    """No pod identity is left, and the Workload ID pod still runs without it."""
    s = session.settings
    hint = "run remove_pod_identity(session) above"

    def run() -> list[CheckResult]:
        cluster = find_cluster(session)
        entry = pod_identity_entry(cluster, s.pod_identity_name, s.namespace) if cluster else None
        binding = f"{s.pod_identity_name}-binding"
        leftovers = [
            name
            for name, found in (
                (
                    f"AzureIdentity {s.pod_identity_name}",
                    _custom(session, "azureidentities", s.pod_identity_name),
                ),
                (
                    f"AzureIdentityBinding {binding}",
                    _custom(session, "azureidentitybindings", binding),
                ),
                (f"pod {DEMO_POD}", find_pod(session, DEMO_POD, s.namespace)),
            )
            if found is not None
        ]
        new = find_pod(session, WORKLOAD_IDENTITY_POD, s.namespace)
        return [
            CheckResult.compare(
                "pod identity entry", "present" if entry else "gone", "gone", hint=hint
            ),
            CheckResult.compare(
                "podIdentityProfile.enabled",
                bool(cluster is not None and pod_identity_enabled(cluster)),
                False,
                hint=hint,
            ),
            CheckResult.compare(
                "objects of the pod identity", ", ".join(leftovers) or "none", "none", hint=hint
            ),
            CheckResult.compare(
                f"pod {WORKLOAD_IDENTITY_POD}",
                pod_state(new) if new else "not found",
                "Running",
                hint="Workload ID does not depend on NMI",
            ),
        ]

    return _report("09 pod identity removed", hint, run)


def _custom(session: Session, plural: str, name: str) -> Any | None:
    """An ``aadpodidentity.k8s.io`` object in the namespace, or None."""
    return find_custom_object(session, plural, session.settings.namespace, name)


# -- Clean up ---------------------------------------------------------------------------------


def check_workload_identity_cleaned_up(session: Session) -> CheckReport:
    """Nothing 09 made is left: pod, service account, credential, vault (purged), webhook."""
    s = session.settings
    hint = "run clean_up_workload_identity(session) above"

    def gone(name: str, found: object) -> CheckResult:
        return CheckResult.compare(name, "present" if found else "gone", "gone", hint=hint)

    def run() -> list[CheckResult]:
        cluster = find_cluster(session)
        reachable = cluster is not None and session.kubeconfig_path.exists()
        security = cluster.security_profile if cluster is not None else None
        workload = security.workload_identity if security is not None else None
        deleted = find_deleted_vault(session) if find_vault(session) is None else None
        return [
            *(
                gone(f"pod {pod}", reachable and find_pod(session, pod, s.namespace))
                for pod in (WORKLOAD_IDENTITY_POD, SIDECAR_DEMO_POD)
            ),
            gone(
                f"service account {s.service_account_name}",
                reachable and find_service_account(session),
            ),
            gone(
                f"federated credential {s.federated_credential_name}",
                find_identity(session) is not None and find_federated_credential(session),
            ),
            gone(f"key vault {s.key_vault_name}", find_vault(session)),
            gone(f"soft-deleted key vault {s.key_vault_name}", deleted),
            gone("workload identity webhook", workload is not None and workload.enabled),
        ]

    return _report("09 cleanup", hint, run)


# -- The map ----------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class MigrationMap:
    """Each pod identity object with its Workload ID counterpart, in this learner's names."""

    rows: tuple[tuple[str, str], ...]

    def text(self) -> str:
        """Return the rows as two aligned columns."""
        head = ("AAD Pod Identity", "Microsoft Entra Workload ID")
        width = max(len(left) for left, _right in (head, *self.rows))
        lines = [f"{left.ljust(width)}  →  {right}" for left, right in (head, *self.rows)]
        return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        def cell(tag: str, value: str) -> str:
            return f'<{tag} style="text-align:left">{html.escape(value, quote=False)}</{tag}>'

        head = (
            f"<tr>{cell('th', 'AAD Pod Identity')}{cell('th', 'Microsoft Entra Workload ID')}</tr>"
        )
        body = "".join(f"<tr>{cell('td', a)}{cell('td', b)}</tr>" for a, b in self.rows)
        return f"<table>{head}{body}</table>"


def migration_map(session: Session) -> MigrationMap:
    """The pod identity objects of this series and what replaces each one."""
    s = session.settings
    pid, sa = s.pod_identity_name, s.service_account_name
    return MigrationMap(
        (
            (
                "az aks update --enable-pod-identity (preview feature)",
                "az aks update --enable-oidc-issuer --enable-workload-identity (GA)",
            ),
            (
                f"AzureIdentity {pid} (client ID of {s.identity_name})",
                f"ServiceAccount {sa}, annotation {CLIENT_ID_ANNOTATION}",
            ),
            (
                f"AzureIdentityBinding {pid}-binding (selector {pid})",
                f"federated credential {s.federated_credential_name} "
                f"(subject system:serviceaccount:{s.namespace}:{sa})",
            ),
            (
                f"pod label aadpodidbinding: {pid}",
                f'pod label {USE_LABEL}: "true" + serviceAccountName: {sa}',
            ),
            (
                "NMI answers the pod's IMDS requests (169.254.169.254)",
                "the SDK trades the projected token in AZURE_FEDERATED_TOKEN_FILE with Entra ID",
            ),
            (
                "ManagedIdentityCredential",
                "WorkloadIdentityCredential (DefaultAzureCredential tries it before IMDS)",
            ),
            (
                "Managed Identity Operator for the cluster; identity on the node scale set",
                "nothing on the cluster or its nodes: Entra ID trusts the cluster's issuer",
            ),
        )
    )

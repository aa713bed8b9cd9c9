"""The checks behind 09-workload-identity's verify cells, and the pod identity → Workload ID map."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .checks import CheckReport, CheckResult
from .errors import PodidError
from .i18n import _, display_width, ljust_display
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
            _("reading the live state"),
            passed=False,
            observed=observed,
            expected=_("an answer"),
            hint=hint,
        )
        return CheckReport(title, [failed])


def _present(name: str, found: object, where: str, hint: str) -> CheckResult:
    present = _("present in {namespace}").format(namespace=where)
    return CheckResult(
        name,
        passed=found is not None,
        observed=present if found is not None else _("not found"),
        expected=present,
        hint=hint,
    )


# -- Step 1 -----------------------------------------------------------------------------------


def _discovery(session: Session, issuer: str) -> CheckResult:
    import requests

    name = _("issuer publishes its OpenID configuration and keys")
    config = requests.get(
        f"{issuer.rstrip('/')}/.well-known/openid-configuration", verify=session.verify, timeout=30
    ).json()
    keys = requests.get(config["jwks_uri"], verify=session.verify, timeout=30).json()["keys"]
    return CheckResult(
        name,
        passed=config.get("issuer") == issuer and bool(keys),
        observed=_("issuer matches: {same}, {count} signing key(s)").format(
            same=config.get("issuer") == issuer, count=len(keys)
        ),
        expected=_("issuer matches: True, 1 or more signing keys"),
        hint=_("the issuer must name itself exactly as the tokens do; re-run the step above"),
    )


def check_workload_identity_enabled(session: Session) -> CheckReport:
    """The OIDC issuer and workload identity are on, and the issuer serves its discovery."""
    hint = _("run enable_workload_identity(session) above")

    def run() -> list[CheckResult]:
        cluster = find_cluster(session)
        if cluster is None:
            return [
                _present(
                    _("cluster"),
                    None,
                    _("the resource group"),
                    _("run {notebook}").format(notebook="02-create-cluster"),
                )
            ]
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

    return _report(_("09 Workload ID on the cluster"), hint, run)


# -- Step 2 -----------------------------------------------------------------------------------


def check_key_vault(session: Session) -> CheckReport:
    """The vault exists and uses Azure RBAC (not access policies)."""
    s = session.settings
    hint = _("run create_key_vault(session) above")

    def run() -> list[CheckResult]:
        vault = find_vault(session)
        results = [_present(_vault_name(s.key_vault_name), vault, s.resource_group, hint)]
        if vault is not None:
            results.append(
                CheckResult.compare(
                    "enableRbacAuthorization",
                    vault.properties.enable_rbac_authorization,
                    True,
                    hint=_("roles decide who reads secrets; run create_key_vault(session) again"),
                )
            )
        return results

    return _report(_("09 key vault"), hint, run)


def _vault_name(name: str) -> str:
    return _("key vault {vault}").format(vault=name)


def _holds(session: Session, scope: str, principal: str, role: str, who: str) -> CheckResult:
    held = bool(find_role_assignments(session, scope, principal, role))
    return CheckResult(
        _("{role} for {grantee}").format(role=role, grantee=who),
        passed=held,
        observed=_("assigned on the vault") if held else _("not assigned"),
        expected=_("assigned on the vault"),
        hint=_(
            "run the step above; {role} is a data-plane role, Owner alone does not include it"
        ).format(role=role),
    )


def check_secret_stored(session: Session) -> CheckReport:
    """You hold Key Vault Secrets Officer on the vault, and the secret has the demo's value."""
    s = session.settings
    hint = _("run store_secret(session) above")

    def run() -> list[CheckResult]:
        from azure.core.exceptions import HttpResponseError

        vault = find_vault(session)
        if vault is None:
            return [_present(_vault_name(s.key_vault_name), None, s.resource_group, hint)]
        oid = str(signed_in(session)["oid"])
        try:
            value: object = secret_client(session, vault).get_secret(s.secret_name).value
        except HttpResponseError as exc:
            value = f"HTTP {exc.status_code} {getattr(exc.error, 'code', '') or ''}".strip()
        return [
            _holds(session, str(vault.id), oid, SECRETS_OFFICER, _("you")),
            CheckResult.compare(
                _("secret {secret}").format(secret=s.secret_name), value, SECRET_VALUE, hint=hint
            ),
        ]

    return _report(_("09 secret"), hint, run)


def check_secret_reader(session: Session) -> CheckResult:
    """The pod identity's managed identity holds Key Vault Secrets User on the vault."""
    s = session.settings
    who = _("identity {identity}").format(identity=s.identity_name)
    name = _("{role} for {grantee}").format(role=SECRETS_USER, grantee=who)
    hint = _("run grant_secret_reader(session) above")
    try:
        vault = find_vault(session)
        identity = find_identity(session)
        if vault is None or identity is None:
            missing = _("no key vault") if vault is None else _("no managed identity")
            return CheckResult(
                name, passed=False, observed=missing, expected=_("assigned"), hint=hint
            )
        return _holds(session, str(vault.id), str(identity.principal_id), SECRETS_USER, who)
    except PodidError as exc:
        return CheckResult(
            name,
            passed=False,
            observed=str(exc).splitlines()[0],
            expected=_("assigned"),
            hint=hint,
        )


# -- Step 3 -----------------------------------------------------------------------------------


def check_federated_credential(session: Session) -> CheckReport:
    """The credential's issuer, subject and audience match the cluster and the service account."""
    s = session.settings
    hint = _("run create_federated_credential(session) above; all three must match exactly")

    def run() -> list[CheckResult]:
        credential = find_federated_credential(session)
        where = _("identity {identity}").format(identity=s.identity_name)
        name = _("federated credential {credential}").format(credential=s.federated_credential_name)
        results = [_present(name, credential, where, hint)]
        if credential is None:
            return results
        cluster = find_cluster(session)
        issuer = issuer_url(cluster) if cluster is not None else None
        same = credential.issuer == issuer
        results += [
            CheckResult(
                _("issuer is the cluster's OIDC issuer URL"),
                passed=same,
                observed=shown_url(session, str(credential.issuer)),
                expected=shown_url(session, str(issuer)),
                hint=hint,
            ),
            CheckResult.compare("subject", credential.subject, subject(session), hint=hint),
            CheckResult.compare("audiences", credential.audiences, [AUDIENCE], hint=hint),
        ]
        return results

    return _report(_("09 federated credential"), hint, run)


def check_service_account(session: Session) -> CheckReport:
    """The service account exists and names the identity's client ID in its annotation."""
    s = session.settings
    hint = _("run create_service_account(session) above")

    def run() -> list[CheckResult]:
        account = find_service_account(session)
        results = [
            _present(
                _("service account {account}").format(account=s.service_account_name),
                account,
                _("namespace {namespace}").format(namespace=s.namespace),
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
                    identity.client_id if identity is not None else _("(no identity)"),
                    hint=_("it must be the managed identity's client ID"),
                )
            )
        return results

    return _report(_("09 service account"), hint, run)


# -- Step 4 -----------------------------------------------------------------------------------


def check_workload_identity_demo(session: Session) -> CheckReport:
    """The quick start's pod runs, and the webhook gave it the identity's environment."""
    s = session.settings
    hint = _("run deploy_workload_identity_demo(session) above")
    pod_name = _("pod {pod}").format(pod=WORKLOAD_IDENTITY_POD)

    def run() -> list[CheckResult]:
        pod = find_pod(session, WORKLOAD_IDENTITY_POD, s.namespace)
        if pod is None:
            return [_present(pod_name, None, s.namespace, hint)]
        container = pod.spec.containers[0]
        env = {e.name: e.value for e in container.env or []}
        identity = find_identity(session)
        vault = find_vault(session)
        vault_uri = vault.properties.vault_uri if vault is not None else None
        return [
            CheckResult.compare(pod_name, pod_state(pod), "Running", hint=hint),
            CheckResult.compare(
                _("label {label}").format(label=USE_LABEL),
                (pod.metadata.labels or {}).get(USE_LABEL),
                "true",
                hint=_("only labelled pods are mutated"),
            ),
            CheckResult.compare(
                "serviceAccountName",
                pod.spec.service_account_name,
                s.service_account_name,
                hint=hint,
            ),
            CheckResult.compare("image", container.image, MSAL_GO_IMAGE, hint=hint),
            CheckResult(
                _("env injected by the webhook"),
                passed=all(n in env for n in _INJECTED),
                observed=", ".join(n for n in _INJECTED if n in env) or _("none"),
                expected=", ".join(_INJECTED),
                hint=_(
                    "the webhook mutates a pod only when it is created with the label and an "
                    "annotated service account; delete the pod and deploy it again"
                ),
            ),
            CheckResult.compare(
                "AZURE_CLIENT_ID",
                env.get("AZURE_CLIENT_ID"),
                identity.client_id if identity is not None else _("(no identity)"),
                hint=_("the service account's annotation decides it"),
            ),
            CheckResult(
                "KEYVAULT_URL",
                passed=vault_uri is not None and env.get("KEYVAULT_URL") == vault_uri,
                observed=vault_uri_text
                if vault_uri is not None and env.get("KEYVAULT_URL") == vault_uri
                else _("another URL"),
                expected=vault_uri_text,
                hint=hint,
            ),
        ]

    vault_uri_text = _("the URI of key vault {vault}").format(vault=s.key_vault_name)
    return _report(_("09 Workload ID pod"), hint, run)


def check_workload_identity_logs(
    session: Session, lines: tuple[str, ...] | None = None
) -> CheckReport:
    """The quick start's pod logged ``successfully got secret`` with the demo's value."""
    s = session.settings
    hint = _("follow the log again with follow_workload_identity_logs(session)")

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
                observed=hit or _("not in the log"),
                expected=_("in the log"),
                hint=hint,
            ),
            CheckResult.compare(
                _("the value is the one you stored"),
                wanted if hit is not None and wanted in hit else _("another value"),
                wanted,
                hint=_("store_secret(session) writes it"),
            ),
        ]

    return _report(_("09 Workload ID log"), hint, run)


def check_side_by_side(session: Session) -> CheckReport:
    """The pod identity demo and the Workload ID pod run together, as one identity."""
    s = session.settings
    hint = _("both pods must run: deploy_demo(session) (06) and the step above")

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
                _("pod {pod} (pod identity, via NMI)").format(pod=DEMO_POD),
                pod_state(old) if old else _("not found"),
                "Running",
                hint=hint,
            ),
            CheckResult.compare(
                _("pod {pod} (Workload ID)").format(pod=WORKLOAD_IDENTITY_POD),
                pod_state(new) if new else _("not found"),
                "Running",
                hint=hint,
            ),
            CheckResult(
                _("both use the same managed identity"),
                passed=client_id is not None
                and old_client == client_id == new_env.get("AZURE_CLIENT_ID"),
                observed=f"clientId {client_id}"
                if old_client == client_id == new_env.get("AZURE_CLIENT_ID")
                else _("{first} and {second}").format(
                    first=old_client, second=new_env.get("AZURE_CLIENT_ID")
                ),
                expected=f"clientId {client_id}",
                hint=_("migration keeps the identity: only how the pod gets its token changes"),
            ),
        ]

    return _report(_("09 side by side"), hint, run)


# -- Step 5 -----------------------------------------------------------------------------------


def check_pod_identity_removed(session: Session) -> CheckReport:
    """No pod identity is left, and the Workload ID pod still runs without it."""
    s = session.settings
    hint = _("run remove_pod_identity(session) above")

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
                (_("pod {pod}").format(pod=DEMO_POD), find_pod(session, DEMO_POD, s.namespace)),
            )
            if found is not None
        ]
        new = find_pod(session, WORKLOAD_IDENTITY_POD, s.namespace)
        return [
            CheckResult.compare(
                _("pod identity entry"), _("present") if entry else _("gone"), _("gone"), hint=hint
            ),
            CheckResult.compare(
                "podIdentityProfile.enabled",
                bool(cluster is not None and pod_identity_enabled(cluster)),
                False,
                hint=hint,
            ),
            CheckResult.compare(
                _("objects of the pod identity"),
                ", ".join(leftovers) or _("none"),
                _("none"),
                hint=hint,
            ),
            CheckResult.compare(
                _("pod {pod}").format(pod=WORKLOAD_IDENTITY_POD),
                pod_state(new) if new else _("not found"),
                "Running",
                hint=_("Workload ID does not depend on NMI"),
            ),
        ]

    return _report(_("09 pod identity removed"), hint, run)


def _custom(session: Session, plural: str, name: str) -> Any | None:
    """An ``aadpodidentity.k8s.io`` object in the namespace, or None."""
    return find_custom_object(session, plural, session.settings.namespace, name)


# -- Clean up ---------------------------------------------------------------------------------


def check_workload_identity_cleaned_up(session: Session) -> CheckReport:
    """Nothing 09 made is left: pod, service account, credential, vault (purged), webhook."""
    s = session.settings
    hint = _("run clean_up_workload_identity(session) above")

    def gone(name: str, found: object) -> CheckResult:
        return CheckResult.compare(name, _("present") if found else _("gone"), _("gone"), hint=hint)

    def run() -> list[CheckResult]:
        cluster = find_cluster(session)
        reachable = cluster is not None and session.kubeconfig_path.exists()
        security = cluster.security_profile if cluster is not None else None
        workload = security.workload_identity if security is not None else None
        deleted = find_deleted_vault(session) if find_vault(session) is None else None
        return [
            *(
                gone(
                    _("pod {pod}").format(pod=pod),
                    reachable and find_pod(session, pod, s.namespace),
                )
                for pod in (WORKLOAD_IDENTITY_POD, SIDECAR_DEMO_POD)
            ),
            gone(
                _("service account {account}").format(account=s.service_account_name),
                reachable and find_service_account(session),
            ),
            gone(
                _("federated credential {credential}").format(
                    credential=s.federated_credential_name
                ),
                find_identity(session) is not None and find_federated_credential(session),
            ),
            gone(_vault_name(s.key_vault_name), find_vault(session)),
            gone(_("soft-deleted key vault {vault}").format(vault=s.key_vault_name), deleted),
            gone(_("workload identity webhook"), workload is not None and workload.enabled),
        ]

    return _report(_("09 cleanup"), hint, run)


# -- The map ----------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class MigrationMap:
    """Each pod identity object with its Workload ID counterpart, in this learner's names."""

    rows: tuple[tuple[str, str], ...]

    def text(self) -> str:
        """Return the rows as two aligned columns."""
        head = ("AAD Pod Identity", "Microsoft Entra Workload ID")
        width = max(display_width(left) for left, _right in (head, *self.rows))
        lines = [f"{ljust_display(left, width)}  →  {right}" for left, right in (head, *self.rows)]
        return "\n".join([lines[0], "-" * display_width(lines[0]), *lines[1:]])

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
                _("{command} (preview feature)").format(
                    command="az aks update --enable-pod-identity"
                ),
                "az aks update --enable-oidc-issuer --enable-workload-identity (GA)",
            ),
            (
                _("AzureIdentity {name} (client ID of {identity})").format(
                    name=pid, identity=s.identity_name
                ),
                _("ServiceAccount {account}, annotation {annotation}").format(
                    account=sa, annotation=CLIENT_ID_ANNOTATION
                ),
            ),
            (
                _("AzureIdentityBinding {name}-binding (selector {name})").format(name=pid),
                _("federated credential {credential} (subject {subject})").format(
                    credential=s.federated_credential_name,
                    subject=f"system:serviceaccount:{s.namespace}:{sa}",
                ),
            ),
            (
                _("pod label {label}").format(label=f"aadpodidbinding: {pid}"),
                _("pod label {label}").format(
                    label=f'{USE_LABEL}: "true" + serviceAccountName: {sa}'
                ),
            ),
            (
                _("NMI answers the pod's IMDS requests (169.254.169.254)"),
                _("the SDK trades the projected token in AZURE_FEDERATED_TOKEN_FILE with Entra ID"),
            ),
            (
                "ManagedIdentityCredential",
                _("WorkloadIdentityCredential (DefaultAzureCredential tries it before IMDS)"),
            ),
            (
                _("Managed Identity Operator for the cluster; identity on the node scale set"),
                _("nothing on the cluster or its nodes: Entra ID trusts the cluster's issuer"),
            ),
        )
    )

"""The checks behind every verify cell (DESIGN.md §2), computed from live ARM and cluster state.

Each returns a ``CheckResult`` or ``CheckReport``; a notebook ends a step with
``check_…(session).raise_if_failed()``. A check never raises for what it finds missing: that
is its answer, with a hint naming the cell to run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checks import CheckReport, CheckResult
from .errors import InvalidSettingError, PodidError
from .lookups import (
    CONTAINER_SERVICE,
    MANAGED_IDENTITY_OPERATOR,
    POD_IDENTITY_FEATURE,
    VM_CONTRIBUTOR,
    cluster_principal_id,
    find_cluster,
    find_custom_object,
    find_identity,
    find_pod,
    find_resource_group,
    find_role_assignments,
    kube_errors,
    node_resource_group_id,
    plain,
    pod_identity_enabled,
    pod_identity_entry,
    tutorial_assignments,
)
from .manifests import DEMO_POD
from .redact import Secret, display_path
from .settings import load_settings, settings_path
from .steps_demo import SUCCESS_MARKERS, log_line_text, pod_state
from .steps_subscription import feature_state, provider_state

if TYPE_CHECKING:
    from azure.mgmt.containerservice.models import ManagedCluster

    from .session import Session

__all__ = [
    "check_cleaned_up",
    "check_cluster_ready",
    "check_demo_logs",
    "check_demo_running",
    "check_feature_registered",
    "check_identity",
    "check_kubeconfig",
    "check_lab_reachable",
    "check_nmi_ready",
    "check_nodes_ready",
    "check_pod_identity",
    "check_pod_identity_enabled",
    "check_role_assignment",
    "check_secret_vs_no_secret",
    "check_settings_saved",
]

NMI_NAMESPACE = "kube-system"
NMI_DAEMONSET = "nmi"
ADDON_EXCEPTION = "aks-addon-exception"


def _failed(name: str, observed: object, expected: object, hint: str) -> CheckResult:
    return CheckResult(name, passed=False, observed=observed, expected=expected, hint=hint)


def _passed(name: str, observed: object, expected: object = None) -> CheckResult:
    return CheckResult(name, passed=True, observed=observed, expected=expected or observed)


def _guard(name: str, expected: object, run: Callable[[], CheckResult]) -> CheckResult:
    """Run one check; an error on the way (lab down, no kubeconfig…) becomes its answer."""
    try:
        return run()
    except PodidError as exc:
        return _failed(name, str(exc).splitlines()[0], expected, "fix this first, then re-run")


# -- 00-introduction ---------------------------------------------------------------------------


def check_settings_saved(path: str | os.PathLike[str] | None = None) -> CheckResult:
    """The settings file exists and every setting in it follows the naming rules."""
    target = Path(path).expanduser() if path else settings_path()
    name = "settings saved and valid"
    if not target.exists():
        return _failed(
            name,
            f"no file at {display_path(target)}",
            "a saved settings file",
            "enter valid names in the form above and click Save, then run this cell again",
        )
    try:
        load_settings(path=target)
    except InvalidSettingError as exc:
        return _failed(name, "; ".join(exc.problems), "valid settings", "fix them and Save again")
    return _passed(name, f"saved in {display_path(target)}")


def check_lab_reachable(session: Session) -> CheckResult:
    """ARM answers this session's credential (the lab, or Azure in mode azure)."""
    name = "Azure Resource Manager answers"

    def run() -> CheckResult:
        state = provider_state(session)
        return _passed(name, f"subscription {session.subscription_id}, {CONTAINER_SERVICE} {state}")

    return _guard(name, "an answer from ARM", run)


def _token_request(session: Session, secret: str | None) -> tuple[int, dict[str, Any]]:
    import requests

    sign_in = session.sign_in
    assert sign_in is not None
    form = {
        "grant_type": "client_credentials",
        "client_id": sign_in.client_id,
        "scope": "https://management.azure.com/.default",
    }
    if secret is not None:
        form["client_secret"] = secret
    response = requests.post(
        f"{sign_in.authority_host.rstrip('/')}/{sign_in.tenant_id}/oauth2/v2.0/token",
        data=form,
        verify=sign_in.verify,
        timeout=30,
    )
    return response.status_code, response.json()


def check_secret_vs_no_secret(session: Session) -> CheckReport:
    """A service principal gets a token with its secret, and nothing without it."""
    title = "service principal: secret vs no secret"
    sign_in = session.sign_in
    if sign_in is None:
        hint = "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal)"
        return CheckReport(
            title, [_failed("a service principal to sign in as", "none", "one", hint)]
        )
    with_status, with_body = _token_request(session, str(sign_in.client_secret))
    token = with_body.get("access_token")
    with_secret = (
        _passed("with the client secret: token issued", Secret(token))
        if with_status == 200 and token
        else _failed(
            "with the client secret: token issued",
            f"HTTP {with_status} {str(with_body.get('error_description', ''))[:80]}",
            "an access token",
            "the secret is wrong or expired; reconnect with connect()",
        )
    )
    without_status, without_body = _token_request(session, None)
    codes = without_body.get("error_codes") or []
    refused = without_status in (400, 401) and "access_token" not in without_body
    without_secret = (
        _passed(
            "without a secret: refused",
            f"HTTP {without_status} {without_body.get('error')} "
            f"(AADSTS{codes[0] if codes else '?'})",
        )
        if refused
        else _failed(
            "without a secret: refused",
            f"HTTP {without_status}",
            "a refusal",
            "Entra ID must refuse an app that proves nothing",
        )
    )
    return CheckReport(title, [with_secret, without_secret])


# -- 01-prepare-subscription -------------------------------------------------------------------


def check_feature_registered(session: Session) -> CheckReport:
    """The preview feature is Registered and the provider is Registered."""
    feature = f"{CONTAINER_SERVICE}/{POD_IDENTITY_FEATURE}"
    hint = "run register_pod_identity_feature(session) above and wait for it to finish"
    results = [
        _guard(
            f"feature {feature}",
            "Registered",
            lambda: CheckResult.compare(
                f"feature {feature}", feature_state(session), "Registered", hint=hint
            ),
        ),
        _guard(
            f"provider {CONTAINER_SERVICE}",
            "Registered",
            lambda: CheckResult.compare(
                f"provider {CONTAINER_SERVICE}", provider_state(session), "Registered", hint=hint
            ),
        ),
    ]
    return CheckReport("01 prepare subscription", results)


# -- 02-create-cluster ------------------------------------------------------------------------

_RUN_CLUSTER = "run create_resource_group(session) and create_cluster(session) in 02-create-cluster"


def _cluster_or_report(session: Session, title: str) -> ManagedCluster | CheckReport:
    try:
        cluster = find_cluster(session)
    except PodidError as exc:
        return CheckReport(title, [_failed("cluster", str(exc).splitlines()[0], "found", "")])
    if cluster is None:
        s = session.settings
        observed = f"no cluster {s.cluster_name!r} in resource group {s.resource_group!r}"
        return CheckReport(title, [_failed("cluster exists", observed, "found", _RUN_CLUSTER)])
    return cluster


def check_cluster_ready(session: Session) -> CheckReport:
    """Cluster Succeeded, Azure CNI, a managed identity and a VMSS node pool."""
    title = "02 cluster"
    found = _cluster_or_report(session, title)
    if isinstance(found, CheckReport):
        return found
    cluster = found
    network = cluster.network_profile
    identity_type = plain(cluster.identity.type) if cluster.identity else None
    pools = cluster.agent_pool_profiles or []
    return CheckReport(
        title,
        [
            CheckResult.compare(
                "provisioningState",
                cluster.provisioning_state,
                "Succeeded",
                hint="wait for create_cluster(session) to finish; if Failed, run it again",
            ),
            CheckResult.compare(
                "networkPlugin",
                plain(network.network_plugin) if network else None,
                "azure",
                hint="pod identity needs Azure CNI: delete the cluster and create it again",
            ),
            CheckResult(
                "managed identity",
                passed=identity_type in ("SystemAssigned", "UserAssigned"),
                observed=identity_type or "a service principal",
                expected="SystemAssigned or UserAssigned",
                hint="pod identity needs a managed-identity cluster",
            ),
            CheckResult(
                "node pool on a scale set",
                passed=bool(pools) and all(p.type == "VirtualMachineScaleSets" for p in pools),
                observed=", ".join(f"{p.name}: {plain(p.type)}" for p in pools) or "no pools",
                expected="VirtualMachineScaleSets",
                hint="create the cluster with a VMSS node pool",
            ),
        ],
    )


def check_kubeconfig(session: Session) -> CheckReport:
    """The kubeconfig is in its own 0600 file and its API server answers."""
    path = session.kubeconfig_path
    shown = display_path(path)
    hint = "run get_credentials(session) in 02-create-cluster"
    if not path.exists():
        return CheckReport(
            "02 kubeconfig", [_failed("kubeconfig written", f"no file at {shown}", shown, hint)]
        )
    mode = path.stat().st_mode & 0o777
    results = [
        _passed("kubeconfig written", shown),
        CheckResult.compare(
            "file mode",
            oct(mode),
            oct(0o600),
            hint=f"it holds a token: chmod 600 {shown}",
        ),
        CheckResult(
            "not ~/.kube/config",
            passed=path.resolve() != (Path.home() / ".kube" / "config").resolve(),
            observed=shown,
            expected="a file of its own",
            hint="the tutorial keeps its cluster out of your own kubeconfig",
        ),
    ]

    def api() -> CheckResult:
        from kubernetes.client import VersionApi

        with kube_errors():
            version = VersionApi(session.kube()).get_code()
        return _passed("API server answers", f"Kubernetes {version.git_version}")

    results.append(_guard("API server answers", "a version", api))
    return CheckReport("02 kubeconfig", results)


def _ready(node: Any) -> bool:
    conditions = node.status.conditions if node.status else None
    return any(c.type == "Ready" and c.status == "True" for c in conditions or [])


def check_nodes_ready(session: Session) -> CheckResult:
    """Every node the pool should have is registered and Ready."""
    name = "nodes Ready"

    def run() -> CheckResult:

        cluster = find_cluster(session)
        pools = (cluster.agent_pool_profiles if cluster else None) or []
        wanted = sum(int(p.count or 0) for p in pools)
        with kube_errors():
            nodes = session.core_v1.list_node().items
        ready = sum(1 for n in nodes if _ready(n))
        return CheckResult(
            name,
            passed=bool(nodes) and ready == len(nodes) == wanted,
            observed=f"{ready} of {len(nodes)} nodes Ready",
            expected=f"{wanted} of {wanted} nodes Ready",
            hint="nodes take a few minutes to join after the cluster is created; re-run shortly",
        )

    return _guard(name, "nodes Ready", run)


# -- 03-enable-pod-identity --------------------------------------------------------------------


def check_pod_identity_enabled(session: Session) -> CheckResult:
    """``podIdentityProfile.enabled`` is true on the cluster."""
    name = "podIdentityProfile.enabled"

    def run() -> CheckResult:
        cluster = find_cluster(session)
        return CheckResult.compare(
            name,
            pod_identity_enabled(cluster) if cluster is not None else "no cluster",
            True,
            hint="run enable_pod_identity(session) in 03-enable-pod-identity",
        )

    return _guard(name, True, run)


def check_nmi_ready(session: Session) -> CheckReport:
    """DaemonSet ``nmi`` is ready on every node, and ``aks-addon-exception`` exists."""
    hint = "enable pod identity first (03); the add-on deploys NMI within a minute"

    def nmi() -> CheckResult:
        from kubernetes.client.exceptions import ApiException

        name = f"DaemonSet {NMI_DAEMONSET} in {NMI_NAMESPACE}"
        with kube_errors():
            try:
                ds = session.apps_v1.read_namespaced_daemon_set(NMI_DAEMONSET, NMI_NAMESPACE)
            except ApiException as exc:
                if exc.status != 404:
                    raise
                return _failed(name, "not found", "ready on every node", hint)
            nodes = len(session.core_v1.list_node().items)
        status = ds.status
        ready = int(status.number_ready or 0) if status else 0
        desired = int(status.desired_number_scheduled or 0) if status else 0
        return CheckResult(
            name,
            passed=ready == desired == nodes and nodes > 0,
            observed=f"{ready} ready of {desired} desired on {nodes} nodes",
            expected=f"{nodes} ready of {nodes} desired on {nodes} nodes",
            hint=hint,
        )

    def exception() -> CheckResult:
        name = f"AzurePodIdentityException {ADDON_EXCEPTION}"
        found = find_custom_object(
            session, "azurepodidentityexceptions", NMI_NAMESPACE, ADDON_EXCEPTION
        )
        if found is None:
            return _failed(name, "not found", f"present in {NMI_NAMESPACE}", hint)
        return _passed(name, f"present in {NMI_NAMESPACE}")

    return CheckReport(
        "03 NMI",
        [_guard("NMI DaemonSet", "ready", nmi), _guard("add-on exception", "present", exception)],
    )


# -- 04-identity-and-role ----------------------------------------------------------------------


def check_identity(session: Session) -> CheckReport:
    """The managed identity exists with a client ID and a principal ID."""
    s = session.settings
    hint = "run create_identity(session) in 04-identity-and-role"
    try:
        identity = find_identity(session)
    except PodidError as exc:
        identity, problem = None, str(exc).splitlines()[0]
    else:
        problem = f"no identity {s.identity_name!r} in resource group {s.resource_group!r}"
    if identity is None:
        return CheckReport("04 identity", [_failed("identity exists", problem, "found", hint)])
    return CheckReport(
        "04 identity",
        [
            _passed("identity exists", identity.id),
            CheckResult(
                "clientId",
                passed=bool(identity.client_id),
                observed=identity.client_id,
                expected="a GUID",
                hint=hint,
            ),
            CheckResult(
                "principalId",
                passed=bool(identity.principal_id),
                observed=identity.principal_id,
                expected="a GUID",
                hint=hint,
            ),
        ],
    )


def check_role_assignment(session: Session) -> CheckResult:
    """Virtual Machine Contributor is assigned to the identity at the node resource group."""
    name = f"{VM_CONTRIBUTOR} on the node resource group"

    def run() -> CheckResult:
        identity = find_identity(session)
        cluster = find_cluster(session)
        scope = node_resource_group_id(session, cluster)
        if identity is None or not identity.principal_id:
            return _failed(name, "no identity", scope, "run create_identity(session) first")
        found = find_role_assignments(session, scope, identity.principal_id, VM_CONTRIBUTOR)
        at_scope = [a for a in found if str(a.scope or "").lower() == scope.lower()]
        return CheckResult(
            name,
            passed=bool(at_scope),
            observed=at_scope[0].scope if at_scope else "not assigned at this scope",
            expected=scope,
            hint="run assign_vm_contributor(session) in 04-identity-and-role",
        )

    return _guard(name, "assigned", run)


# -- 05-pod-identity ---------------------------------------------------------------------------


def check_pod_identity(session: Session) -> CheckReport:
    """MIO for the cluster identity, AzureIdentity and binding, and provisioningState Assigned."""
    s = session.settings
    hint = "run add_pod_identity(session) in 05-pod-identity"
    binding_name = f"{s.pod_identity_name}-binding"

    def operator() -> CheckResult:
        name = f"{MANAGED_IDENTITY_OPERATOR} for the cluster identity"
        cluster = find_cluster(session)
        identity = find_identity(session)
        grantee = cluster_principal_id(cluster) if cluster is not None else None
        if identity is None or not identity.id or grantee is None:
            return _failed(name, "no cluster or identity", "granted", "run 02 and 04 first")
        found = find_role_assignments(session, identity.id, grantee, MANAGED_IDENTITY_OPERATOR)
        return CheckResult(
            name,
            passed=bool(found),
            observed=f"granted over {s.identity_name}" if found else "not granted",
            expected=f"granted over {s.identity_name}",
            hint=hint,
        )

    def state() -> CheckResult:
        name = "pod identity provisioningState"
        cluster = find_cluster(session)
        entry = pod_identity_entry(cluster, s.pod_identity_name, s.namespace) if cluster else None
        observed = plain(entry.provisioning_state) if entry is not None else "no such pod identity"
        return CheckResult.compare(name, observed, "Assigned", hint=hint)

    def azure_identity() -> CheckResult:
        name = f"AzureIdentity {s.pod_identity_name}"
        identity = find_identity(session)
        obj = find_custom_object(session, "azureidentities", s.namespace, s.pod_identity_name)
        if obj is None:
            return _failed(name, "not found", f"in namespace {s.namespace}", hint)
        spec = obj.get("spec") or {}
        observed = (
            f"type {spec.get('type')}, resourceID {spec.get('resourceID')}, "
            f"clientID {spec.get('clientID')}"
        )
        expected = (
            f"type 0, resourceID {identity.id if identity else '?'}, "
            f"clientID {identity.client_id if identity else '?'}"
        )
        ok = (
            identity is not None
            and spec.get("type") == 0
            and str(spec.get("resourceID", "")).lower() == str(identity.id).lower()
            and spec.get("clientID") == identity.client_id
        )
        return CheckResult(name, passed=ok, observed=observed, expected=expected, hint=hint)

    def binding() -> CheckResult:
        name = f"AzureIdentityBinding {binding_name}"
        obj = find_custom_object(session, "azureidentitybindings", s.namespace, binding_name)
        if obj is None:
            return _failed(name, "not found", f"in namespace {s.namespace}", hint)
        spec = obj.get("spec") or {}
        observed = f"azureIdentity {spec.get('azureIdentity')}, selector {spec.get('selector')}"
        expected = f"azureIdentity {s.pod_identity_name}, selector {s.pod_identity_name}"
        return CheckResult.compare(name, observed, expected, hint=hint)

    return CheckReport(
        "05 pod identity",
        [
            _guard("Managed Identity Operator", "granted", operator),
            _guard("provisioningState", "Assigned", state),
            _guard("AzureIdentity", "present", azure_identity),
            _guard("AzureIdentityBinding", "present", binding),
        ],
    )


# -- 06-deploy-demo ---------------------------------------------------------------------------


def check_demo_running(session: Session) -> CheckReport:
    """Pod ``demo`` is Running, labelled for the binding, pointed at the node resource group."""
    s = session.settings
    hint = "run deploy_demo(session) in 06-deploy-demo"

    def pod_results() -> list[CheckResult]:
        pod = find_pod(session, DEMO_POD, s.namespace)
        if pod is None:
            return [_failed(f"pod {DEMO_POD}", "not found", f"in namespace {s.namespace}", hint)]
        labels = (pod.metadata.labels or {}) if pod.metadata else {}
        args = list(pod.spec.containers[0].args or []) if pod.spec else []
        cluster = find_cluster(session)
        node_group = node_resource_group_id(session, cluster).rsplit("/", 1)[-1]
        prefix = "--resourcegroup="
        group_arg = next((a[len(prefix) :] for a in args if a.startswith(prefix)), None)
        return [
            CheckResult.compare(f"pod {DEMO_POD}", pod_state(pod), "Running", hint=hint),
            CheckResult.compare(
                "label aadpodidbinding",
                labels.get("aadpodidbinding"),
                s.pod_identity_name,
                hint="the label must equal the binding's selector (the pod identity name)",
            ),
            CheckResult.compare(
                "--resourcegroup",
                group_arg,
                node_group,
                hint="the role was granted on the node resource group; list VMs there",
            ),
        ]

    try:
        results = pod_results()
    except PodidError as exc:
        results = [_failed(f"pod {DEMO_POD}", str(exc).splitlines()[0], "Running", hint)]
    return CheckReport("06 demo pod", results)


def check_demo_logs(session: Session, lines: tuple[str, ...] | None = None) -> CheckReport:
    """The demo's log holds the success lines, with the identity's client ID."""
    s = session.settings
    hint = "follow the log again with follow_demo_logs(session); the demo retries every 20 s"
    try:
        if lines is None:
            with kube_errors():
                text = session.core_v1.read_namespaced_pod_log(DEMO_POD, s.namespace)
            lines = tuple(str(text or "").splitlines())
        identity = find_identity(session)
    except PodidError as exc:
        return CheckReport(
            "06 demo log", [_failed("pod log", str(exc).splitlines()[0], "readable", hint)]
        )
    results = []
    for marker in SUCCESS_MARKERS:
        hit = next((log_line_text(line) for line in lines if marker in line), None)
        results.append(
            CheckResult(
                marker,
                passed=hit is not None,
                observed=_short(hit) if hit else "not in the log",
                expected="in the log",
                hint=hint,
            )
        )
    client_id = identity.client_id if identity is not None else None
    wanted = f"clientID({client_id})"
    results.append(
        CheckResult(
            "the token is for the managed identity",
            passed=client_id is not None and any(wanted in line for line in lines),
            observed=wanted if any(wanted in line for line in lines) else "no such clientID",
            expected=wanted,
            hint=hint,
        )
    )
    return CheckReport("06 demo log", results)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


# -- 07-cleanup -------------------------------------------------------------------------------


def check_cleaned_up(session: Session) -> CheckReport:
    """Nothing the tutorial created is left: groups, cluster, identity, grants, kubeconfig."""
    s = session.settings
    hint = "run clean_up(session) in 07-cleanup"

    def gone(name: str, present: Callable[[], bool]) -> CheckResult:
        return _guard(
            name,
            "gone",
            lambda: CheckResult.compare(
                name, "present" if present() else "gone", "gone", hint=hint
            ),
        )

    return CheckReport(
        "07 cleanup",
        [
            gone(f"cluster {s.cluster_name}", lambda: find_cluster(session) is not None),
            gone(f"identity {s.identity_name}", lambda: find_identity(session) is not None),
            gone(
                f"role assignments ({MANAGED_IDENTITY_OPERATOR}, {VM_CONTRIBUTOR})",
                lambda: bool(tutorial_assignments(session)),
            ),
            gone(
                f"resource group {s.node_resource_group}",
                lambda: find_resource_group(session, s.node_resource_group) is not None,
            ),
            gone(
                f"resource group {s.resource_group}",
                lambda: find_resource_group(session) is not None,
            ),
            gone(
                f"kubeconfig {display_path(session.kubeconfig_path)}",
                session.kubeconfig_path.exists,
            ),
        ],
    )

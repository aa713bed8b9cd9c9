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
from .i18n import N_, _
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
        return _failed(name, str(exc).splitlines()[0], expected, _("fix this first, then re-run"))


# -- 00-introduction ---------------------------------------------------------------------------


def check_settings_saved(path: str | os.PathLike[str] | None = None) -> CheckResult:
    """The settings file exists and every setting in it follows the naming rules."""
    target = Path(path).expanduser() if path else settings_path()
    name = _("settings saved and valid")
    if not target.exists():
        return _failed(
            name,
            _("no file at {path}").format(path=display_path(target)),
            _("a saved settings file"),
            _("enter valid names in the form above and click Save, then run this cell again"),
        )
    try:
        load_settings(path=target)
    except InvalidSettingError as exc:
        return _failed(
            name, "; ".join(exc.problems), _("valid settings"), _("fix them and Save again")
        )
    return _passed(name, _("saved in {path}").format(path=display_path(target)))


def check_lab_reachable(session: Session) -> CheckResult:
    """ARM answers this session's credential (the lab, or Azure in mode azure)."""
    name = _("Azure Resource Manager answers")

    def run() -> CheckResult:
        state = provider_state(session)
        observed = _("subscription {subscription}, {provider} {state}").format(
            subscription=session.subscription_id, provider=CONTAINER_SERVICE, state=state
        )
        return _passed(name, observed)

    return _guard(name, _("an answer from ARM"), run)


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
    title = _("service principal: secret vs no secret")
    sign_in = session.sign_in
    if sign_in is None:
        hint = _(
            "set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal)"
        )
        return CheckReport(
            title,
            [_failed(_("a service principal to sign in as"), _("none"), _("one"), hint)],
        )
    with_status, with_body = _token_request(session, str(sign_in.client_secret))
    token = with_body.get("access_token")
    issued = _("with the client secret: token issued")
    with_secret = (
        _passed(issued, Secret(token))
        if with_status == 200 and token
        else _failed(
            issued,
            f"HTTP {with_status} {str(with_body.get('error_description', ''))[:80]}",
            _("an access token"),
            _("the secret is wrong or expired; reconnect with connect()"),
        )
    )
    without_status, without_body = _token_request(session, None)
    codes = without_body.get("error_codes") or []
    refused = without_status in (400, 401) and "access_token" not in without_body
    refused_name = _("without a secret: refused")
    without_secret = (
        _passed(
            refused_name,
            f"HTTP {without_status} {without_body.get('error')} "
            f"(AADSTS{codes[0] if codes else '?'})",
        )
        if refused
        else _failed(
            refused_name,
            f"HTTP {without_status}",
            _("a refusal"),
            _("Entra ID must refuse an app that proves nothing"),
        )
    )
    return CheckReport(title, [with_secret, without_secret])


# -- 01-prepare-subscription -------------------------------------------------------------------


def check_feature_registered(session: Session) -> CheckReport:
    """The preview feature is Registered and the provider is Registered."""
    feature = f"{CONTAINER_SERVICE}/{POD_IDENTITY_FEATURE}"
    hint = _("run register_pod_identity_feature(session) above and wait for it to finish")
    feature_name = _("feature {feature}").format(feature=feature)
    provider_name = _("provider {provider}").format(provider=CONTAINER_SERVICE)
    results = [
        _guard(
            feature_name,
            "Registered",
            lambda: CheckResult.compare(
                feature_name, feature_state(session), "Registered", hint=hint
            ),
        ),
        _guard(
            provider_name,
            "Registered",
            lambda: CheckResult.compare(
                provider_name, provider_state(session), "Registered", hint=hint
            ),
        ),
    ]
    return CheckReport(_("01 prepare subscription"), results)


# -- 02-create-cluster ------------------------------------------------------------------------

_RUN_CLUSTER = N_(
    "run create_resource_group(session) and create_cluster(session) in 02-create-cluster"
)


def _cluster_or_report(session: Session, title: str) -> ManagedCluster | CheckReport:
    try:
        cluster = find_cluster(session)
    except PodidError as exc:
        problem = str(exc).splitlines()[0]
        return CheckReport(title, [_failed(_("cluster"), problem, _("found"), "")])
    if cluster is None:
        s = session.settings
        observed = _("no cluster {cluster} in resource group {group}").format(
            cluster=repr(s.cluster_name), group=repr(s.resource_group)
        )
        failed = _failed(_("cluster exists"), observed, _("found"), _(_RUN_CLUSTER))
        return CheckReport(title, [failed])
    return cluster


def check_cluster_ready(session: Session) -> CheckReport:
    """Cluster Succeeded, Azure CNI, a managed identity and a VMSS node pool."""
    title = _("02 cluster")
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
                hint=_("wait for create_cluster(session) to finish; if Failed, run it again"),
            ),
            CheckResult.compare(
                "networkPlugin",
                plain(network.network_plugin) if network else None,
                "azure",
                hint=_("pod identity needs Azure CNI: delete the cluster and create it again"),
            ),
            CheckResult(
                _("managed identity"),
                passed=identity_type in ("SystemAssigned", "UserAssigned"),
                observed=identity_type or _("a service principal"),
                expected=_("SystemAssigned or UserAssigned"),
                hint=_("pod identity needs a managed-identity cluster"),
            ),
            CheckResult(
                _("node pool on a scale set"),
                passed=bool(pools) and all(p.type == "VirtualMachineScaleSets" for p in pools),
                observed=", ".join(f"{p.name}: {plain(p.type)}" for p in pools) or _("no pools"),
                expected="VirtualMachineScaleSets",
                hint=_("create the cluster with a VMSS node pool"),
            ),
        ],
    )


def check_kubeconfig(session: Session) -> CheckReport:
    """The kubeconfig is in its own 0600 file and its API server answers."""
    path = session.kubeconfig_path
    shown = display_path(path)
    hint = _("run get_credentials(session) in 02-create-cluster")
    title = _("02 kubeconfig")
    written = _("kubeconfig written")
    if not path.exists():
        missing = _("no file at {path}").format(path=shown)
        return CheckReport(title, [_failed(written, missing, shown, hint)])
    mode = path.stat().st_mode & 0o777
    results = [
        _passed(written, shown),
        CheckResult.compare(
            _("file mode"),
            oct(mode),
            oct(0o600),
            hint=_("it holds a token: chmod 600 {path}").format(path=shown),
        ),
        CheckResult(
            _("not ~/.kube/config"),
            passed=path.resolve() != (Path.home() / ".kube" / "config").resolve(),
            observed=shown,
            expected=_("a file of its own"),
            hint=_("the tutorial keeps its cluster out of your own kubeconfig"),
        ),
    ]
    answers = _("API server answers")

    def api() -> CheckResult:
        from kubernetes.client import VersionApi

        with kube_errors():
            version = VersionApi(session.kube()).get_code()
        return _passed(answers, f"Kubernetes {version.git_version}")

    results.append(_guard(answers, _("a version"), api))
    return CheckReport(title, results)


def _ready(node: Any) -> bool:
    conditions = node.status.conditions if node.status else None
    return any(c.type == "Ready" and c.status == "True" for c in conditions or [])


def check_nodes_ready(session: Session) -> CheckResult:
    """Every node the pool should have is registered and Ready."""
    name = _("nodes Ready")

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
            observed=_("{ready} of {count} nodes Ready").format(ready=ready, count=len(nodes)),
            expected=_("{ready} of {count} nodes Ready").format(ready=wanted, count=wanted),
            hint=_("nodes take a few minutes to join after the cluster is created; re-run shortly"),
        )

    return _guard(name, name, run)


# -- 03-enable-pod-identity --------------------------------------------------------------------


def check_pod_identity_enabled(session: Session) -> CheckResult:
    """``podIdentityProfile.enabled`` is true on the cluster."""
    name = "podIdentityProfile.enabled"

    def run() -> CheckResult:
        cluster = find_cluster(session)
        return CheckResult.compare(
            name,
            pod_identity_enabled(cluster) if cluster is not None else _("no cluster"),
            True,
            hint=_("run enable_pod_identity(session) in 03-enable-pod-identity"),
        )

    return _guard(name, True, run)


def check_nmi_ready(session: Session) -> CheckReport:
    """DaemonSet ``nmi`` is ready on every node, and ``aks-addon-exception`` exists."""
    hint = _("enable pod identity first (03); the add-on deploys NMI within a minute")

    def nmi() -> CheckResult:
        from kubernetes.client.exceptions import ApiException

        name = _("DaemonSet {name} in {namespace}").format(
            name=NMI_DAEMONSET, namespace=NMI_NAMESPACE
        )
        with kube_errors():
            try:
                ds = session.apps_v1.read_namespaced_daemon_set(NMI_DAEMONSET, NMI_NAMESPACE)
            except ApiException as exc:
                if exc.status != 404:
                    raise
                return _failed(name, _("not found"), _("ready on every node"), hint)
            nodes = len(session.core_v1.list_node().items)
        status = ds.status
        ready = int(status.number_ready or 0) if status else 0
        desired = int(status.desired_number_scheduled or 0) if status else 0
        return CheckResult(
            name,
            passed=ready == desired == nodes and nodes > 0,
            observed=_("{ready} ready of {desired} desired on {nodes} nodes").format(
                ready=ready, desired=desired, nodes=nodes
            ),
            expected=_("{ready} ready of {desired} desired on {nodes} nodes").format(
                ready=nodes, desired=nodes, nodes=nodes
            ),
            hint=hint,
        )

    def exception() -> CheckResult:
        name = f"AzurePodIdentityException {ADDON_EXCEPTION}"
        found = find_custom_object(
            session, "azurepodidentityexceptions", NMI_NAMESPACE, ADDON_EXCEPTION
        )
        present = _("present in {namespace}").format(namespace=NMI_NAMESPACE)
        if found is None:
            return _failed(name, _("not found"), present, hint)
        return _passed(name, present)

    return CheckReport(
        _("03 NMI"),
        [
            _guard(_("NMI DaemonSet"), _("ready"), nmi),
            _guard(_("add-on exception"), _("present"), exception),
        ],
    )


# -- 04-identity-and-role ----------------------------------------------------------------------


def check_identity(session: Session) -> CheckReport:
    """The managed identity exists with a client ID and a principal ID."""
    s = session.settings
    hint = _("run create_identity(session) in 04-identity-and-role")
    title = _("04 identity")
    exists = _("identity exists")
    try:
        identity = find_identity(session)
    except PodidError as exc:
        identity, problem = None, str(exc).splitlines()[0]
    else:
        problem = _("no identity {identity} in resource group {group}").format(
            identity=repr(s.identity_name), group=repr(s.resource_group)
        )
    if identity is None:
        return CheckReport(title, [_failed(exists, problem, _("found"), hint)])
    return CheckReport(
        title,
        [
            _passed(exists, identity.id),
            CheckResult(
                "clientId",
                passed=bool(identity.client_id),
                observed=identity.client_id,
                expected=_("a GUID"),
                hint=hint,
            ),
            CheckResult(
                "principalId",
                passed=bool(identity.principal_id),
                observed=identity.principal_id,
                expected=_("a GUID"),
                hint=hint,
            ),
        ],
    )


def check_role_assignment(session: Session) -> CheckResult:
    """Virtual Machine Contributor is assigned to the identity at the node resource group."""
    name = _("{role} on the node resource group").format(role=VM_CONTRIBUTOR)

    def run() -> CheckResult:
        identity = find_identity(session)
        cluster = find_cluster(session)
        scope = node_resource_group_id(session, cluster)
        if identity is None or not identity.principal_id:
            return _failed(name, _("no identity"), scope, _("run create_identity(session) first"))
        found = find_role_assignments(session, scope, identity.principal_id, VM_CONTRIBUTOR)
        at_scope = [a for a in found if str(a.scope or "").lower() == scope.lower()]
        return CheckResult(
            name,
            passed=bool(at_scope),
            observed=at_scope[0].scope if at_scope else _("not assigned at this scope"),
            expected=scope,
            hint=_("run assign_vm_contributor(session) in 04-identity-and-role"),
        )

    return _guard(name, _("assigned"), run)


# -- 05-pod-identity ---------------------------------------------------------------------------


def check_pod_identity(session: Session) -> CheckReport:
    """MIO for the cluster identity, AzureIdentity and binding, and provisioningState Assigned."""
    s = session.settings
    hint = _("run add_pod_identity(session) in 05-pod-identity")
    binding_name = f"{s.pod_identity_name}-binding"

    def operator() -> CheckResult:
        name = _("{role} for the cluster identity").format(role=MANAGED_IDENTITY_OPERATOR)
        cluster = find_cluster(session)
        identity = find_identity(session)
        grantee = cluster_principal_id(cluster) if cluster is not None else None
        if identity is None or not identity.id or grantee is None:
            return _failed(
                name, _("no cluster or identity"), _("granted"), _("run 02 and 04 first")
            )
        found = find_role_assignments(session, identity.id, grantee, MANAGED_IDENTITY_OPERATOR)
        granted = _("granted over {identity}").format(identity=s.identity_name)
        return CheckResult(
            name,
            passed=bool(found),
            observed=granted if found else _("not granted"),
            expected=granted,
            hint=hint,
        )

    def state() -> CheckResult:
        name = _("pod identity provisioningState")
        cluster = find_cluster(session)
        entry = pod_identity_entry(cluster, s.pod_identity_name, s.namespace) if cluster else None
        observed = (
            plain(entry.provisioning_state) if entry is not None else _("no such pod identity")
        )
        return CheckResult.compare(name, observed, "Assigned", hint=hint)

    def azure_identity() -> CheckResult:
        name = f"AzureIdentity {s.pod_identity_name}"
        identity = find_identity(session)
        obj = find_custom_object(session, "azureidentities", s.namespace, s.pod_identity_name)
        if obj is None:
            return _failed(name, _("not found"), _in_namespace(s.namespace), hint)
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
            return _failed(name, _("not found"), _in_namespace(s.namespace), hint)
        spec = obj.get("spec") or {}
        observed = f"azureIdentity {spec.get('azureIdentity')}, selector {spec.get('selector')}"
        expected = f"azureIdentity {s.pod_identity_name}, selector {s.pod_identity_name}"
        return CheckResult.compare(name, observed, expected, hint=hint)

    return CheckReport(
        _("05 pod identity"),
        [
            _guard("Managed Identity Operator", _("granted"), operator),
            _guard("provisioningState", "Assigned", state),
            _guard("AzureIdentity", _("present"), azure_identity),
            _guard("AzureIdentityBinding", _("present"), binding),
        ],
    )


def _in_namespace(namespace: str) -> str:
    return _("in namespace {namespace}").format(namespace=namespace)


# -- 06-deploy-demo ---------------------------------------------------------------------------


def check_demo_running(session: Session) -> CheckReport:
    """Pod ``demo`` is Running, labelled for the binding, pointed at the node resource group."""
    s = session.settings
    hint = _("run deploy_demo(session) in 06-deploy-demo")
    pod_name = _("pod {pod}").format(pod=DEMO_POD)

    def pod_results() -> list[CheckResult]:
        pod = find_pod(session, DEMO_POD, s.namespace)
        if pod is None:
            return [_failed(pod_name, _("not found"), _in_namespace(s.namespace), hint)]
        labels = (pod.metadata.labels or {}) if pod.metadata else {}
        args = list(pod.spec.containers[0].args or []) if pod.spec else []
        cluster = find_cluster(session)
        node_group = node_resource_group_id(session, cluster).rsplit("/", 1)[-1]
        prefix = "--resourcegroup="
        group_arg = next((a[len(prefix) :] for a in args if a.startswith(prefix)), None)
        return [
            CheckResult.compare(pod_name, pod_state(pod), "Running", hint=hint),
            CheckResult.compare(
                "label aadpodidbinding",
                labels.get("aadpodidbinding"),
                s.pod_identity_name,
                hint=_("the label must equal the binding's selector (the pod identity name)"),
            ),
            CheckResult.compare(
                "--resourcegroup",
                group_arg,
                node_group,
                hint=_("the role was granted on the node resource group; list VMs there"),
            ),
        ]

    try:
        results = pod_results()
    except PodidError as exc:
        results = [_failed(pod_name, str(exc).splitlines()[0], "Running", hint)]
    return CheckReport(_("06 demo pod"), results)


def check_demo_logs(session: Session, lines: tuple[str, ...] | None = None) -> CheckReport:
    """The demo's log holds the success lines, with the identity's client ID."""
    s = session.settings
    hint = _("follow the log again with follow_demo_logs(session); the demo retries every 20 s")
    title = _("06 demo log")
    try:
        if lines is None:
            with kube_errors():
                text = session.core_v1.read_namespaced_pod_log(DEMO_POD, s.namespace)
            lines = tuple(str(text or "").splitlines())
        identity = find_identity(session)
    except PodidError as exc:
        problem = str(exc).splitlines()[0]
        return CheckReport(title, [_failed(_("pod log"), problem, _("readable"), hint)])
    results = []
    for marker in SUCCESS_MARKERS:
        hit = next((log_line_text(line) for line in lines if marker in line), None)
        results.append(
            CheckResult(
                marker,
                passed=hit is not None,
                observed=_short(hit) if hit else _("not in the log"),
                expected=_("in the log"),
                hint=hint,
            )
        )
    client_id = identity.client_id if identity is not None else None
    wanted = f"clientID({client_id})"
    results.append(
        CheckResult(
            _("the token is for the managed identity"),
            passed=client_id is not None and any(wanted in line for line in lines),
            observed=wanted if any(wanted in line for line in lines) else _("no such clientID"),
            expected=wanted,
            hint=hint,
        )
    )
    return CheckReport(title, results)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


# -- 07-cleanup -------------------------------------------------------------------------------


def check_cleaned_up(session: Session) -> CheckReport:
    """Nothing the tutorial created is left: groups, cluster, identity, grants, kubeconfig."""
    s = session.settings
    hint = _("run clean_up(session) in 07-cleanup")

    def gone(name: str, present: Callable[[], bool]) -> CheckResult:
        absent = _("gone")
        return _guard(
            name,
            absent,
            lambda: CheckResult.compare(
                name, _("present") if present() else absent, absent, hint=hint
            ),
        )

    def group(name: str) -> str:
        return _("resource group {group}").format(group=name)

    return CheckReport(
        _("07 cleanup"),
        [
            gone(
                _("cluster {cluster}").format(cluster=s.cluster_name),
                lambda: find_cluster(session) is not None,
            ),
            gone(
                _("identity {identity}").format(identity=s.identity_name),
                lambda: find_identity(session) is not None,
            ),
            gone(
                _("role assignments ({roles})").format(
                    roles=f"{MANAGED_IDENTITY_OPERATOR}, {VM_CONTRIBUTOR}"
                ),
                lambda: bool(tutorial_assignments(session)),
            ),
            gone(
                group(s.node_resource_group),
                lambda: find_resource_group(session, s.node_resource_group) is not None,
            ),
            gone(group(s.resource_group), lambda: find_resource_group(session) is not None),
            gone(
                f"kubeconfig {display_path(session.kubeconfig_path)}",
                session.kubeconfig_path.exists,
            ),
        ],
    )

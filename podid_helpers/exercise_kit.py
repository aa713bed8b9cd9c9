"""What the troubleshooting exercises share: the symptom display and terminal-like views.

A symptom is shown as a learner would meet it in a terminal: the command, then its output
(the demo's log, NMI's answer, ARM's error as ``az`` prints it, ``kubectl get`` tables). A
``kubectl`` line prints what kubectl prints (tests run each one); only klog times and the AGE
column change between runs, and no port or token ever shows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import PodidError, translate_azure_error
from .i18n import _
from .live import wait_for_poller, wait_until
from .lookups import (
    POD_IDENTITY_GROUP,
    POD_IDENTITY_VERSION,
    assignment_name,
    azure_errors,
    find_pod,
    find_role_assignments,
    kube_errors,
    require_cluster,
    role_definition_id,
)
from .steps_demo import pod_state

if TYPE_CHECKING:
    import requests
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.containerservice.models import ManagedCluster

    from .session import Session

__all__ = ["Section", "Symptom"]

POD_TIMEOUT = 60.0
# The tutorial's role assignments carry this description, so 07's cleanup finds leftovers.
DESCRIPTION = "created-by: podid-tutorial"


@dataclass(frozen=True)
class Section:
    """One command and what it printed (``prompt`` is ``>>>`` for a Python call)."""

    command: str
    lines: tuple[str, ...]
    prompt: str = "$"


@dataclass(frozen=True, repr=False)
class Symptom:
    """What the learner meets when it is broken: commands and their output, as in a terminal."""

    sections: tuple[Section, ...]
    seen: bool
    plain: str = ""

    def text(self) -> str:
        """Return the terminal-like rendering (the same on every run with the same state)."""
        out: list[str] = []
        for section in self.sections:
            lines = section.lines or (_("(no output)"),)
            out += [f"{section.prompt} {section.command}", *lines, ""]
        if self.plain:
            out.append(_("In plain words: {sentence}").format(sentence=self.plain))
        if not self.seen:
            out.append(
                _(
                    "(The failure this exercise is about did not show: run the break cell above "
                    "first, or it is already fixed.)"
                )
            )
        return "\n".join(out).rstrip()

    def __repr__(self) -> str:
        return self.text()

    __str__ = __repr__

    def _repr_html_(self) -> str:
        body = html.escape(self.text(), quote=False)
        return f'<pre style="white-space:pre-wrap;word-break:break-all">{body}</pre>'


# -- guards -------------------------------------------------------------------------------------


def require_lab(session: Session, why: str) -> None:
    """Refuse in Azure mode, saying why this part of an exercise needs the lab."""
    if session.mode != "lab":
        raise PodidError(
            _("this runs only in the offline lab (PODID_MODE=lab): {why}").format(why=why)
        )


# -- kubectl-like views -------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> tuple[str, ...]:
    """Rows padded into columns three spaces apart, as ``kubectl get`` prints them."""
    cells = [list(headers), *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return tuple(
        "   ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


_TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def server_table(session: Session, path: str) -> dict[str, Any] | None:
    """The API server's Table for ``path`` (what ``kubectl get`` prints), or None if not found."""
    import json

    from kubernetes.client.exceptions import ApiException

    api = session.core_v1.api_client
    with kube_errors():
        try:
            request = api.param_serialize(
                "GET", path, header_params={"Accept": _TABLE}, auth_settings=["BearerToken"]
            )
            response = api.call_api(*request)
            response.read()
            found = json.loads(api.response_deserialize(response, {"200": "object"}).raw_data)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
    return found if isinstance(found, dict) else None


def table_lines(
    found: dict[str, Any], *, namespace_column: bool = False, show_labels: bool = False
) -> tuple[str, ...]:
    """A server Table printed as ``kubectl get`` prints it (priority-0 columns, 3 spaces apart)."""
    columns = found.get("columnDefinitions") or []
    shown = [i for i, c in enumerate(columns) if not c.get("priority")]
    headers = [columns[i]["name"].upper() for i in shown]
    rows = []
    for row in found.get("rows") or []:
        meta = (row.get("object") or {}).get("metadata") or {}
        cells = [str(row["cells"][i]) for i in shown]
        if namespace_column:
            cells.insert(0, meta.get("namespace", ""))
        if show_labels:
            labels = sorted((meta.get("labels") or {}).items())
            cells.append(",".join(f"{k}={v}" for k, v in labels) or "<none>")
        rows.append(cells)
    if namespace_column:
        headers.insert(0, "NAMESPACE")
    if show_labels:
        headers.append("LABELS")
    return table(headers, rows)


def pods_view(session: Session, namespace: str, name: str) -> Section:
    """``kubectl get pod <name> -n <ns> --show-labels``."""
    command = f"kubectl get pod {name} -n {namespace} --show-labels"
    found = server_table(session, f"/api/v1/namespaces/{namespace}/pods/{name}")
    if found is None:
        return Section(command, (f'Error from server (NotFound): pods "{name}" not found',))
    return Section(command, table_lines(found, show_labels=True))


def bindings_view(session: Session, namespace: str | None) -> Section:
    """``kubectl get azureidentitybinding`` in one namespace, or ``--all-namespaces``."""
    group = f"/apis/{POD_IDENTITY_GROUP}/{POD_IDENTITY_VERSION}"
    if namespace is None:
        command = "kubectl get azureidentitybinding --all-namespaces"
        found = server_table(session, f"{group}/azureidentitybindings")
    else:
        command = f"kubectl get azureidentitybinding -n {namespace}"
        found = server_table(session, f"{group}/namespaces/{namespace}/azureidentitybindings")
    if found is None or not found.get("rows"):
        where = f" in {namespace} namespace" if namespace else ""
        return Section(command, (f"No resources found{where}.",))
    return Section(command, table_lines(found, namespace_column=namespace is None))


# -- the demo pod's log -------------------------------------------------------------------------


def read_log(session: Session, name: str, namespace: str) -> str:
    """The pod's whole log (``kubectl logs``), or "" while it has none."""
    from kubernetes.client.exceptions import ApiException

    try:
        return str(session.core_v1.read_namespaced_pod_log(name, namespace) or "")
    except ApiException as exc:
        if exc.status in (400, 404):  # not started yet, or gone
            return ""
        raise


def log_view(session: Session, name: str, namespace: str, log: str, show: Sequence[str]) -> Section:
    """``kubectl logs … | grep -m<n>``: the first lines from the places in ``show``."""
    files = {place.split(":")[0] for place in show}
    assert len(files) == 1, "one source file per view"
    lines = "|".join(place.split(":")[1] for place in show)
    pattern = f" {files.pop()}:({lines})] "
    picked = [line for line in log.splitlines() if re.search(pattern.replace(".", r"\."), line)]
    command = f'kubectl logs {name} -n {namespace} | grep -m{len(show)} -E "{pattern}"'
    return Section(command, tuple(picked[: len(show)]))


# -- pods ---------------------------------------------------------------------------------------


def delete_pod(session: Session, name: str, namespace: str) -> bool:
    """Delete the pod and wait until it is gone; False if there was none."""
    if find_pod(session, name, namespace) is None:
        return False
    with kube_errors():
        session.core_v1.delete_namespaced_pod(name, namespace)
    ok, _state = wait_until(
        _("deleting pod {pod}").format(pod=name),
        lambda: (find_pod(session, name, namespace) is None, "Terminating"),
        timeout=POD_TIMEOUT,
    )
    if not ok:
        raise PodidError(
            _("pod {pod} in {namespace} is still terminating; run this again.").format(
                pod=repr(name), namespace=repr(namespace)
            )
        )
    return True


def run_pod(session: Session, manifest: dict[str, Any]) -> str:
    """Create the pod from ``manifest`` (replacing one of that name) and wait until it runs."""
    from kubernetes.client import V1Pod

    meta = manifest["metadata"]
    name, namespace = meta["name"], meta["namespace"]
    delete_pod(session, name, namespace)
    with kube_errors():
        body = V1Pod.from_dict(manifest)
        assert body is not None  # from_dict returns None only for None
        session.core_v1.create_namespaced_pod(namespace, body)

    def running() -> tuple[bool, str]:
        pod = find_pod(session, name, namespace)
        state = pod_state(pod) if pod is not None else "(gone)"
        return state not in ("Pending", "ContainerCreating"), state

    _done, state = wait_until(
        _("starting pod {pod}").format(pod=name), running, timeout=POD_TIMEOUT
    )
    if state != "Running":
        raise PodidError(
            _("pod {pod} is {state}, not Running (kubectl describe pod {name}).").format(
                pod=repr(name), state=state, name=name
            )
        )
    return state


def exec_in_pod(
    session: Session, name: str, namespace: str, command: Sequence[str]
) -> tuple[str, str, int]:
    """Run ``command`` in the pod, as ``kubectl exec`` does; (stdout, stderr, exit code)."""
    from kubernetes.stream import stream

    with kube_errors():
        client = stream(
            session.core_v1.connect_get_namespaced_pod_exec,
            name,
            namespace,
            command=list(command),
            stderr=True,
            stdin=False,
            stdout=True,
            tty=False,
            _preload_content=False,
        )
    try:
        client.run_forever(timeout=POD_TIMEOUT)
        return client.read_stdout(), client.read_stderr(), int(client.returncode or 0)
    finally:
        client.close()


# -- ARM ----------------------------------------------------------------------------------------


def refusal(call: Callable[[], object]) -> HttpResponseError | None:
    """Run ``call``; return Azure's refusal, or None when Azure accepted it."""
    from azure.core.exceptions import HttpResponseError

    try:
        call()
    except HttpResponseError as exc:
        return exc
    return None


def az_error(command: str, error: HttpResponseError | None, accepted: str) -> Section:
    """The command and the error as ``az`` prints it (or ``accepted`` when there was none)."""
    if error is None:
        return Section(command, (accepted,))
    return Section(command, tuple(str(error).splitlines()))


def plain_words(error: HttpResponseError | None) -> str:
    """The tutorial's plain-language sentence for Azure's error, or ""."""
    return translate_azure_error(error).sentence if error is not None else ""


def put_cluster(session: Session, name: str, cluster: ManagedCluster, what: str) -> ManagedCluster:
    """PUT cluster ``name`` in the learner's resource group, as ``az aks`` does, and wait."""
    poller = session.containerservice.managed_clusters.begin_create_or_update(
        session.settings.resource_group, name, cluster
    )
    result: ManagedCluster = wait_for_poller(poller, what)
    return result


def update_cluster(session: Session) -> ManagedCluster:
    """``az aks update``: the cluster as it is, PUT back (AKS checks and reconciles it)."""
    name = session.settings.cluster_name
    updating = _("updating cluster {cluster}").format(cluster=name)
    return put_cluster(session, name, require_cluster(session), updating)


def grant(
    session: Session,
    scope: str,
    principal_id: str,
    role: str,
    *,
    principal_type: str | None = "ServicePrincipal",
) -> None:
    """Assign ``role`` at ``scope`` (raw: Azure's errors are the caller's to handle)."""
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    parameters = RoleAssignmentCreateParameters(
        role_definition_id=role_definition_id(session, scope, role),
        principal_id=principal_id,
        # None sends no type, so Azure looks the principal up in Entra ID first; the SDK's
        # own default ("User") would skip that look-up.
        principal_type=principal_type,  # type: ignore[arg-type]
        description=DESCRIPTION,
    )
    session.authorization.role_assignments.create(
        scope, assignment_name(scope, principal_id, role), parameters
    )


def revoke(session: Session, scope: str, principal_id: str, role: str) -> bool:
    """Delete assignments of ``role`` made at exactly ``scope``; False if there were none."""
    at_scope = [
        a
        for a in find_role_assignments(session, scope, principal_id, role)
        if str(a.scope or "").lower() == scope.lower() and a.id
    ]
    with azure_errors():
        for assignment in at_scope:
            session.authorization.role_assignments.delete_by_id(assignment.id)
    return bool(at_scope)


# -- the lab's admin routes ---------------------------------------------------------------------


def lab_request(session: Session, method: str, path: str, body: Any = None) -> requests.Response:
    """Send one request to a route of the lab with its admin key (read from the lab's folder)."""
    import importlib

    import requests

    require_lab(session, _("{path} is a route of the lab").format(path=path))
    home = importlib.import_module("podid_lab.home").LabHome.from_env()
    header = importlib.import_module("podid_lab.admin").ADMIN_HEADER
    return requests.request(
        method,
        f"{session.arm_endpoint}{path}",
        json=body,
        headers={header: home.admin_key()},
        verify=session.verify,
        timeout=30,
    )


def lab_admin(session: Session, method: str, path: str, body: Any = None) -> Any:
    """Call one of the lab's admin routes; its JSON answer."""
    response = lab_request(session, method, path, body)
    if not response.ok:
        raise PodidError(
            _("the lab refused {method} {path}: HTTP {status}").format(
                method=method, path=path, status=response.status_code
            )
        )
    return response.json()

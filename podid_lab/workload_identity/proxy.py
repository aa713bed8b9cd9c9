"""The Workload ID migration proxy (`azwi-proxy`), path by path, as the pod's "IMDS".

Pinned: azure-workload-identity v1.3.0, `pkg/proxy`. The webhook (see `webhook`) gives a pod the
sidecar and an init container whose iptables rule sends the pod's traffic for 169.254.169.254:80
to it; in the lab, a request to such a pod's IMDS endpoint reaches this class instead of NMI.
The proxy listens on localhost only and routes by path prefix:

- `/metadata/identity/oauth2/token` ("metadata" in any case): takes `client_id` from the query,
  else the container's `AZURE_CLIENT_ID`, and `resource`; exchanges the pod's projected
  service-account token with Entra (MSAL's confidential client: client credentials with a
  jwt-bearer assertion, scope `<resource>/.default`) and answers in IMDS's token shape. It does
  not ask for the `Metadata` header, and any method is served.
- `/readyz`: `ok` (the sidecar's postStart probe).
- anything else: forwarded to 169.254.169.254:80 as it came, so `/metadata/instance` answers as
  the node's IMDS does (through NMI while it is still installed).

A token is kept per pod, client ID and resource and handed out again until it nears its expiry,
as the proxy does from the release that keeps a credential (and so its token cache) per client
ID. v1.3.0 built a new MSAL client per request, so Entra answered each one afresh; the lab keeps
the cached behaviour so that the demo's t1/t2 comparison (`main.go:54`) cannot depend on whether
its two requests fell in the same second of the lab's clock.

Its log lines go to the `azwi-proxy` container's log, in klog's text format with mlog's
key/value pairs; the source line numbers are the lab's guess (unpublished per release).
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from .. import ids, klog
from ..kube.kinds import PODS
from ..kubelet.runtime import container_env
from ..nmi.http import answer_as_pod
from ..store import Document
from .webhook import PROXY_CONTAINER, PROXY_USER_AGENT, has_proxy

if TYPE_CHECKING:
    from ..kube.models import Cluster
    from ..lab import Lab

TOKEN_PREFIX = re.compile(r"/(?i:metadata)/identity/oauth2/token")
READYZ_PREFIX = "/readyz"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The proxy takes this off `expires_in` for the time between the calls.
EXPIRY_MARGIN_SECONDS = 10
ENTRA_TIMEOUT_SECONDS = 30
# Tokens kept at most (the proxy's credential cache holds 128), oldest use dropped first.
TOKEN_CACHE_SIZE = 128


def _go_error(message: str, status: int) -> Response:
    """Go's http.Error: the message and a newline, as plain text, never sniffed."""
    return PlainTextResponse(
        message + "\n",
        status_code=status,
        headers={"Server": PROXY_USER_AGENT, "X-Content-Type-Options": "nosniff"},
    )


def _scope(resource: str) -> str:
    """The proxy's scope for a resource: `<resource>/.default` unless it already ends so."""
    return resource if resource.endswith("/.default") else resource + "/.default"


def _quote(value: object) -> str:
    return json.dumps(str(value)) if not isinstance(value, int) else str(value)


class MigrationProxy:
    """Answers a proxied pod's IMDS requests as its `azwi-proxy` sidecar does."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self._tokens: OrderedDict[tuple[str, str, str], dict[str, Any]] = OrderedDict()

    def forget(self) -> None:
        """Drop the kept tokens (after a reset: pod UIDs may come again)."""
        self._tokens.clear()

    def intercepts(self, pod_key: tuple[str, str, str]) -> bool:
        """True if the pod's IMDS traffic goes to its proxy sidecar."""
        found = self._pod(pod_key)
        return found is not None and has_proxy(found[1])

    def _pod(self, pod_key: tuple[str, str, str]) -> tuple[Cluster, Document] | None:
        cluster = self._lab.kube.by_key(pod_key[0])
        pod = cluster.find(PODS, pod_key[1], pod_key[2]) if cluster is not None else None
        return None if cluster is None or pod is None else (cluster, pod)

    async def answer(self, pod_key: tuple[str, str, str], request: Request, path: str) -> Response:
        """The proxy's answer to `path` (the pod's request, its query kept)."""
        found = self._pod(pod_key)
        if found is None:
            return answer_as_pod(self._lab, None, request, path)
        cluster, pod = found
        uri = path + (f"?{request.url.query}" if request.url.query else "")
        if TOKEN_PREFIX.match(path):
            return await self._token(cluster, pod, request, uri)
        if path.startswith(READYZ_PREFIX):
            self._log(
                cluster, pod, "I", '"received readyz request"', method=request.method, uri=uri
            )
            return PlainTextResponse("ok", headers={"Content-Type": "text/plain; charset=utf-8"})
        reply = answer_as_pod(self._lab, pod_key, request, path)
        self._log(
            cluster,
            pod,
            "I",
            '"received response from IMDS"',
            method=request.method,
            uri=uri,
            status=reply.status_code,
        )
        return reply

    # -- the token path -----------------------------------------------------------------------

    def _env(self, pod: Document) -> dict[str, str]:
        sidecar = next(c for c in pod["spec"]["containers"] if c["name"] == PROXY_CONTAINER)
        return container_env(pod, sidecar)

    async def _token(self, cluster: Cluster, pod: Document, request: Request, uri: str) -> Response:
        self._log(cluster, pod, "I", '"received token request"', method=request.method, uri=uri)
        env = self._env(pod)
        client_id = request.query_params.get("client_id", "")
        if not client_id:
            self._log(
                cluster,
                pod,
                "I",
                '"client_id not found in request, defaulting to AZURE_CLIENT_ID"',
                method=request.method,
                uri=uri,
            )
            client_id = env.get("AZURE_CLIENT_ID", "")
        if not client_id:
            return _go_error(
                "The client_id parameter or AZURE_CLIENT_ID environment variable must be set", 400
            )
        resource = request.query_params.get("resource", "")
        if not resource:
            return _go_error("The resource parameter is required.", 400)
        key = (pod["metadata"]["uid"], client_id, resource)
        body = self._cached(key)
        if body is None:
            try:
                assertion = self._assertion(cluster, pod, env)
                body = await asyncio.to_thread(self._exchange, env, client_id, resource, assertion)
            except ProxyError as exc:
                self._log(cluster, pod, "E", '"failed to get token"', err=str(exc))
                return _go_error(str(exc), 500)
            self._keep(key, body)
        self._log(
            cluster, pod, "I", '"successfully acquired token"', method=request.method, uri=uri
        )
        return Response(
            json.dumps(body) + "\n",  # Go's json.Encoder ends the document with a newline
            headers={"Server": PROXY_USER_AGENT, "Content-Type": "application/json"},
        )

    def _cached(self, key: tuple[str, str, str]) -> dict[str, Any] | None:
        """The kept token for `key` with its time left, unless it is close to expiry."""
        kept = self._tokens.get(key)
        if kept is None:
            return None
        left = int(kept["expires_on"]) - int(time.time()) - EXPIRY_MARGIN_SECONDS
        if left <= 0:
            del self._tokens[key]
            return None
        self._tokens.move_to_end(key)
        return dict(kept, expires_in=left)

    def _keep(self, key: tuple[str, str, str], body: dict[str, Any]) -> None:
        self._tokens[key] = body
        self._tokens.move_to_end(key)
        while len(self._tokens) > TOKEN_CACHE_SIZE:
            self._tokens.popitem(last=False)

    def _assertion(self, cluster: Cluster, pod: Document, env: dict[str, str]) -> str:
        """The projected token the sidecar's AZURE_FEDERATED_TOKEN_FILE names."""
        path = env.get("AZURE_FEDERATED_TOKEN_FILE", "")
        meta = pod["metadata"]
        wanted = path.rsplit("/", 1)[-1]
        for host_path in self._lab.runtime.token_files(
            cluster.key, meta["namespace"], meta["name"]
        ):
            if path and host_path.name == wanted and host_path.exists():
                return host_path.read_text()
        raise ProxyError(
            f"failed to read service account token: open {path}: no such file or directory"
        )

    def _exchange(
        self, env: dict[str, str], client_id: str, resource: str, assertion: str
    ) -> dict[str, Any]:
        """MSAL's client-credentials request with the assertion, to the authority in the env."""
        authority = env.get("AZURE_AUTHORITY_HOST", "").rstrip("/")
        tenant = env.get("AZURE_TENANT_ID", ids.TENANT_ID)
        url = f"{authority}/{tenant}/oauth2/v2.0/token"
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
                "scope": _scope(resource),
            }
        ).encode()
        # The lab's CA, passed explicitly: the machine's CA settings must not replace it.
        context = ssl.create_default_context(cafile=str(self._lab.home.ca_cert))
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, data=form, method="POST"),
                timeout=ENTRA_TIMEOUT_SECONDS,
                context=context,
            ) as reply:
                result = json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace").strip()
            raise ProxyError(
                f"failed to acquire token: http call({url})(POST) error: reply status code was "
                f"{exc.code}:\n{text}"
            ) from None
        except (OSError, ValueError) as exc:
            raise ProxyError(f"failed to acquire token: {exc}") from None
        expires_on = int(time.time()) + int(result["expires_in"])
        return {
            "access_token": result["access_token"],
            "refresh_token": "",
            "expires_in": expires_on - int(time.time()) - EXPIRY_MARGIN_SECONDS,
            "expires_on": str(expires_on),
            "not_before": 0,  # an unset json.Number encodes as 0
            "resource": resource,
            "token_type": "Bearer",
        }

    # -- the sidecar's log ----------------------------------------------------------------------

    def _log(
        self, cluster: Cluster, pod: Document, severity: str, message: str, **values: object
    ) -> None:
        pairs = "".join(f" {key}={_quote(value)}" for key, value in values.items())
        meta = pod["metadata"]
        cluster.append_log(
            meta["namespace"],
            meta["name"],
            PROXY_CONTAINER,
            klog.line(severity, "proxy.go:123", message + pairs),
        )


class ProxyError(Exception):
    """A token request the proxy answers with 500 and this text."""

"""Per-pod IMDS endpoints: a secret only the pod's processes hold stands in for its source IP.

NMI tells pods apart by a request's source IP (iptables on the node sends a pod's traffic to
169.254.169.254 to the NMI there, which looks the IP up). Every lab pod shares 127.0.0.1, so
each pod's endpoint carries a secret instead: HMAC-SHA256, under a key kept in the lab's home
(0600), of the pod's cluster, namespace, name and UID. It is stable across a lab restart (a
running pod keeps its endpoint), differs for a new pod of the same name, and reaches only the
pod's processes, in `AZURE_POD_IDENTITY_AUTHORITY_HOST`; the Kubernetes API, events and logs
never carry it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from ..home import LabHome, read_or_create_secret
from ..kube.kinds import PODS
from ..store import Document

if TYPE_CHECKING:
    from ..kube.models import Clusters

PREFIX = "/pod"


class PodSecrets:
    """Derives each pod's IMDS secret and finds the pod a secret belongs to."""

    def __init__(self, home: LabHome) -> None:
        self._key = read_or_create_secret(home.nmi_key_file).encode()
        # secret -> (cluster key, namespace, pod name, pod UID), filled as pods are looked up.
        self._known: dict[str, tuple[str, str, str, str]] = {}

    def secret(self, cluster_key: str, pod: Document) -> str:
        """The pod's secret (URL-safe, 256 bits)."""
        meta = pod["metadata"]
        message = "\n".join((cluster_key, meta["namespace"], meta["name"], meta.get("uid", "")))
        digest = hmac.new(self._key, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def endpoint(self, imds_origin: str, cluster_key: str, pod: Document) -> str:
        """The pod's IMDS endpoint, as its processes get it."""
        return f"{imds_origin}{PREFIX}/{self.secret(cluster_key, pod)}"

    def find(self, clusters: Clusters, secret: str) -> tuple[str, str, str] | None:
        """(cluster key, namespace, pod) of the live pod whose secret this is, else None."""
        known = self._known.get(secret)
        if known is not None and self._alive(clusters, *known):
            return known[:3]
        self._known.clear()  # pods came and went: derive the live ones' secrets again
        found = None
        for cluster in clusters.all():
            for pod in cluster.items(PODS):
                meta = pod["metadata"]
                own = self.secret(cluster.key, pod)
                self._known[own] = (cluster.key, meta["namespace"], meta["name"], meta["uid"])
                if hmac.compare_digest(own, secret):
                    found = (cluster.key, meta["namespace"], meta["name"])
        return found

    @staticmethod
    def _alive(clusters: Clusters, cluster_key: str, namespace: str, name: str, uid: str) -> bool:
        cluster = clusters.by_key(cluster_key)
        pod = cluster.find(PODS, namespace, name) if cluster is not None else None
        return pod is not None and pod["metadata"].get("uid") == uid

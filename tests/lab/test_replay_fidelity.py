"""Replayed pairs: requests Azure's own traffic and NMI's source answer, sent to the lab.

Each pair is the request the Azure CLI's recorded tests (aks-preview `test_aks_pod_identity_usage`,
azure-cli `test_identity_management` and `test_federated_identity_credential`) or a pod's adal
sends, and the facts the real answer has: status, headers, fields, codes and wording. The
requests go through the real SDK clients (headers read with `raw_response_hook`) or, for NMI,
as the pod sends them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError

from .aks_steps import POLL, assign
from .test_pod_identity import (
    CLUSTER,
    GROUP,
    IDENTITY,
    POD_IDENTITY,
    World,
    apply_demo,
    delete_pod,
)
from .test_pod_identity import world as world  # the same lab and state, a module of its own

Headers = dict[str, str]


def recording() -> tuple[Callable[[Any], None], list[tuple[int, Headers]]]:
    """A raw_response_hook that keeps each answer's status and headers (lower-case names)."""
    seen: list[tuple[int, Headers]] = []

    def hook(response: Any) -> None:
        http = response.http_response
        seen.append((http.status_code, {k.lower(): v for k, v in http.headers.items()}))

    return hook, seen


def test_identity_create_is_201_with_location_then_200_without(world: World) -> None:
    hook, seen = recording()
    created = world.az.msi.user_assigned_identities.create_or_update(
        GROUP, "replay-id", {"location": "japaneast"}, raw_response_hook=hook
    )
    again = world.az.msi.user_assigned_identities.create_or_update(
        GROUP, "replay-id", {"location": "japaneast"}, raw_response_hook=hook
    )
    (first_status, first), (second_status, second) = seen
    # 201 Created, and Location is the new identity's ID as a path (not an operation URL).
    assert first_status == 201 and first["location"] == created.id
    assert created.id.startswith("/subscriptions/") and "://" not in first["location"]
    assert first["content-type"].startswith("application/json")
    assert (created.tenant_id, created.principal_id, created.client_id) != (None, None, None)
    # Replacing it: 200 and no Location.
    assert second_status == 200 and "location" not in second
    assert (again.client_id, again.principal_id) == (created.client_id, created.principal_id)


def test_federated_credential_create_is_201_with_location_update_200(world: World) -> None:
    hook, seen = recording()
    body = {
        "issuer": "https://oidc.example/issuer",
        "subject": "system:serviceaccount:ns:svcaccount1",
        "audiences": ["api://AzureADTokenExchange"],
    }
    fics = world.az.msi.federated_identity_credentials
    created = fics.create_or_update(GROUP, IDENTITY, "fic1", body, raw_response_hook=hook)
    body["subject"] = "system:serviceaccount:ns:svcaccount3"
    updated = fics.create_or_update(GROUP, IDENTITY, "fic1", body, raw_response_hook=hook)
    (first_status, first), (second_status, second) = seen
    assert first_status == 201 and first["location"] == created.id
    assert created.id.endswith("/federatedIdentityCredentials/fic1")
    assert (
        created.type
        == "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
    )
    assert second_status == 200 and "location" not in second
    assert updated.subject == "system:serviceaccount:ns:svcaccount3"
    fics.delete(GROUP, IDENTITY, "fic1")


def test_pod_identity_add_is_updating_then_assigned(world: World) -> None:
    other = world.az.msi.user_assigned_identities.create_or_update(
        GROUP, "replay-add", {"location": "japaneast"}
    )
    assign(world.az, other.id, "Managed Identity Operator", world.cluster_principal)
    entry = {
        "name": "replay-add",
        "namespace": "replay",
        "identity": {
            "resourceId": other.id,
            "clientId": other.client_id,
            "objectId": other.principal_id,
        },
    }
    hook, seen = recording()
    cluster = world.az.aks.managed_clusters.get(GROUP, CLUSTER)
    cluster.pod_identity_profile = {
        "enabled": True,
        "userAssignedIdentities": [world.entry(), entry],
    }
    try:
        # An update as long as Azure's shortest, so the GET surely sees it under way.
        with world.az.knobs(cluster_create_seconds=1.0):
            poller = world.az.aks.managed_clusters.begin_create_or_update(
                GROUP, CLUSTER, cluster, raw_response_hook=hook, **POLL
            )
            during = world.az.aks.managed_clusters.get(GROUP, CLUSTER)
        status, headers = seen[0]
        # The PUT on an existing cluster: 200, polled through Azure-AsyncOperation.
        assert status == 200
        assert "/providers/Microsoft.ContainerService/locations/" in headers["azure-asyncoperation"]
        assert during.provisioning_state == "Updating"
        states = {
            i.name: i.provisioning_state
            for i in during.pod_identity_profile.user_assigned_identities
        }
        assert states == {POD_IDENTITY: "Assigned", "replay-add": "Updating"}
        done = poller.result()
        assert done.provisioning_state == "Succeeded"
        added = next(
            i for i in done.pod_identity_profile.user_assigned_identities if i.name == "replay-add"
        )
        assert added.provisioning_state == "Assigned" and added.provisioning_info is None
        assert (added.identity.client_id, added.identity.object_id) == (
            other.client_id,
            other.principal_id,
        )
    finally:
        world.set_pod_identities([world.entry()])


def test_pod_identity_add_without_the_grant_is_refused_with_aks_wording(world: World) -> None:
    other = world.az.msi.user_assigned_identities.create_or_update(
        GROUP, "replay-no-grant", {"location": "japaneast"}
    )
    entry = {"name": "replay-no-grant", "namespace": "replay", "identity": {"resourceId": other.id}}
    with pytest.raises(HttpResponseError) as refused:
        world.set_pod_identities([world.entry(), entry])
    error = refused.value
    assert (error.status_code, error.error.code) == (400, "BadRequest")
    # Azure's wording as users quote it: the identity named by resource, client and object ID.
    assert error.error.message.startswith(
        f"Cluster identity has no assignment permission over identity 'resourceId: {other.id} - "
        f"clientId: {other.client_id} - objectId: {other.principal_id}'. Please grant at least "
        "'Managed Identity Operator'"
    )
    assert world.az.aks.managed_clusters.get(GROUP, CLUSTER).provisioning_state == "Succeeded"


@pytest.fixture(scope="module")
def pod_endpoint(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The IMDS endpoint of a demo pod bound to the pod identity (NMI answers as that pod)."""
    apply_demo(world, tmp_path_factory.mktemp("replay"), name="replay")
    yield world.endpoint("replay")
    delete_pod(world, "replay")


TOKEN = "/metadata/identity/oauth2/token"
ARM = "https://management.azure.com/"

# (what the pod sends, query, Metadata header, status, content type, body test)
NMI_PAIRS: list[tuple[str, dict[str, str], bool, int, str, Callable[[str, World], bool]]] = [
    (
        "no Metadata header",
        {"resource": ARM},
        False,
        400,
        "application/json; charset=utf-8",
        lambda body, w: (
            body == '{"error":"invalid_request","error_description":"Required metadata header not '
            'specified"}\n'
        ),
    ),
    (
        "no resource",
        {},
        True,
        400,
        "text/plain; charset=utf-8",
        lambda body, w: body == "parameter resource cannot be empty\n",
    ),
    (
        "a client ID no binding names",
        {"resource": ARM, "client_id": "00000000-1111-2222-3333-444444444444"},
        True,
        404,
        "text/plain; charset=utf-8",
        lambda body, w: (
            body == "no azure identity found for request clientID 0000##### REDACTED #####4444\n"
        ),
    ),
    (
        "a resource IMDS does not know",
        {"resource": "https://unknown.example/"},
        True,
        403,
        "text/plain; charset=utf-8",
        lambda body, w: (
            body.startswith("adal: Refresh request failed. Status Code = '400'.")
            and body.endswith(
                f"Endpoint http://169.254.169.254{TOKEN}?api-version=2018-02-01&client_id="
                f"{w.identity.client_id}&resource=https%3A%2F%2Funknown.example%2F\n"
            )
        ),
    ),
    (
        "the bound identity, unnamed",
        {"resource": ARM},
        True,
        200,
        "application/json",
        lambda body, w: (
            body.startswith('{"access_token":"ey')
            and body.endswith(f'"resource":"{ARM}","token_type":"Bearer"}}')
        ),
    ),
]


@pytest.mark.parametrize(
    ("query", "metadata", "status", "content_type", "body_ok"),
    [pair[1:] for pair in NMI_PAIRS],
    ids=[pair[0] for pair in NMI_PAIRS],
)
def test_nmi_pair(
    world: World,
    pod_endpoint: str,
    query: dict[str, str],
    metadata: bool,
    status: int,
    content_type: str,
    body_ok: Callable[[str, World], bool],
) -> None:
    resp = requests.get(
        pod_endpoint + TOKEN,
        params={"api-version": "2018-02-01", **query},
        headers={"Metadata": "true"} if metadata else {},
        timeout=10,
    )
    assert resp.status_code == status
    assert resp.headers["content-type"] == content_type
    if content_type.startswith("text/plain"):
        assert resp.headers["x-content-type-options"] == "nosniff"  # Go's http.Error
    assert body_ok(resp.text, world), resp.text

"""The protobuf reader for kubectl's typed clients: a pure function, tested on encoded bytes."""

from __future__ import annotations

import pytest

from podid_lab.kube import protobuf
from podid_lab.kube.errors import KubeError


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


def _unknown(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = _field(1, api_version.encode()) + _field(2, kind.encode())
    return protobuf.MAGIC + _field(1, type_meta) + _field(2, raw)


def test_namespace_with_labels() -> None:
    label = _field(1, b"team") + _field(2, b"blue")
    meta = _field(1, b"demo") + _field(11, label)
    assert protobuf.decode(_unknown("v1", "Namespace", _field(1, meta))) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "demo", "labels": {"team": "blue"}},
    }


def test_service_account_with_namespace_and_annotation() -> None:
    note = _field(1, b"azure.workload.identity/client-id") + _field(2, b"abc")
    meta = _field(1, b"bot") + _field(3, b"demo") + _field(12, note)
    obj = protobuf.decode(_unknown("v1", "ServiceAccount", _field(1, meta)))
    assert obj["metadata"] == {
        "name": "bot",
        "namespace": "demo",
        "annotations": {"azure.workload.identity/client-id": "abc"},
    }


def test_other_kinds_get_415_with_a_way_forward() -> None:
    with pytest.raises(KubeError) as info:
        protobuf.decode(_unknown("v1", "ConfigMap", b""))
    assert info.value.code == 415
    assert "kubectl apply -f" in str(info.value.status()["message"])


@pytest.mark.parametrize("body", [b"not protobuf", protobuf.MAGIC + b"\x0a\x05ab"])
def test_malformed_bodies_are_400(body: bytes) -> None:
    with pytest.raises(KubeError) as info:
        protobuf.decode(body)
    assert info.value.code == 400

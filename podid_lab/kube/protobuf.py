"""Just enough of Kubernetes' protobuf encoding to read what `kubectl create namespace` and
`kubectl create serviceaccount` send (kubectl's typed clients speak protobuf to built-in kinds).

A body is the magic `k8s\\0` followed by a `runtime.Unknown` whose `raw` field holds the object;
the object's fields are numbered as in `k8s.io/api/core/v1/generated.proto`. Kinds the lab does
not decode get a 415 that says how to send the same object as YAML.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .errors import KubeError

MAGIC = b"k8s\x00"
_VARINT, _LENGTH = 0, 2


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) pairs of one message: ints for varints, bytes for the rest."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _varint(data, pos)
            yield number, value
        elif wire == _LENGTH:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise ValueError("truncated field")
            yield number, data[pos : pos + size]
            pos += size
        else:
            raise ValueError(f"unsupported wire type {wire}")


def _text(value: int | bytes) -> str:
    assert isinstance(value, bytes)
    return value.decode("utf-8")


def _string_map(entries: list[bytes]) -> dict[str, str]:
    out = {}
    for entry in entries:
        parts = dict(_fields(entry))
        out[_text(parts.get(1, b""))] = _text(parts.get(2, b""))
    return out


def _object_meta(data: bytes) -> dict[str, Any]:
    """ObjectMeta: name (1), generateName (2), namespace (3), labels (11), annotations (12)."""
    meta: dict[str, Any] = {}
    labels: list[bytes] = []
    annotations: list[bytes] = []
    for number, value in _fields(data):
        if number in (1, 2, 3):
            meta[("name", "generateName", "namespace")[number - 1]] = _text(value)
        elif number == 11:
            labels.append(value)  # type: ignore[arg-type]
        elif number == 12:
            annotations.append(value)  # type: ignore[arg-type]
    if labels:
        meta["labels"] = _string_map(labels)
    if annotations:
        meta["annotations"] = _string_map(annotations)
    return meta


def _namespace(data: bytes) -> dict[str, Any]:
    meta = next((v for n, v in _fields(data) if n == 1), b"")
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _object_meta(meta)}  # type: ignore[arg-type]


def _service_account(data: bytes) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {}}
    for number, value in _fields(data):
        if number == 1:
            obj["metadata"] = _object_meta(value)  # type: ignore[arg-type]
        elif number == 4:
            obj["automountServiceAccountToken"] = bool(value)
    return obj


_DECODERS = {("v1", "Namespace"): _namespace, ("v1", "ServiceAccount"): _service_account}


def decode(body: bytes) -> dict[str, Any]:
    """The object in a protobuf request body, as the JSON dict the API server would see."""
    if not body.startswith(MAGIC):
        raise KubeError(400, "BadRequest", "the body of the request was in an unknown format")
    try:
        unknown = dict(_fields(body[len(MAGIC) :]))
        type_meta = dict(_fields(unknown.get(1, b"")))  # type: ignore[arg-type]
        api_version, kind = _text(type_meta.get(1, b"")), _text(type_meta.get(2, b""))
        decoder = _DECODERS.get((api_version, kind))
        if decoder is None:
            raise KubeError(
                415,
                "UnsupportedMediaType",
                f"the podid lab reads protobuf only for Namespace and ServiceAccount, not "
                f"{kind or 'this kind'}; send it as YAML: `kubectl create ... --dry-run=client "
                "-o yaml | kubectl apply -f -`, or `kubectl apply -f <manifest>`",
            )
        return decoder(unknown.get(2, b""))  # type: ignore[arg-type]
    except (ValueError, UnicodeDecodeError) as exc:
        raise KubeError(
            400, "BadRequest", f"the body of the request was in an unknown format: {exc}"
        ) from None

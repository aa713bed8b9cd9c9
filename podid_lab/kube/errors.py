"""Kubernetes `Status` errors with the API server's reasons, codes and message wording."""

from __future__ import annotations

from typing import Any

from .kinds import Kind


class KubeError(Exception):
    """An error the API server answers with a `Status` object."""

    def __init__(
        self, code: int, reason: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        """The `Status` body."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(kind: Kind, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if kind.group:
        details["group"] = kind.group
    details["kind"] = kind.resource
    return details


def not_found(kind: Kind, name: str) -> KubeError:
    """`pods "demo" not found`."""
    return KubeError(
        404, "NotFound", f'{kind.group_resource} "{name}" not found', _details(kind, name)
    )


def already_exists(kind: Kind, name: str) -> KubeError:
    """`pods "demo" already exists`."""
    return KubeError(
        409, "AlreadyExists", f'{kind.group_resource} "{name}" already exists', _details(kind, name)
    )


def conflict(kind: Kind, name: str) -> KubeError:
    """The optimistic-concurrency failure of an update with a stale resourceVersion."""
    return KubeError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {kind.group_resource} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        _details(kind, name),
    )


def forbidden(kind: Kind, name: str, why: str) -> KubeError:
    """`namespaces "default" is forbidden: this namespace may not be deleted`."""
    return KubeError(
        403,
        "Forbidden",
        f'{kind.group_resource} "{name}" is forbidden: {why}',
        _details(kind, name),
    )


def invalid(kind: Kind, name: str, causes: list[tuple[str, str, str]]) -> KubeError:
    """422 Invalid from (field, cause reason, message) triples, worded as the server does."""
    texts = [f"{field}: {message}" for field, _, message in causes]
    summary = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details: dict[str, Any] = {"name": name}
    if kind.group:
        details["group"] = kind.group
    details["kind"] = kind.kind
    details["causes"] = [
        {"reason": reason, "message": message, "field": field} for field, reason, message in causes
    ]
    return KubeError(
        422, "Invalid", f'{kind.qualified_kind} "{name}" is invalid: {summary}', details
    )


def bad_request(message: str) -> KubeError:
    """400 BadRequest."""
    return KubeError(400, "BadRequest", message)


def gone(requested: int, oldest: int) -> KubeError:
    """410 for a watch that asks to resume before the oldest event the server still has."""
    return KubeError(410, "Expired", f"too old resource version: {requested} ({oldest})")


def server_not_found() -> KubeError:
    """A path no resource serves."""
    return KubeError(404, "NotFound", "the server could not find the requested resource", {})


def method_not_allowed() -> KubeError:
    """A verb the resource does not support."""
    return KubeError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        {},
    )


def unsupported_media_type(accepted: list[str]) -> KubeError:
    """A PATCH content type the resource does not take."""
    return KubeError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: "
        f"{', '.join(accepted)}",
        {},
    )


UNAUTHORIZED = KubeError(401, "Unauthorized", "Unauthorized")

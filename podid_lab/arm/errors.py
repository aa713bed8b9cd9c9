"""ARM's error envelope and the catalogue of errors the core raises (verbatim messages)."""

from __future__ import annotations

from typing import Any


class ArmError(Exception):
    """An error ARM answers as `{"error": {"code", "message"}}` with an HTTP status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
        target: str | None = None,
    ) -> None:
        super().__init__(f"({code}) {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details
        self.target = target

    def body(self) -> dict[str, Any]:
        """The JSON body ARM sends."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        if self.details:
            error["details"] = self.details
        return {"error": error}


def missing_api_version() -> ArmError:
    return ArmError(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
    )


def invalid_api_version(value: str) -> ArmError:
    return ArmError(
        400,
        "InvalidApiVersionParameter",
        f"The api-version '{value}' is invalid. The supported versions are dated versions of the "
        "form 'yyyy-mm-dd' with an optional suffix such as '-preview'.",
    )


def invalid_subscription_id(value: str) -> ArmError:
    return ArmError(
        400,
        "InvalidSubscriptionId",
        f"The provided subscription identifier '{value}' is malformed or invalid.",
    )


def subscription_not_found(subscription_id: str) -> ArmError:
    return ArmError(
        404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found."
    )


def resource_group_not_found(name: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def resource_not_found(full_type: str, name: str, resource_group: str) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{full_type}/{name}' under resource group '{resource_group}' was not "
        "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def authorization_failed(object_id: str, action: str, scope: str) -> ArmError:
    return ArmError(
        403,
        "AuthorizationFailed",
        f"The client '{object_id}' with object id '{object_id}' does not have authorization to "
        f"perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
        "recently granted, please refresh your credentials.",
    )


def invalid_request_content(reason: str) -> ArmError:
    return ArmError(
        400,
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: '{reason}'.",
    )


def body_too_large(limit: int) -> ArmError:
    return ArmError(
        400,
        "InvalidRequestContent",
        f"The request content size exceeds the maximum size of {limit} bytes.",
    )


def unknown_route(path: str, api_version: str) -> ArmError:
    return ArmError(
        404,
        "InvalidResourceType",
        f"The resource type could not be found for the request path '{path}' and api version "
        f"'{api_version}'.",
    )


def method_not_allowed(method: str, path: str) -> ArmError:
    return ArmError(
        405,
        "MethodNotAllowed",
        f"The requested HTTP method '{method}' is not supported for the request path '{path}'.",
    )


def invalid_resource_name(name: str, resource_type: str, rule: str) -> ArmError:
    """ARM's rejection of a resource name that breaks its type's naming rule (the message's
    wording is the lab's: providers do not publish theirs)."""
    return ArmError(
        400,
        "InvalidResourceName",
        f"Resource name '{name}' is invalid for type '{resource_type}'. {rule}",
    )


def authentication_failed(code: str, message: str, authority: str) -> ArmError:
    return ArmError(
        401,
        code,
        message,
        headers={
            "WWW-Authenticate": f'Bearer authorization_uri="{authority}", error="invalid_token", '
            f'error_description="{message}"'
        },
    )


# ARM's answer to a URL with `.`, `..` or empty segments is unpublished (its front end may
# normalize them away); InvalidScope and this text are the lab's own. A path is never resolved:
# `/a/../b` would otherwise be stored, and authorized, as written.
def malformed_path(path: str) -> ArmError:
    return ArmError(
        400,
        "InvalidScope",
        f"The request path '{path}' is not valid: it must not contain empty, '.' or '..' segments.",
    )


# InvalidRoleDefinitionId is ARM's code for a roleDefinitionId it cannot read; the exact text is
# unpublished.
def invalid_role_definition_id(value: str) -> ArmError:
    return ArmError(
        400,
        "InvalidRoleDefinitionId",
        f"The role definition ID '{value}' is not valid. Use "
        "'/subscriptions/<subscription ID>/providers/Microsoft.Authorization/roleDefinitions/"
        "<role GUID>' or '/providers/Microsoft.Authorization/roleDefinitions/<role GUID>'.",
    )

import json

import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.core.pipeline.transport import RequestsTransportResponse
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat
from kubernetes.client.exceptions import ApiException

from podid_helpers.errors import (
    AzureOperationError,
    CheckFailedError,
    InvalidSettingError,
    KubernetesOperationError,
    LabNotRunningError,
    PodidError,
    StepOrderError,
    translate_azure_error,
    translate_kube_error,
)


def arm_error(status: int, code: str, message: str, **kwargs: object) -> HttpResponseError:
    """Build the error azure-mgmt clients raise for an ARM error envelope."""
    raw = requests.Response()
    raw.status_code = status
    raw.reason = "Error"
    raw._content = json.dumps({"error": {"code": code, "message": message}}).encode()
    raw.headers["Content-Type"] = "application/json"
    request = HttpRequest("GET", "https://management.azure.com/subscriptions/x")
    response = RequestsTransportResponse(request, raw)
    return HttpResponseError(response=response, error_format=ARMErrorFormat, **kwargs)


def kube_error(status: int, reason: str, message: str) -> ApiException:
    """Build the exception the kubernetes client raises for a Status body."""
    body = {"kind": "Status", "status": "Failure", "reason": reason, "message": message}
    return ApiException(status=status, reason=reason, body=json.dumps(body))


def test_every_error_is_a_podid_error() -> None:
    for cls in (
        InvalidSettingError,
        StepOrderError,
        LabNotRunningError,
        AzureOperationError,
        KubernetesOperationError,
        CheckFailedError,
    ):
        assert issubclass(cls, PodidError)


def test_builtin_bases_let_callers_catch_by_kind() -> None:
    assert issubclass(InvalidSettingError, ValueError)
    assert issubclass(LabNotRunningError, ConnectionError)
    assert issubclass(CheckFailedError, AssertionError)


def test_render_traceback_is_the_message_only() -> None:
    error = StepOrderError("02-create-cluster", "cluster 'podid-aks' not found")

    assert (error._render_traceback_()) == [
        "StepOrderError: run 02-create-cluster first: cluster 'podid-aks' not found"
    ]


def test_render_traceback_keeps_every_message_line() -> None:
    error = InvalidSettingError(["a is bad", "b is bad"])

    assert error._render_traceback_() == [
        "InvalidSettingError: 2 settings are invalid:",
        "  - a is bad",
        "  - b is bad",
    ]


def test_ipython_shows_render_traceback_instead_of_frames(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="nocolor")
    try:
        shell.run_cell(
            "from podid_helpers.errors import LabNotRunningError\n"
            "raise LabNotRunningError('the lab is not running: start it with podid-lab start')"
        )
    finally:
        InteractiveShell.clear_instance()

    shown = capsys.readouterr().out
    assert shown == "LabNotRunningError: the lab is not running: start it with podid-lab start\n"


def test_step_order_error_names_the_step_and_what_is_missing() -> None:
    error = StepOrderError("02-create-cluster", "cluster 'podid-aks' not found in 'podid-rg'")

    assert error.step == "02-create-cluster"
    assert str(error) == "run 02-create-cluster first: cluster 'podid-aks' not found in 'podid-rg'"


def test_invalid_setting_error_counts_one_problem_in_the_singular() -> None:
    assert str(InvalidSettingError(["x"])) == "1 setting is invalid:\n  - x"


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        ("AuthorizationFailed", "no role that allows this action"),
        ("ResourceNotFound", "cannot find this resource"),
        ("ResourceGroupNotFound", "resource group does not exist"),
        ("PrincipalNotFound", "takes a minute or two to replicate"),
        ("RoleAssignmentExists", "already assigned"),
        ("MissingSubscriptionRegistration", "01-prepare-subscription"),
        ("LinkedAuthorizationFailed", "Managed Identity Operator"),
    ],
)
def test_azure_codes_become_learner_sentences(code: str, phrase: str) -> None:
    error = translate_azure_error(arm_error(400, code, f"Azure's own words for {code}."))

    assert isinstance(error, AzureOperationError)
    assert phrase in error.sentence
    assert code == error.code
    assert str(error).splitlines() == [
        f"{error.sentence} [{code}]",
        f"Azure said: Azure's own words for {code}.",
    ]


def test_azure_feature_not_registered_names_the_feature() -> None:
    message = (
        "PodIdentity addon is not allowed since feature "
        "'Microsoft.ContainerService/EnablePodIdentityPreview' is not enabled."
    )

    error = translate_azure_error(arm_error(400, "BadRequest", message))

    assert "Microsoft.ContainerService/EnablePodIdentityPreview is not registered" in str(error)
    assert "01-prepare-subscription" in error.sentence
    assert error.code == "BadRequest"


def test_azure_status_without_known_code_falls_back_to_status() -> None:
    error = translate_azure_error(arm_error(429, "TooManyRequests", "slow down"))

    assert "throttling" in error.sentence
    assert error.status == 429


def test_azure_unknown_code_keeps_azures_words() -> None:
    error = translate_azure_error(arm_error(400, "InvalidParameter", "agentPoolProfiles is bad"))

    assert (
        str(error)
    ) == "Azure refused the request. [InvalidParameter]\nAzure said: agentPoolProfiles is bad"


def test_azure_error_without_body_uses_the_http_status() -> None:
    error = translate_azure_error(ResourceNotFoundError("Operation returned an invalid status"))

    assert None is error.code
    assert str(error).startswith("Azure refused the request. [no status]")


def test_azure_error_from_plain_odata_format_is_read_too() -> None:
    raw = arm_error(403, "AuthorizationFailed", "The client 'x' lacks action 'y'.")
    plain = HttpResponseError(response=raw.response)

    error = translate_azure_error(plain)

    assert error.code == "AuthorizationFailed"
    assert error.status == 403


@pytest.mark.parametrize(
    ("status", "reason", "phrase"),
    [
        (404, "NotFound", "cannot find this object"),
        (409, "AlreadyExists", "already exists"),
        (403, "Forbidden", "refused this action"),
        (401, "Unauthorized", "did not accept your credentials"),
    ],
)
def test_kube_reasons_become_learner_sentences(status: int, reason: str, phrase: str) -> None:
    error = translate_kube_error(kube_error(status, reason, f'pods "demo" {reason}'))

    assert isinstance(error, KubernetesOperationError)
    assert phrase in error.sentence
    assert reason == error.reason
    assert status == error.status
    assert f'Kubernetes said: pods "demo" {reason}' == str(error).splitlines()[1]


def test_kube_error_without_body_infers_reason_from_status() -> None:
    error = translate_kube_error(ApiException(status=404, reason="Not Found"))

    assert error.reason == "NotFound"
    assert len(str(error).splitlines()) == 1


def test_kube_error_with_unknown_reason_keeps_it() -> None:
    error = translate_kube_error(kube_error(422, "Invalid", "spec.containers: Required value"))

    assert str(error).splitlines()[0] == "The Kubernetes API refused the request. [Invalid]"


AADSTS_MESSAGE = (
    "Authentication failed: AADSTS7000215: Invalid client secret provided. Ensure the secret "
    "being sent in the request is the client secret value, not the client secret ID.\r\n"
    "Trace ID: 3c2ac5bb-3e8c-4a4f-9a4c-2d7c1e1a0b00\r\n"
    "Timestamp: 2025-01-01 00:00:00Z"
)


def test_wrong_client_secret_is_explained() -> None:
    error = translate_azure_error(ClientAuthenticationError(message=AADSTS_MESSAGE))

    assert error.code == "AADSTS7000215"
    assert "rejected the client secret" in error.sentence
    assert "Trace ID" not in str(error)
    assert str(error).splitlines()[1].startswith("Azure said: Authentication failed: AADSTS7000215")


def test_other_sign_in_failures_name_their_aadsts_code() -> None:
    message = "AADSTS700016: Application with identifier 'x' was not found in the directory."

    error = translate_azure_error(ClientAuthenticationError(message=message))

    assert error.code == "AADSTS700016"
    assert error.sentence.startswith("Entra ID refused the sign-in.")

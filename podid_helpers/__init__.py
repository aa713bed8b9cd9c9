"""Helpers for the AAD Pod Identity tutorial: settings, checks, errors (read them with ``??``)."""

from .checks import CheckReport, CheckResult
from .errors import (
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
from .form import SettingsForm, is_headless, settings_form
from .redact import Secret, display_path, mask_secret
from .settings import (
    AZURE_REGIONS,
    DEFAULT_SETTINGS_PATH,
    SETTING_FIELDS,
    Settings,
    Violation,
    load_settings,
    read_settings,
    save_settings,
    saved_settings,
    settings_path,
    settings_violations,
    validate_settings,
)

# The one list of public names; tests/helpers/test_exports.py guards it.
__all__ = [
    "AZURE_REGIONS",
    "DEFAULT_SETTINGS_PATH",
    "SETTING_FIELDS",
    "AzureOperationError",
    "CheckFailedError",
    "CheckReport",
    "CheckResult",
    "InvalidSettingError",
    "KubernetesOperationError",
    "LabNotRunningError",
    "PodidError",
    "Secret",
    "Settings",
    "SettingsForm",
    "StepOrderError",
    "Violation",
    "display_path",
    "is_headless",
    "load_settings",
    "mask_secret",
    "read_settings",
    "save_settings",
    "saved_settings",
    "settings_form",
    "settings_path",
    "settings_violations",
    "translate_azure_error",
    "translate_kube_error",
    "validate_settings",
]

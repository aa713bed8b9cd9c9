import importlib
from pathlib import Path

import podid_helpers

EXPECTED = {
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
}
MODULES = ["checks", "errors", "form", "redact", "settings"]


def test_public_api_is_exactly_the_expected_list() -> None:
    assert set(podid_helpers.__all__) == EXPECTED
    assert len(podid_helpers.__all__) == len(EXPECTED)


def test_every_public_name_is_importable() -> None:
    for name in podid_helpers.__all__:
        assert getattr(podid_helpers, name) is not None


def test_every_module_name_in_all_is_re_exported_from_the_package() -> None:
    for module_name in MODULES:
        module = importlib.import_module(f"podid_helpers.{module_name}")
        for name in module.__all__:
            assert name in podid_helpers.__all__, f"{module_name}.{name} is not re-exported"
            assert getattr(podid_helpers, name) is getattr(module, name)


def test_public_functions_and_classes_have_one_line_docstrings() -> None:
    for name in podid_helpers.__all__:
        obj = getattr(podid_helpers, name)
        if callable(obj):
            lines = (obj.__doc__ or "").strip().splitlines()
            assert len(lines) == 1, f"{name} needs a one-line docstring"


def test_package_ships_py_typed() -> None:
    assert (Path(podid_helpers.__file__).parent / "py.typed").is_file()

import importlib
from pathlib import Path

import podid_helpers

EXPECTED = {
    "MSAL_GO_IMAGE",
    "SECRET_VALUE",
    "WORKLOAD_IDENTITY_POD",
    "MigrationMap",
    "clean_up_workload_identity",
    "create_federated_credential",
    "create_key_vault",
    "create_service_account",
    "deploy_workload_identity_demo",
    "enable_workload_identity",
    "follow_workload_identity_logs",
    "grant_secret_reader",
    "remove_pod_identity",
    "store_secret",
    "workload_identity_costs",
    "workload_identity_manifest",
    "check_federated_credential",
    "check_key_vault",
    "check_pod_identity_removed",
    "check_secret_reader",
    "check_secret_stored",
    "check_service_account",
    "check_side_by_side",
    "check_workload_identity_cleaned_up",
    "check_workload_identity_demo",
    "check_workload_identity_enabled",
    "check_workload_identity_logs",
    "migration_map",
    "ClaimsTable",
    "NmiDecisions",
    "nmi_first_decisions",
    "InsidePageLink",
    "inside_page_link",
    "token_claims",
    "hide_solutions",
    "show_solutions",
    "solutions_run",
    "Mystery",
    "mystery",
    "mystery_cause",
    "check_grants_answer",
    "check_label_answer",
    "check_namespace_answer",
    "check_nmi_pods_answer",
    "check_node_group_answer",
    "check_provider_answer",
    "check_scope_answer",
    "check_subject_answer",
    "AZURE_REGIONS",
    "CATCH_UP_STEPS",
    "DEFAULT_SETTINGS_PATH",
    "DEMO_IMAGE",
    "DEMO_POD",
    "EXERCISES",
    "SETTING_FIELDS",
    "SUCCESS_MARKERS",
    "TAGS",
    "AzureOperationError",
    "CatchUp",
    "CheckFailedError",
    "CheckReport",
    "CheckResult",
    "DemoLog",
    "Exercise",
    "InvalidSettingError",
    "KubeconfigResult",
    "KubernetesOperationError",
    "LabNotRunningError",
    "PodidError",
    "Progress",
    "ProgressItem",
    "Secret",
    "Session",
    "Settings",
    "SettingsForm",
    "SignIn",
    "StepOrderError",
    "StepResult",
    "Symptom",
    "Violation",
    "add_pod_identity",
    "assign_vm_contributor",
    "catch_up",
    "check_cleaned_up",
    "check_cluster_ready",
    "check_demo_logs",
    "check_demo_running",
    "check_feature_registered",
    "check_identity",
    "check_kubeconfig",
    "check_lab_reachable",
    "check_nmi_ready",
    "check_nodes_ready",
    "check_pod_identity",
    "check_pod_identity_enabled",
    "check_role_assignment",
    "check_secret_vs_no_secret",
    "check_sidecar_demo",
    "check_settings_saved",
    "clean_up",
    "connect",
    "create_cluster",
    "create_identity",
    "create_resource_group",
    "demo_manifest",
    "demo_pod_manifest",
    "demo_pod_yaml",
    "deploy_demo",
    "deploy_sidecar_demo",
    "display_path",
    "enable_pod_identity",
    "exercise",
    "exercises_passed",
    "export_line",
    "follow_demo_logs",
    "follow_sidecar_demo_logs",
    "get_credentials",
    "grant_identity_operator",
    "is_headless",
    "load_settings",
    "log_line_text",
    "mask_secret",
    "only_in_lab",
    "progress",
    "read_settings",
    "register_pod_identity_feature",
    "restore_exercises",
    "save_settings",
    "saved_settings",
    "settings_form",
    "settings_path",
    "settings_violations",
    "sidecar_demo_manifest",
    "sidecar_demo_pod_yaml",
    "translate_azure_error",
    "translate_kube_error",
    "validate_settings",
    "write_kubeconfig",
}
MODULES = [
    "checks",
    "cleanup",
    "errors",
    "form",
    "inside",
    "kubeconfig",
    "manifests",
    "overview",
    "redact",
    "results",
    "session",
    "settings",
    "steps_cluster",
    "steps_demo",
    "steps_identity",
    "steps_subscription",
    "verify",
]


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

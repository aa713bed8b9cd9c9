import json
import os
import stat
import string
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podid_helpers.errors import InvalidSettingError
from podid_helpers.settings import (
    AZURE_REGIONS,
    Settings,
    load_settings,
    read_settings,
    save_settings,
    saved_settings,
    settings_path,
    settings_violations,
    validate_settings,
)

RG_RULE = (
    "must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' "
    "and must not end with '.'"
)
CLUSTER_RULE = (
    "must be 1-63 characters of letters, digits, '-' or '_', "
    "starting and ending with a letter or digit"
)
IDENTITY_RULE = (
    "must be 3-128 characters of letters, digits, '-' or '_', starting with a letter or digit"
)
VAULT_RULE = (
    "must be 3-24 letters, digits or '-', starting with a letter, ending with a letter or "
    "digit, without '--'; on Azure it must also be unused by anyone else"
)
SECRET_RULE = "must be 1-127 letters, digits or '-'"
SUBDOMAIN_RULE = (
    "must be a DNS-1123 subdomain: up to 253 lowercase letters, digits, '-' or '.', "
    "starting and ending with a letter or digit"
)
FEDERATED_RULE = (
    "must be 3-120 characters of letters, digits, '-' or '_', starting with a letter or digit"
)
DNS_RULE = (
    "must be a DNS-1123 label: 1-63 lowercase letters, digits or '-', "
    "starting and ending with a letter or digit"
)
GUID_RULE = (
    "must be a GUID such as 00000000-0000-0000-0000-000000000000, "
    "or empty for your default subscription"
)
ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits


def messages(settings: Settings) -> list[str]:
    return [str(v) for v in settings_violations(settings)]


def test_defaults_are_valid() -> None:
    assert settings_violations(Settings()) == []


def test_node_resource_group_follows_aks_naming() -> None:
    assert Settings().node_resource_group == "MC_podid-rg_podid-aks_japaneast"


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().resource_group = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subscription_id", "0b1f6471-1bf0-4dda-aec3-cb9272f09590"),
        ("location", "westeurope"),
        ("resource_group", "a"),
        ("resource_group", "rg_(test).v2-x"),
        ("resource_group", "リソース"),
        ("resource_group", "r" * 90),
        ("cluster_name", "a"),
        ("cluster_name", "My_Cluster-01"),
        ("cluster_name", "c" * 63),
        ("identity_name", "abc"),
        ("identity_name", "9_Identity-x"),
        ("identity_name", "i" * 128),
        ("pod_identity_name", "a"),
        ("pod_identity_name", "pod-id-1"),
        ("namespace", "n" * 63),
        ("key_vault_name", "kv1"),
        ("key_vault_name", "My-Vault-01"),
        ("key_vault_name", "k" * 24),
        ("secret_name", "a"),
        ("secret_name", "My-Secret-2"),
        ("service_account_name", "workload-identity-sa"),
        ("service_account_name", "sa.v2"),
        ("federated_credential_name", "myFedIdentity"),
        ("federated_credential_name", "9_fic-x"),
    ],
)
def test_valid_value_is_accepted(field: str, value: str) -> None:
    candidate = replace(Settings(), **{field: value})

    assert [v for v in settings_violations(candidate) if v.field == field] == []


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("subscription_id", "", GUID_RULE),
        ("subscription_id", "not-a-guid", GUID_RULE),
        ("subscription_id", "0b1f6471-1bf0-4dda-aec3-cb9272f0959", GUID_RULE),
        ("resource_group", "", RG_RULE),
        ("resource_group", "my rg", RG_RULE),
        ("resource_group", "my rg.", RG_RULE),
        ("resource_group", "rg.", RG_RULE),
        ("resource_group", "rg/1", RG_RULE),
        ("resource_group", "r" * 91, RG_RULE),
        ("cluster_name", "", CLUSTER_RULE),
        ("cluster_name", "-aks", CLUSTER_RULE),
        ("cluster_name", "aks_", CLUSTER_RULE),
        ("cluster_name", "my.aks", CLUSTER_RULE),
        ("cluster_name", "c" * 64, CLUSTER_RULE),
        ("identity_name", "ab", IDENTITY_RULE),
        ("identity_name", "-identity", IDENTITY_RULE),
        ("identity_name", "my identity", IDENTITY_RULE),
        ("identity_name", "i" * 129, IDENTITY_RULE),
        ("pod_identity_name", "Podid", DNS_RULE),
        ("pod_identity_name", "pod_id", DNS_RULE),
        ("pod_identity_name", "pod-", DNS_RULE),
        ("pod_identity_name", "", DNS_RULE),
        ("namespace", "-demo", DNS_RULE),
        ("namespace", "demo.ns", DNS_RULE),
        ("namespace", "n" * 64, DNS_RULE),
        ("key_vault_name", "kv", VAULT_RULE),
        ("key_vault_name", "1vault", VAULT_RULE),
        ("key_vault_name", "vault-", VAULT_RULE),
        ("key_vault_name", "my--vault", VAULT_RULE),
        ("key_vault_name", "my_vault", VAULT_RULE),
        ("key_vault_name", "k" * 25, VAULT_RULE),
        ("secret_name", "", SECRET_RULE),
        ("secret_name", "my_secret", SECRET_RULE),
        ("secret_name", "s" * 128, SECRET_RULE),
        ("service_account_name", "SA", SUBDOMAIN_RULE),
        ("service_account_name", "sa-", SUBDOMAIN_RULE),
        ("service_account_name", "s" * 254, SUBDOMAIN_RULE),
        ("federated_credential_name", "ab", FEDERATED_RULE),
        ("federated_credential_name", "-fic", FEDERATED_RULE),
        ("federated_credential_name", "f" * 121, FEDERATED_RULE),
    ],
)
def test_each_violation_names_field_value_and_rule(field: str, value: str, rule: str) -> None:
    problems = [
        v for v in settings_violations(replace(Settings(), **{field: value})) if v.field == field
    ]

    assert [str(p) for p in problems] == [f"{field} {value!r} is invalid: {rule}"]


def test_message_reads_as_the_tutorial_shows_it() -> None:
    assert messages(Settings(resource_group="my rg.")) == [
        f"resource_group 'my rg.' is invalid: {RG_RULE}"
    ]


def test_unknown_location_suggests_the_region_name() -> None:
    assert messages(Settings(location="Japan East")) == [
        "location 'Japan East' is invalid: must be an Azure region name such as japaneast, "
        "eastus or westeurope; did you mean 'japaneast'?"
    ]


def test_unknown_location_without_a_close_region_gives_the_rule_only() -> None:
    assert messages(Settings(location="mars")) == [
        "location 'mars' is invalid: must be an Azure region name such as japaneast, "
        "eastus or westeurope"
    ]


def test_node_resource_group_over_80_characters_is_rejected() -> None:
    settings = Settings(resource_group="r" * 60, cluster_name="c" * 20)

    assert messages(settings) == [
        f"node_resource_group '{settings.node_resource_group}' is invalid: must be at most 80 "
        "characters and has 94 (AKS names it MC_<resource_group>_<cluster_name>_<location>); "
        "shorten resource_group or cluster_name"
    ]


def test_node_resource_group_of_exactly_80_characters_is_accepted() -> None:
    settings = Settings(resource_group="r" * 46, cluster_name="c" * 20)

    assert len(settings.node_resource_group) == 80
    assert settings_violations(settings) == []


def test_every_violation_is_reported_at_once() -> None:
    settings = Settings(cluster_name="-", namespace="Demo")

    assert [v.field for v in settings_violations(settings)] == ["cluster_name", "namespace"]


def test_validate_settings_raises_listing_every_problem() -> None:
    with pytest.raises(InvalidSettingError) as caught:
        validate_settings(Settings(cluster_name="-", namespace="Demo"))

    assert caught.value.problems == (
        f"cluster_name '-' is invalid: {CLUSTER_RULE}",
        f"namespace 'Demo' is invalid: {DNS_RULE}",
    )


def test_validate_settings_returns_valid_settings() -> None:
    settings = Settings(cluster_name="other")

    assert validate_settings(settings) is settings


def test_region_list_is_lowercase_without_duplicates() -> None:
    assert len(set(AZURE_REGIONS)) == len(AZURE_REGIONS)
    assert all(r.isalnum() and r == r.lower() for r in AZURE_REGIONS)


@given(st.sampled_from(AZURE_REGIONS))
def test_every_listed_region_is_accepted(region: str) -> None:
    assert settings_violations(Settings(location=region)) == []


# -- property-based: names built by the rules pass; one bad character fails with the rule ----

rg_names = st.text(
    alphabet=st.characters(categories=["L", "Nd"]) | st.sampled_from("_-.()"),
    min_size=1,
    max_size=40,
).filter(lambda s: not s.endswith(".") and all(c.isalnum() or c in "_-.()" for c in s))
cluster_names = st.from_regex(r"\A[a-zA-Z0-9]([a-zA-Z0-9_-]{0,20}[a-zA-Z0-9])?\Z")
identity_names = st.from_regex(r"\A[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}\Z")
dns_labels = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")


@given(rg_names)
def test_resource_group_names_by_the_rule_are_accepted(name: str) -> None:
    assert messages(Settings(resource_group=name)) == []


@given(cluster_names)
def test_cluster_names_by_the_rule_are_accepted(name: str) -> None:
    assert messages(Settings(cluster_name=name)) == []


@given(identity_names)
def test_identity_names_by_the_rule_are_accepted(name: str) -> None:
    assert messages(Settings(identity_name=name)) == []


@given(dns_labels, dns_labels)
def test_dns_labels_are_accepted_for_namespace_and_pod_identity(ns: str, pod_id: str) -> None:
    assert messages(Settings(namespace=ns, pod_identity_name=pod_id)) == []


@given(st.uuids())
def test_guids_are_accepted_in_either_case(guid: object) -> None:
    assert messages(Settings(subscription_id=str(guid).upper())) == []


bad_chars = st.sampled_from(" /\\:;,!@#$%^&*+=[]{}<>?|'\"`~")


@given(cluster_names, bad_chars, st.integers(min_value=0))
def test_a_forbidden_character_breaks_every_name_rule(name: str, bad: str, at: int) -> None:
    broken = name[: at % (len(name) + 1)] + bad + name[at % (len(name) + 1) :]

    for field, rule in [
        ("resource_group", RG_RULE),
        ("cluster_name", CLUSTER_RULE),
        ("identity_name", IDENTITY_RULE),
        ("namespace", DNS_RULE),
        ("pod_identity_name", DNS_RULE),
    ]:
        problems = messages(replace(Settings(), **{field: broken}))
        assert f"{field} {broken!r} is invalid: {rule}" in problems


@given(dns_labels.filter(lambda s: any(c.isalpha() for c in s)))
def test_uppercase_breaks_dns_labels(label: str) -> None:
    assert messages(Settings(namespace=label.upper())) == [
        f"namespace {label.upper()!r} is invalid: {DNS_RULE}"
    ]


# -- where settings live ------------------------------------------------------------------


def test_default_path_is_under_home(home: Path) -> None:
    assert settings_path() == home / ".podid" / "settings.json"


def test_podid_settings_variable_moves_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PODID_SETTINGS", str(tmp_path / "ci.json"))

    assert settings_path() == tmp_path / "ci.json"


def test_load_without_a_file_gives_defaults() -> None:
    assert load_settings() == Settings()


def test_saved_settings_is_none_before_the_first_save() -> None:
    assert saved_settings() is None


def test_save_then_load_round_trips(home: Path) -> None:
    chosen = Settings(
        subscription_id="0b1f6471-1bf0-4dda-aec3-cb9272f09590",
        location="westeurope",
        resource_group="alice-rg",
        cluster_name="alice-aks",
    )

    path = save_settings(chosen)

    assert path == home / ".podid" / "settings.json"
    assert load_settings() == chosen
    assert saved_settings() == chosen


def test_saved_file_is_sorted_json_with_null_for_default_subscription(home: Path) -> None:
    path = save_settings(Settings())

    assert json.loads(path.read_text()) == {
        "language": None,
        "cluster_name": "podid-aks",
        "identity_name": "podid-identity",
        "location": "japaneast",
        "namespace": "demo",
        "pod_identity_name": "podid-demo",
        "resource_group": "podid-rg",
        "subscription_id": None,
        "key_vault_name": "podid-kv",
        "secret_name": "my-secret",
        "service_account_name": "podid-sa",
        "federated_credential_name": "podid-federated",
    }
    assert path.read_text().endswith("}\n")


def test_saved_file_is_readable_by_owner_only() -> None:
    path = save_settings(Settings())

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_save_keeps_0600_under_a_strict_umask() -> None:
    old = os.umask(0o277)
    try:
        path = save_settings(Settings())
    finally:
        os.umask(old)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_save_refuses_invalid_settings_and_writes_nothing(home: Path) -> None:
    with pytest.raises(InvalidSettingError):
        save_settings(Settings(namespace="Demo"))

    assert not (home / ".podid").exists()


def test_save_replaces_atomically_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "s.json"
    save_settings(Settings(), path=target)
    save_settings(Settings(cluster_name="second"), path=target)

    assert [p.name for p in target.parent.iterdir()] == ["s.json"]
    assert load_settings(path=target).cluster_name == "second"


def test_failed_save_keeps_the_old_file_and_removes_the_temp_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "s.json"
    save_settings(Settings(), path=target)
    before = target.read_text()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_settings(Settings(cluster_name="second"), path=target)

    assert target.read_text() == before
    assert [p.name for p in target.parent.iterdir()] == ["s.json"]


# -- PODID_<FIELD> overrides ---------------------------------------------------------------


def test_environment_overrides_the_saved_file(monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(Settings(resource_group="saved-rg", cluster_name="saved-aks"))
    monkeypatch.setenv("PODID_RESOURCE_GROUP", "ci-rg-123")
    monkeypatch.setenv("PODID_CLUSTER_NAME", "ci-aks")

    loaded = load_settings()

    assert (loaded.resource_group, loaded.cluster_name) == ("ci-rg-123", "ci-aks")
    assert saved_settings() == Settings(resource_group="saved-rg", cluster_name="saved-aks")


@pytest.mark.parametrize(
    ("variable", "field", "value"),
    [
        ("PODID_SUBSCRIPTION_ID", "subscription_id", "0b1f6471-1bf0-4dda-aec3-cb9272f09590"),
        ("PODID_LOCATION", "location", "eastus2"),
        ("PODID_RESOURCE_GROUP", "resource_group", "env-rg"),
        ("PODID_CLUSTER_NAME", "cluster_name", "env-aks"),
        ("PODID_IDENTITY_NAME", "identity_name", "env-identity"),
        ("PODID_POD_IDENTITY_NAME", "pod_identity_name", "env-pod-id"),
        ("PODID_NAMESPACE", "namespace", "env-ns"),
    ],
)
def test_each_field_has_its_override(
    monkeypatch: pytest.MonkeyPatch, variable: str, field: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    assert getattr(load_settings(), field) == value


def test_empty_override_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODID_RESOURCE_GROUP", "")

    assert load_settings().resource_group == "podid-rg"


def test_invalid_override_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODID_RESOURCE_GROUP", "bad name.")

    with pytest.raises(InvalidSettingError) as caught:
        load_settings()

    assert caught.value.problems == (
        f"resource_group 'bad name.' is invalid: {RG_RULE} (set by PODID_RESOURCE_GROUP)",
    )


def test_invalid_saved_value_names_the_file_as_home_relative(home: Path) -> None:
    path = home / ".podid" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"namespace": "Demo"}))

    with pytest.raises(InvalidSettingError) as caught:
        load_settings()

    assert caught.value.problems == (
        f"namespace 'Demo' is invalid: {DNS_RULE} (set by ~/.podid/settings.json)",
    )
    assert str(home) not in str(caught.value)


def test_read_settings_does_not_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODID_NAMESPACE", "Bad")

    assert read_settings().namespace == "Bad"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "~/.podid/settings.json is not valid JSON"),
        ("[1, 2]", "~/.podid/settings.json must hold a JSON object of settings"),
        ('{"clustername": "x"}', "~/.podid/settings.json has unknown setting 'clustername'"),
        ('{"location": 5}', "~/.podid/settings.json has location = 5; it must be a string"),
    ],
)
def test_broken_file_says_what_is_wrong(home: Path, content: str, problem: str) -> None:
    path = home / ".podid" / "settings.json"
    path.parent.mkdir()
    path.write_text(content)

    with pytest.raises(InvalidSettingError) as caught:
        load_settings()

    assert caught.value.problems[0].startswith(problem)

"""With the language set to Japanese, the form, the checks and the errors speak Japanese.

Against the real lab, as the other helper tests; English is tested everywhere else, unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import podid_helpers as ph
from podid_helpers.lookups import azure_errors, kube_errors

from .flow import run_through


@pytest.fixture
def japanese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODID_LANGUAGE", "ja")


@pytest.fixture
def human(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/ja/00-introduction.ipynb")


def test_headless_form_in_japanese(japanese: None, home: Path) -> None:
    form = ph.settings_form()

    lines = form.text().splitlines()
    assert lines[0] == "podid の設定"
    assert lines[1].split() == ["subscription_id", "(既定のサブスクリプション)"]
    # Setting names, values and the path stay as they are.
    assert "  cluster_name               podid-aks" in lines
    assert lines[-1] == "~/.podid/settings.json に保存しました"


def test_human_form_labels_errors_and_status_in_japanese(
    human: None, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Japanese because the kernel runs in a folder named ja, as notebooks/ja/'s kernels do.
    (tmp_path / "ja").mkdir()
    monkeypatch.chdir(tmp_path / "ja")
    # A language no one offers, saved by hand: the form still shows it, with its error.
    (home / ".podid").mkdir()
    (home / ".podid" / "settings.json").write_text('{"language": "fr"}', encoding="utf-8")
    form = ph.settings_form()
    assert form.widget is not None
    labels = [row.children[0].description for row in form.widget.children[:-2]]
    assert labels[:3] == ["サブスクリプション ID", "リージョン", "リソース グループ"]
    assert labels[-1] == "言語"
    assert form._view is not None and form._view.save.description == "保存"

    form.set_value("namespace", "Bad_Name")

    assert form.error("namespace").startswith("DNS-1123 ラベルにしてください")
    assert form.error("language") == (
        "en (英語) か ja (日本語) にするか、ノートブックのフォルダーに従う場合は空にしてください"
    )
    assert form.status == "保存されていません: 上に示した 2 件の問題を修正してください"
    form.click_save()
    assert (home / ".podid" / "settings.json").read_text() == '{"language": "fr"}'


def test_choosing_japanese_in_the_form_switches_the_language(human: None, home: Path) -> None:
    form = ph.settings_form()
    assert form.status == "not saved yet: click Save to keep these values"

    form.set_value("language", "ja")
    form.click_save()

    assert ph.load_settings().language == "ja"
    assert form.status == "~/.podid/settings.json に保存しました"
    assert form.text().splitlines()[-3:-1] == [
        "  language                   ja",
        "  node_resource_group        MC_podid-rg_podid-aks_japaneast",
    ]
    assert form._view is not None and form._view.save.description == "保存"


def test_a_bad_language_setting_is_refused_and_nothing_is_saved(home: Path) -> None:
    with pytest.raises(ph.InvalidSettingError, match="language 'fr' is invalid: must be en"):
        ph.save_settings(ph.Settings(language="fr"))
    assert not (home / ".podid" / "settings.json").exists()


def test_a_bad_podid_language_is_named_when_settings_load(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    monkeypatch.setenv("PODID_LANGUAGE", "fr")
    with pytest.raises(ph.InvalidSettingError, match=r"\(set by PODID_LANGUAGE\)"):
        ph.load_settings()


def test_a_failing_check_and_its_hint_in_japanese(japanese: None, session: Any) -> None:
    report = ph.check_identity(session)
    s = session.settings

    assert report.text().splitlines() == [
        "04 ID: 1 件中 0 件のチェックに合格しました",
        "✗ ID が存在する",
        f"  観測値: リソース グループ '{s.resource_group}' に ID '{s.identity_name}' がありません",
        "  期待値: 見つかる",
        "  ヒント: 04-identity-and-role で create_identity(session) を実行してください",
    ]
    with pytest.raises(ph.CheckFailedError, match="create_identity"):
        report.raise_if_failed()


def test_the_same_check_in_english_is_unchanged(session: Any) -> None:
    s = session.settings
    assert ph.check_identity(session).text().splitlines() == [
        "04 identity: 0 of 1 check passed",
        "✗ identity exists",
        f"  observed: no identity '{s.identity_name}' in resource group '{s.resource_group}'",
        "  expected: found",
        "  hint: run create_identity(session) in 04-identity-and-role",
    ]


def test_an_azure_error_from_the_lab_in_japanese(japanese: None, session: Any) -> None:
    with pytest.raises(ph.AzureOperationError) as caught, azure_errors():
        session.resources.resource_groups.get("no-such-group")

    error = caught.value
    assert error.code == "ResourceGroupNotFound"
    lines = str(error).splitlines()
    assert lines[0] == (
        "リソース グループが存在しません。設定の resource_group を確認するか、リソース グループを"
        "作成する 02-create-cluster を実行してください。 [ResourceGroupNotFound]"
    )
    # Azure's own words stay Azure's (English), introduced in Japanese.
    assert lines[1].startswith("Azure の応答: Resource group 'no-such-group' could not be found")


def test_a_step_order_error_in_japanese(japanese: None, session: Any) -> None:
    with pytest.raises(ph.StepOrderError) as caught:
        ph.create_identity(session)
    assert str(caught.value) == (
        "先に 02-create-cluster を実行してください: リソース グループ "
        f"'{session.settings.resource_group}' が見つかりません (そこで作成します)"
    )


def test_steps_a_kubernetes_error_and_the_checks_in_japanese(japanese: None, session: Any) -> None:
    run_through(session, ph.get_credentials)
    s = session.settings

    again = ph.create_cluster(session)
    assert again.text().splitlines() == [
        f"✓ 実施済み: クラスター '{s.cluster_name}' は存在します",
        "  provisioningState: Succeeded",
        "  ネットワーク プラグイン: azure",
        "  ID: SystemAssigned",
        "  ノード プール nodepool1: 1 × Standard_DS2_v2 (VirtualMachineScaleSets)",
        f"  ノード リソース グループ: {s.node_resource_group}",
    ]

    with pytest.raises(ph.KubernetesOperationError) as caught, kube_errors():
        session.core_v1.read_namespaced_pod("no-such-pod", "default")
    first, said = str(caught.value).splitlines()
    assert first == (
        "Kubernetes でこのオブジェクトが見つかりません。名前と名前空間を確認するか、先にこの"
        "オブジェクトを作成するステップを実行してください。 [NotFound]"
    )
    assert said == 'Kubernetes の応答: pods "no-such-pod" not found'

    report = ph.check_cluster_ready(session)
    assert report.text().splitlines()[0] == "02 クラスター: 4 件中 4 件のチェックに合格しました"
    assert (
        "✓ スケール セット上のノード プール — nodepool1: VirtualMachineScaleSets" in report.text()
    )

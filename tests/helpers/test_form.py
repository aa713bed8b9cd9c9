import json
import stat
from pathlib import Path

import ipywidgets as widgets
import pytest
from IPython.core.formatters import DisplayFormatter

from podid_helpers.errors import InvalidSettingError
from podid_helpers.form import SettingsForm, is_headless, settings_form
from podid_helpers.settings import Settings, save_settings

DEFAULT_TEXT = """podid settings
  subscription_id            (your default subscription)
  location                   japaneast
  resource_group             podid-rg
  cluster_name               podid-aks
  identity_name              podid-identity
  pod_identity_name          podid-demo
  namespace                  demo
  key_vault_name             podid-kv
  secret_name                my-secret
  service_account_name       podid-sa
  federated_credential_name  podid-federated
  node_resource_group        MC_podid-rg_podid-aks_japaneast
saved to ~/.podid/settings.json"""
RG_RULE = (
    "must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' "
    "and must not end with '.'"
)


@pytest.fixture
def human(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the kernel look like one JupyterLab started for a learner."""
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/00-introduction.ipynb")


def settings_file(home: Path) -> Path:
    return home / ".podid" / "settings.json"


def shown_error(form: SettingsForm, row: int) -> str:
    """The HTML beside the field in ``row`` of the widget tree, as a learner would see it."""
    assert form.widget is not None
    return form.widget.children[row].children[1].value


def displayed(form: SettingsForm) -> dict[str, object]:
    """What IPython sends to the notebook for ``form`` as a cell's result."""
    data, _metadata = DisplayFormatter().format(form)
    return data


# -- headless detection --------------------------------------------------------------------


def test_no_jupyter_session_means_headless() -> None:
    assert is_headless()


def test_jupyter_session_means_a_human(human: None) -> None:
    assert not is_headless()


@pytest.mark.parametrize(("flag", "headless"), [("1", True), ("true", True), ("0", False)])
def test_podid_headless_wins_over_the_session_heuristic(
    monkeypatch: pytest.MonkeyPatch, human: None, flag: str, headless: bool
) -> None:
    monkeypatch.setenv("PODID_HEADLESS", flag)

    assert is_headless() is headless


def test_podid_headless_0_without_session_means_a_human(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODID_HEADLESS", "0")

    assert not is_headless()


# -- headless: no widget, values validated, saved and shown ---------------------------------


def test_headless_form_saves_defaults_and_shows_them(home: Path) -> None:
    form = settings_form()

    assert form.widget is None
    assert repr(form) == DEFAULT_TEXT
    assert json.loads(settings_file(home).read_text())["cluster_name"] == "podid-aks"
    assert stat.S_IMODE(settings_file(home).stat().st_mode) == 0o600


def test_headless_bundle_is_html_and_the_same_text() -> None:
    bundle = displayed(settings_form())

    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"] == DEFAULT_TEXT
    assert "<code>MC_podid-rg_podid-aks_japaneast</code>" in bundle["text/html"]
    assert "saved to ~/.podid/settings.json</span>" in bundle["text/html"]


def test_headless_text_is_identical_across_runs() -> None:
    assert repr(settings_form()) == repr(settings_form())


def test_headless_form_uses_environment_overrides(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    monkeypatch.setenv("PODID_RESOURCE_GROUP", "rg-ci-123")

    form = settings_form()

    assert "  resource_group             rg-ci-123" in repr(form).splitlines()
    assert json.loads(settings_file(home).read_text())["resource_group"] == "rg-ci-123"


def test_headless_form_with_bad_override_fails_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    monkeypatch.setenv("PODID_RESOURCE_GROUP", "bad name.")

    with pytest.raises(InvalidSettingError, match="set by PODID_RESOURCE_GROUP"):
        settings_form()
    assert not settings_file(home).exists()


def test_headless_form_saves_settings_passed_in(home: Path) -> None:
    form = settings_form(Settings(namespace="lesson"))

    assert form.settings.namespace == "lesson"
    assert json.loads(settings_file(home).read_text())["namespace"] == "lesson"


def test_headless_form_honours_an_explicit_path(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "s.json"

    form = settings_form(path=target)

    assert form.status == f"saved to {target}"
    assert target.exists()


def test_headless_form_can_be_driven(home: Path) -> None:
    form = settings_form()

    form.set_value("namespace", "Bad")
    assert form.error("namespace").startswith("must be a DNS-1123 label")
    assert form.save_disabled

    form.set_value("namespace", "good")
    assert not form.save_disabled
    assert form.status == "not saved yet: click Save to keep these values"

    form.click_save()
    assert form.status == "saved to ~/.podid/settings.json"
    assert json.loads(settings_file(home).read_text())["namespace"] == "good"


# -- as if a human were at JupyterLab ---------------------------------------------------------


def test_human_gets_a_widget_with_one_field_per_setting(human: None) -> None:
    form = settings_form()

    assert isinstance(form.widget, widgets.VBox)
    fields = [row.children[0] for row in form.widget.children[:11]]
    assert [f.description for f in fields] == [
        "Subscription ID",
        "Location",
        "Resource group",
        "AKS cluster",
        "Managed identity",
        "Pod identity",
        "Namespace",
        "Key Vault",
        "Secret name",
        "Service account",
        "Federated credential",
    ]
    assert isinstance(fields[1], widgets.Dropdown)
    assert fields[0].placeholder == "(your default subscription)"


def test_human_form_does_not_save_until_save_is_clicked(human: None, home: Path) -> None:
    form = settings_form()

    assert not settings_file(home).exists()
    assert form.status == "not saved yet: click Save to keep these values"
    assert not form.save_disabled


def test_invalid_value_shows_error_beside_field_and_disables_save(human: None) -> None:
    form = settings_form()

    form.set_value("resource_group", "my rg.")

    assert form.error("resource_group") == RG_RULE
    assert "⚠ must be 1-90 characters" in shown_error(form, 2)
    assert form.save_disabled
    assert form.widget is not None
    assert form.widget.children[-1].children[0].disabled
    assert form.status == "not saved: fix the 1 problem marked above"


def test_fixing_the_value_clears_the_error_and_enables_save(human: None) -> None:
    form = settings_form()
    form.set_value("resource_group", "my rg.")

    form.set_value("resource_group", "my-rg")

    assert form.error("resource_group") == ""
    assert shown_error(form, 2) == ""
    assert not form.save_disabled


def test_save_writes_the_file_0600_and_says_where(human: None, home: Path) -> None:
    form = settings_form()
    form.set_value("cluster_name", "alice-aks")

    form.click_save()

    assert json.loads(settings_file(home).read_text())["cluster_name"] == "alice-aks"
    assert stat.S_IMODE(settings_file(home).stat().st_mode) == 0o600
    assert form.status == "saved to ~/.podid/settings.json"
    assert form.widget is not None
    assert "saved to ~/.podid/settings.json" in form.widget.children[-1].children[1].value


def test_click_on_a_disabled_save_writes_nothing(human: None, home: Path) -> None:
    form = settings_form()
    form.set_value("namespace", "Bad")

    form.click_save()

    assert not settings_file(home).exists()


def test_empty_subscription_means_the_default_subscription(human: None, home: Path) -> None:
    form = settings_form()
    form.set_value("subscription_id", "0b1f6471-1bf0-4dda-aec3-cb9272f09590")
    form.set_value("subscription_id", "")

    form.click_save()

    assert json.loads(settings_file(home).read_text())["subscription_id"] is None


def test_node_resource_group_follows_the_fields(human: None) -> None:
    form = settings_form()

    form.set_value("cluster_name", "c" * 63)

    assert form.widget is not None
    row = form.widget.children[-2]
    assert f"MC_podid-rg_{'c' * 63}_japaneast" in row.children[0].value
    assert "must be at most 80 characters" in row.children[1].value
    assert form.save_disabled


def test_saved_invalid_location_is_shown_with_its_error(human: None, home: Path) -> None:
    settings_file(home).parent.mkdir()
    settings_file(home).write_text(json.dumps({"location": "Japan East"}))

    form = settings_form()

    assert form.widget is not None
    assert form.widget.children[1].children[0].value == "Japan East"
    assert "did you mean &#x27;japaneast&#x27;" not in shown_error(form, 1)
    assert "did you mean 'japaneast'" in shown_error(form, 1)
    assert form.save_disabled


def test_human_form_opened_on_a_saved_file_says_saved(human: None) -> None:
    save_settings(Settings(namespace="lesson"))

    form = settings_form()

    assert form.settings.namespace == "lesson"
    assert form.status == "saved to ~/.podid/settings.json"


def test_human_bundle_is_the_widget_with_stable_text(human: None) -> None:
    save_settings(Settings())

    first = displayed(settings_form())
    second = displayed(settings_form())

    assert set(first) == {"text/plain", "application/vnd.jupyter.widget-view+json"}
    assert first["text/plain"] == second["text/plain"] == DEFAULT_TEXT


def test_handlers_print_nothing(human: None, capsys: pytest.CaptureFixture[str]) -> None:
    form = settings_form()
    form.set_value("namespace", "Bad")
    form.set_value("namespace", "fine")
    form.click_save()

    assert capsys.readouterr() == ("", "")

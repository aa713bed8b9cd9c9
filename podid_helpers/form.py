"""The settings form: ipywidgets with live validation for a human, plain values when headless.

Rules this module keeps (see the notebook research on nbval and ipywidgets):
nothing is printed from a handler and nothing is written into an ``Output`` widget (status
travels through widget traits, which nbval ignores); no cell ever waits for a click; and the
text/plain repr depends only on the values and where they are saved, so nbval can compare it.
"""

from __future__ import annotations

import html
import os
from functools import partial
from pathlib import Path
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]

from .i18n import N_, _, ngettext
from .redact import display_path
from .settings import (
    AZURE_REGIONS,
    OPTIONAL_FIELDS,
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

__all__ = ["SettingsForm", "is_headless", "settings_form"]

# Text nodes only: quotes stay readable in stored outputs.
_escape = partial(html.escape, quote=False)

_LABELS = {
    "subscription_id": N_("Subscription ID"),
    "location": N_("Location"),
    "resource_group": N_("Resource group"),
    "cluster_name": N_("AKS cluster"),
    "identity_name": N_("Managed identity"),
    "pod_identity_name": N_("Pod identity"),
    "namespace": N_("Namespace"),
    "key_vault_name": N_("Key Vault"),
    "secret_name": N_("Secret name"),
    "service_account_name": N_("Service account"),
    "federated_credential_name": N_("Federated credential"),
    "language": N_("Language"),
}
_DEFAULT_SUBSCRIPTION = N_("(your default subscription)")
# The language choice: unset ("") follows the notebook's folder; each language named in itself.
_LANGUAGE_CHOICES = (
    (N_("(the notebook's folder decides)"), ""),
    ("English", "en"),
    ("日本語", "ja"),
)
_RED = "#b00020"
_GREEN = "#1b5e20"


def is_headless() -> bool:
    """Whether no human is at the notebook: ``PODID_HEADLESS`` if set, else no Jupyter session."""
    flag = os.environ.get("PODID_HEADLESS")
    if flag is not None:
        return flag.strip().lower() not in ("", "0", "false", "no")
    # jupyter_server sets JPY_SESSION_NAME for kernels it starts; nbval and papermill do not.
    return "JPY_SESSION_NAME" not in os.environ


def settings_form(
    settings: Settings | None = None, *, path: str | os.PathLike[str] | None = None
) -> SettingsForm:
    """Return the settings form; headless, validate and save the values instead of asking."""
    target = Path(path).expanduser() if path else settings_path()
    if is_headless():
        chosen = validate_settings(settings) if settings is not None else load_settings(path=target)
        save_settings(chosen, path=target)
        return SettingsForm(chosen, path=target, interactive=False)
    shown = settings if settings is not None else read_settings(path=target)
    return SettingsForm(shown, path=target, interactive=True)


class SettingsForm:
    """One field per setting, errors beside the fields, and Save; drivable from tests."""

    def __init__(self, settings: Settings, *, path: Path, interactive: bool) -> None:
        self._path = path
        # An empty optional field means "decide for me" (None): the default subscription, the
        # notebook folder's language.
        self._values = {name: getattr(settings, name) or "" for name in SETTING_FIELDS}
        self._saved = saved_settings(path=path)
        self._problems: list[Violation] = []
        self._view = _FormView(self) if interactive else None
        self._refresh()

    @property
    def settings(self) -> Settings:
        """The settings as currently entered (possibly invalid)."""
        values: dict[str, Any] = dict(self._values)
        for name in OPTIONAL_FIELDS:
            values[name] = values[name] or None
        return Settings(**values)

    @property
    def widget(self) -> widgets.VBox | None:
        """The form's widget tree, or None when headless."""
        return self._view.box if self._view else None

    @property
    def save_disabled(self) -> bool:
        """Whether Save is disabled (it is while any setting is invalid)."""
        return self._view.save.disabled if self._view else bool(self._problems)

    @property
    def is_saved(self) -> bool:
        """Whether the values shown are valid and are the ones in the settings file."""
        return not self._problems and self.settings == self._saved

    @property
    def status(self) -> str:
        """The status line shown beside Save, as plain text."""
        if self._problems:
            count = len(self._problems)
            return ngettext(
                "not saved: fix the {count} problem marked above",
                "not saved: fix the {count} problems marked above",
                count,
            ).format(count=count)
        if self.is_saved:
            return _("saved to {path}").format(path=display_path(self._path))
        return _("not saved yet: click Save to keep these values")

    def error(self, field: str) -> str:
        """The error shown beside ``field`` as plain text, or "" when it is valid."""
        return next((p.rule for p in self._problems if p.field == field), "")

    def set_value(self, field: str, value: str) -> None:
        """Change one field as a learner typing into it would."""
        if self._view:
            self._view.inputs[field].value = value
        else:
            self._on_change(field, value)

    def click_save(self) -> None:
        """Press Save as a learner would."""
        if self._view:
            self._view.save.click()
        else:
            self._on_save()

    def _on_change(self, field: str, value: str) -> None:
        self._values[field] = value
        self._refresh()

    def _on_save(self) -> None:
        if self._problems:
            return
        current = self.settings
        save_settings(current, path=self._path)
        self._saved = current
        self._refresh()

    def _refresh(self) -> None:
        self._problems = settings_violations(self.settings)
        if self._view:
            self._view.show(self)

    def _rows(self) -> list[tuple[str, str]]:
        current = self.settings
        # An unset language shows no row: the form reads as it did before languages existed.
        rows = [
            (name, getattr(current, name) or _(_DEFAULT_SUBSCRIPTION))
            for name in SETTING_FIELDS
            if not (name == "language" and current.language is None)
        ]
        rows.append(("node_resource_group", current.node_resource_group))
        return rows

    def _status_html(self) -> str:
        colour = _GREEN if self.is_saved else _RED
        return f'<span style="color:{colour}">{_escape(self.status)}</span>'

    def text(self) -> str:
        """The plain-text rendering: the values, then the status line."""
        rows = self._rows()
        width = max(len(name) for name, _value in rows)
        lines = [_("podid settings"), *(f"  {name.ljust(width)}  {value}" for name, value in rows)]
        return "\n".join([*lines, self.status])

    def __repr__(self) -> str:
        return self.text()

    def _html(self) -> str:
        cells = "".join(
            f'<tr><th style="text-align:left;padding-right:1em">{name}</th>'
            f'<td style="text-align:left"><code>{_escape(value)}</code></td></tr>'
            for name, value in self._rows()
        )
        return f"<div><table>{cells}</table>{self._status_html()}</div>"

    # Not _repr_html_: IPython would add it beside the widget view, and it is for headless only.
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        if self._view is None:
            return {"text/plain": self.text(), "text/html": self._html()}
        # nbval skips the widget view (its model id is random) but compares this text/plain.
        bundle: dict[str, Any] = self._view.box._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.text()
        return bundle


class _FormView:
    """The widgets of a form a human sees; they only mirror and feed the form's state."""

    def __init__(self, form: SettingsForm) -> None:
        self.inputs: dict[str, widgets.ValueWidget] = {}
        self.errors: dict[str, widgets.HTML] = {}
        self.node_rg = widgets.HTML()
        self.save = widgets.Button(description=_("Save"), button_style="primary", icon="check")
        self.status = widgets.HTML()
        rows = []
        for name in SETTING_FIELDS:
            field = _input_for(name, form.settings)
            field.observe(lambda change, name=name: form._on_change(name, change["new"]), "value")
            self.inputs[name] = field
            self.errors[name] = widgets.HTML()
            rows.append(widgets.HBox([field, self.errors[name]]))
        self.errors["node_resource_group"] = widgets.HTML()
        rows.append(widgets.HBox([self.node_rg, self.errors["node_resource_group"]]))
        self.save.on_click(lambda _button: form._on_save())
        rows.append(widgets.HBox([self.save, self.status]))
        self.box = widgets.VBox(rows)

    def show(self, form: SettingsForm) -> None:
        """Update every widget from the form's state, through traits only."""
        for field, label in self.errors.items():
            rule = form.error(field)
            label.value = f'<span style="color:{_RED}">⚠ {_escape(rule)}</span>' if rule else ""
        node_rg = _escape(form.settings.node_resource_group)
        label = _escape(_("Node resource group"))
        self.node_rg.value = f"{label}: <code>{node_rg}</code>"
        # Labels follow the language at once, so choosing Japanese and saving relabels the form.
        for name, field in self.inputs.items():
            field.description = _(_LABELS[name])
        self.save.description = _("Save")
        self.save.disabled = bool(form._problems)
        self.status.value = form._status_html()


def _input_for(name: str, settings: Settings) -> widgets.ValueWidget:
    common: dict[str, Any] = {
        "description": _(_LABELS[name]),
        "style": {"description_width": "11em"},
        "layout": widgets.Layout(width="30em"),
    }
    value = getattr(settings, name) or ""
    if name == "location":
        # A saved location that is not a region must still show, so its error can be seen.
        options = AZURE_REGIONS if value in AZURE_REGIONS else (*AZURE_REGIONS, value)
        return widgets.Dropdown(options=options, value=value, **common)
    if name == "language":
        return widgets.Dropdown(options=_language_options(value), value=value, **common)
    placeholder = _(_DEFAULT_SUBSCRIPTION) if name == "subscription_id" else ""
    return widgets.Text(value=value, placeholder=placeholder, continuous_update=True, **common)


def _language_options(value: str) -> list[tuple[str, str]]:
    options = [(_(label), code) for label, code in _LANGUAGE_CHOICES]
    # A saved language that is not offered must still show, so its error can be seen.
    if value not in (code for _label, code in options):
        options.append((value, value))
    return options

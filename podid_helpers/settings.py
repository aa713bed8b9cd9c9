"""The names a learner chooses, Azure's and Kubernetes' rules for them, and where they are kept."""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidSettingError
from .i18n import N_, _
from .language import LANGUAGES
from .redact import display_path

__all__ = [
    "AZURE_REGIONS",
    "DEFAULT_SETTINGS_PATH",
    "SETTING_FIELDS",
    "Settings",
    "Violation",
    "load_settings",
    "read_settings",
    "save_settings",
    "saved_settings",
    "settings_path",
    "settings_violations",
    "validate_settings",
]

# Azure's public-cloud region names, as `az account list-locations --query [].name` spells them.
AZURE_REGIONS: tuple[str, ...] = (
    "australiacentral",
    "australiaeast",
    "australiasoutheast",
    "brazilsouth",
    "canadacentral",
    "canadaeast",
    "centralindia",
    "centralus",
    "chilecentral",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "germanywestcentral",
    "indonesiacentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "japanwest",
    "koreacentral",
    "koreasouth",
    "malaysiawest",
    "mexicocentral",
    "newzealandnorth",
    "northcentralus",
    "northeurope",
    "norwayeast",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southcentralus",
    "southeastasia",
    "southindia",
    "spaincentral",
    "swedencentral",
    "switzerlandnorth",
    "uaenorth",
    "uksouth",
    "ukwest",
    "westcentralus",
    "westeurope",
    "westindia",
    "westus",
    "westus2",
    "westus3",
)

DEFAULT_SETTINGS_PATH = "~/.podid/settings.json"
_SETTINGS_PATH_ENV = "PODID_SETTINGS"
_NODE_RESOURCE_GROUP_MAX = 80


@dataclass(frozen=True)
class Settings:
    """The resource names the tutorial uses; the defaults work as they are."""

    subscription_id: str | None = None
    location: str = "japaneast"
    resource_group: str = "podid-rg"
    cluster_name: str = "podid-aks"
    identity_name: str = "podid-identity"
    pod_identity_name: str = "podid-demo"
    namespace: str = "demo"
    # 09-workload-identity: the migration's vault, secret, service account and trust.
    key_vault_name: str = "podid-kv"
    secret_name: str = "my-secret"
    service_account_name: str = "podid-sa"
    federated_credential_name: str = "podid-federated"
    # The learner's language; unset, the notebook's folder decides (see language.py).
    language: str | None = None

    @property
    def node_resource_group(self) -> str:
        """The resource group AKS creates for the cluster's nodes."""
        return f"MC_{self.resource_group}_{self.cluster_name}_{self.location}"


SETTING_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Settings))
# Settings that may be left unset (None), each meaning "decide for me".
OPTIONAL_FIELDS: tuple[str, ...] = ("subscription_id", "language")


@dataclass(frozen=True)
class Violation:
    """One setting that breaks one rule."""

    field: str
    value: str | None
    rule: str

    def __str__(self) -> str:
        return _("{field} {value} is invalid: {rule}").format(
            field=self.field, value=repr(self.value), rule=self.rule
        )


_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_CLUSTER = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?")
_IDENTITY = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"(?=.{1,253}$)[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?")
_KEY_VAULT = re.compile(r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]")
_SECRET = re.compile(r"[a-zA-Z0-9-]{1,127}")
_FEDERATED = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}")

_DNS_LABEL_RULE = N_(
    "must be a DNS-1123 label: 1-63 lowercase letters, digits or '-', "
    "starting and ending with a letter or digit"
)


def _is_resource_group(value: str) -> bool:
    # Azure allows Unicode letters and digits here, hence isalnum() rather than an ASCII class.
    return (
        1 <= len(value) <= 90
        and all(c.isalnum() or c in "_-.()" for c in value)
        and not value.endswith(".")
    )


# Each check returns something truthy when the value is acceptable (a bool or a regex match);
# each rule is translated where it is shown.
_RULES: dict[str, tuple[Callable[[str], object], str]] = {
    "subscription_id": (
        _GUID.fullmatch,
        N_(
            "must be a GUID such as 00000000-0000-0000-0000-000000000000, "
            "or empty for your default subscription"
        ),
    ),
    "location": (
        AZURE_REGIONS.__contains__,
        N_("must be an Azure region name such as japaneast, eastus or westeurope"),
    ),
    "resource_group": (
        _is_resource_group,
        N_(
            "must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' "
            "and must not end with '.'"
        ),
    ),
    "cluster_name": (
        _CLUSTER.fullmatch,
        N_(
            "must be 1-63 characters of letters, digits, '-' or '_', "
            "starting and ending with a letter or digit"
        ),
    ),
    "identity_name": (
        _IDENTITY.fullmatch,
        N_(
            "must be 3-128 characters of letters, digits, '-' or '_', "
            "starting with a letter or digit"
        ),
    ),
    "pod_identity_name": (_DNS_LABEL.fullmatch, _DNS_LABEL_RULE),
    "namespace": (_DNS_LABEL.fullmatch, _DNS_LABEL_RULE),
    "key_vault_name": (
        _KEY_VAULT.fullmatch,
        N_(
            "must be 3-24 letters, digits or '-', starting with a letter, ending with a letter or "
            "digit, without '--'; on Azure it must also be unused by anyone else"
        ),
    ),
    "secret_name": (_SECRET.fullmatch, N_("must be 1-127 letters, digits or '-'")),
    "service_account_name": (
        _DNS_SUBDOMAIN.fullmatch,
        N_(
            "must be a DNS-1123 subdomain: up to 253 lowercase letters, digits, '-' or '.', "
            "starting and ending with a letter or digit"
        ),
    ),
    "federated_credential_name": (
        _FEDERATED.fullmatch,
        N_(
            "must be 3-120 characters of letters, digits, '-' or '_', "
            "starting with a letter or digit"
        ),
    ),
    "language": (
        LANGUAGES.__contains__,
        N_("must be en (English) or ja (Japanese), or empty to follow the notebook's folder"),
    ),
}


def _location_rule(value: str) -> str:
    rule = _(_RULES["location"][1])
    guess = difflib.get_close_matches(value.lower().replace(" ", ""), AZURE_REGIONS, n=1)
    if not guess:
        return rule
    return _("{rule}; did you mean {guess}?").format(rule=rule, guess=repr(guess[0]))


def settings_violations(settings: Settings) -> list[Violation]:
    """Return every rule ``settings`` breaks, in field order (empty when all is well)."""
    found = []
    for name in SETTING_FIELDS:
        value = getattr(settings, name)
        if name in OPTIONAL_FIELDS and value is None:
            continue
        accepts, rule = _RULES[name]
        if not isinstance(value, str) or not accepts(value):
            shown = (
                _location_rule(value) if name == "location" and isinstance(value, str) else _(rule)
            )
            found.append(Violation(name, value, shown))
    node_rg = settings.node_resource_group
    if len(node_rg) > _NODE_RESOURCE_GROUP_MAX:
        rule = _(
            "must be at most {limit} characters and has {length} "
            "(AKS names it MC_<resource_group>_<cluster_name>_<location>); "
            "shorten resource_group or cluster_name"
        ).format(limit=_NODE_RESOURCE_GROUP_MAX, length=len(node_rg))
        found.append(Violation("node_resource_group", node_rg, rule))
    return found


def validate_settings(settings: Settings) -> Settings:
    """Return ``settings`` unchanged, or raise ``InvalidSettingError`` listing every problem."""
    problems = settings_violations(settings)
    if problems:
        raise InvalidSettingError(str(p) for p in problems)
    return settings


def settings_path() -> Path:
    """Return where settings are kept: ``$PODID_SETTINGS``, else ``~/.podid/settings.json``."""
    return Path(os.environ.get(_SETTINGS_PATH_ENV) or DEFAULT_SETTINGS_PATH).expanduser()


def _resolve(path: str | os.PathLike[str] | None) -> Path:
    return Path(path).expanduser() if path else settings_path()


def _env_name(field: str) -> str:
    return f"PODID_{field.upper()}"


def _read_file(path: Path) -> dict[str, str | None]:
    shown = display_path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise InvalidSettingError(
            [
                _(
                    "{path} is not valid JSON ({error}); fix it, or delete it to start from "
                    "defaults"
                ).format(path=shown, error=exc)
            ]
        ) from None
    if not isinstance(data, dict):
        raise InvalidSettingError(
            [_("{path} must hold a JSON object of settings").format(path=shown)]
        )
    problems = [
        _("{path} has unknown setting {key}; known settings: {known}").format(
            path=shown, key=repr(key), known=", ".join(SETTING_FIELDS)
        )
        for key in data
        if key not in SETTING_FIELDS
    ]
    problems += [
        _("{path} has {key} = {value}; it must be a string").format(
            path=shown, key=key, value=repr(value)
        )
        for key, value in data.items()
        if key in SETTING_FIELDS
        and not isinstance(value, str)
        and not (key in OPTIONAL_FIELDS and value is None)
    ]
    if problems:
        raise InvalidSettingError(problems)
    return data


def _read_with_sources(path: Path) -> tuple[Settings, dict[str, str]]:
    values: dict[str, str | None] = dict(_read_file(path))
    sources = dict.fromkeys(values, display_path(path))
    for name in SETTING_FIELDS:
        # An empty variable counts as unset: CI templates often expand missing inputs to "".
        override = os.environ.get(_env_name(name))
        if override:
            values[name] = override
            sources[name] = _env_name(name)
    return Settings(**values), sources  # type: ignore[arg-type]


def saved_settings(*, path: str | os.PathLike[str] | None = None) -> Settings | None:
    """Return the settings as saved in the file (no overrides, not validated), or None."""
    target = _resolve(path)
    return Settings(**_read_file(target)) if target.exists() else None  # type: ignore[arg-type]


def read_settings(*, path: str | os.PathLike[str] | None = None) -> Settings:
    """Return the saved settings with ``PODID_<FIELD>`` overrides applied, without validating."""
    return _read_with_sources(_resolve(path))[0]


def load_settings(*, path: str | os.PathLike[str] | None = None) -> Settings:
    """Return the saved settings with ``PODID_<FIELD>`` overrides applied, validated."""
    settings, sources = _read_with_sources(_resolve(path))
    problems = settings_violations(settings)
    if problems:
        raise InvalidSettingError(_with_source(p, sources) for p in problems)
    return settings


def _with_source(problem: Violation, sources: Mapping[str, str]) -> str:
    source = sources.get(problem.field)
    if not source:
        return str(problem)
    return _("{problem} (set by {source})").format(problem=problem, source=source)


def save_settings(settings: Settings, *, path: str | os.PathLike[str] | None = None) -> Path:
    """Validate ``settings`` and write them atomically, readable by the owner only (0600)."""
    validate_settings(settings)
    target = _resolve(path)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = json.dumps(dataclasses.asdict(settings), indent=2, sort_keys=True) + "\n"
    # A temp file in the same folder makes os.replace atomic: readers see old or new, never half.
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp's 0600 is narrowed by the umask; the contract is exactly owner read/write.
        os.chmod(temp, 0o600)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return target

"""The Japanese catalog: complete, placeholder-safe, compiled, and chosen at call time."""

from __future__ import annotations

import os
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import podid_helpers
from podid_helpers.i18n import _, display_width, ljust_display, ngettext
from podid_helpers.language import current_language

PACKAGE = Path(podid_helpers.__file__).parent
PO = PACKAGE / "locale" / "ja" / "LC_MESSAGES" / "podid_helpers.po"
MO = PO.with_suffix(".mo")
# Messages that are names only, the same in Japanese (Learn ja-jp keeps these in English).
KEPT_AS_NAMES = {"Key Vault", "02 kubeconfig", "03 NMI", "NMI DaemonSet"}
_PERCENT = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdrifx%]")


def _catalog() -> dict[object, object]:
    with PO.open("rb") as stream:
        return {m.id: m for m in read_po(stream, locale="ja") if m.id}


def _code_messages() -> set[object]:
    found = extract_from_dir(str(PACKAGE), method_map=[("**.py", "python")])
    return {msg[2] for msg in found}


def _placeholders(text: str) -> tuple[set[str], set[str]]:
    braces = {field for _t, field, _f, _c in string.Formatter().parse(text) if field is not None}
    return braces, set(_PERCENT.findall(text)) - {"%%"}


def _forms(value: object) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]


def test_every_message_in_the_code_is_in_the_japanese_catalog() -> None:
    missing = _code_messages() - set(_catalog())
    assert not missing, f"run `make messages` and translate: {sorted(map(str, missing))}"


def test_the_catalog_holds_no_message_the_code_no_longer_has() -> None:
    stale = set(_catalog()) - _code_messages()
    assert not stale, f"run `make messages`: {sorted(map(str, stale))}"


def test_every_message_has_a_japanese_translation_and_none_is_fuzzy() -> None:
    catalog = _catalog()
    assert len(catalog) > 50
    for message in catalog.values():
        assert all(form.strip() for form in _forms(message.string)), message.id
        assert "fuzzy" not in message.flags, message.id
        japanese = re.search(r"[぀-ヿ一-鿿]", "".join(_forms(message.string)))
        assert japanese or message.string != message.id or message.id in KEPT_AS_NAMES, (
            f"not translated: {message.id!r}"
        )


def test_placeholders_match_between_english_and_japanese() -> None:
    for message in _catalog().values():
        for english in _forms(message.id):
            for japanese in _forms(message.string):
                assert _placeholders(japanese) == _placeholders(english), message.id


def test_the_compiled_catalog_matches_its_source() -> None:
    with MO.open("rb") as stream:
        compiled = {_forms(m.id): _forms(m.string) for m in read_mo(stream) if m.id}
    source = {_forms(m.id): _forms(m.string) for m in _catalog().values()}
    assert compiled == source, "run `make messages` to compile the .mo again"


def test_english_is_the_message_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODID_LANGUAGE", "en")
    for message_id in _catalog():
        forms = _forms(message_id)
        if len(forms) == 1:
            assert _(forms[0]) is forms[0]
        else:
            assert ngettext(forms[0], forms[1], 1) == forms[0]
            assert ngettext(forms[0], forms[1], 2) == forms[1]


def test_the_language_is_looked_up_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODID_LANGUAGE", "ja")
    assert _("Save") == "保存"
    assert ngettext("{count} setting is invalid:", "{count} settings are invalid:", 3).format(
        count=3
    ) == ("3 件の設定が無効です:")
    monkeypatch.setenv("PODID_LANGUAGE", "en")
    assert _("Save") == "Save"


# -- which language ----------------------------------------------------------------------------


def _save_language(home: Path, value: object) -> None:
    folder = home / ".podid"
    folder.mkdir(exist_ok=True)
    (folder / "settings.json").write_text(f'{{"language": {value}}}', encoding="utf-8")


def test_english_when_nothing_chooses() -> None:
    assert current_language() == "en"


def test_the_kernel_folder_named_ja_means_japanese(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "ja").mkdir()
    monkeypatch.chdir(tmp_path / "ja")
    assert current_language() == "ja"
    monkeypatch.chdir(tmp_path)
    assert current_language() == "en"


def test_the_saved_setting_wins_over_the_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, home: Path
) -> None:
    (tmp_path / "ja").mkdir()
    monkeypatch.chdir(tmp_path / "ja")
    _save_language(home, '"en"')
    assert current_language() == "en"
    _save_language(home, '"ja"')
    monkeypatch.chdir(tmp_path)
    assert current_language() == "ja"


def test_podid_language_wins_over_the_setting(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    _save_language(home, '"ja"')
    monkeypatch.setenv("PODID_LANGUAGE", "en")
    assert current_language() == "en"
    monkeypatch.setenv("PODID_LANGUAGE", "JA")
    assert current_language() == "ja"


def test_a_value_that_is_no_language_chooses_nothing(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    monkeypatch.setenv("PODID_LANGUAGE", "fr")
    _save_language(home, '"de"')
    assert current_language() == "en"
    _save_language(home, "[")  # broken JSON: load_settings reports it, the language ignores it
    assert current_language() == "en"


def test_a_deleted_working_folder_means_english(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    gone = tmp_path / "ja"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert current_language() == "en"
    os.chdir(tmp_path)


def test_the_package_data_ships_the_catalog() -> None:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    pyproject = PACKAGE.parent / "pyproject.toml"
    patterns = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]
    shipped = {path for pattern in patterns["podid_helpers"] for path in PACKAGE.glob(pattern)}
    assert {PO, MO} <= shipped


def _article() -> str | None:
    """The Japanese article the tutorial follows (shared/ lies beside the repository)."""
    for folder in PACKAGE.parents:
        candidate = folder / "shared" / "source" / "article-ja.txt"
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return None


def test_no_translation_copies_the_article() -> None:
    article = _article()
    if article is None:
        pytest.skip("the article is not beside this checkout")
    run = 20
    shared = {article[i : i + run] for i in range(len(article) - run + 1)}
    for message in _catalog().values():
        for text in _forms(message.string):
            copied = [text[i : i + run] for i in range(len(text) - run + 1)]
            # Names and commands (ASCII) may match the article; its Japanese sentences may not.
            assert not [c for c in copied if c in shared and not c.isascii()], message.id


def test_tables_pad_japanese_by_the_columns_it_takes() -> None:
    assert display_width("claim") == len("claim")
    assert display_width("lifetime (exp − iat)") == len("lifetime (exp − iat)")  # − is narrow
    assert display_width("クレーム") == 8
    assert ljust_display("クレーム", 10) == "クレーム  "
    assert ljust_display("aud", 10) == "aud".ljust(10)

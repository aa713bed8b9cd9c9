"""The inside page's labels have a Japanese translation, each one (`podid_lab/data/ui/i18n.js`).

The page in a browser, in both languages: tests/browser/test_inside_page.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from japanese_text import is_kana_or_kanji

UI = Path(__file__).resolve().parent.parent / "podid_lab" / "data" / "ui"
# "key": "value" pairs of the JA table (a value may sit on the next line).
PAIR = re.compile(r'^\s*"((?:[^"\\]|\\.)*)":\s*"((?:[^"\\]|\\.)*)",', re.MULTILINE)
CALL = re.compile(r'\btr\("((?:[^"\\]|\\.)*)"')
LANES = re.compile(r"^const LANES = \[(.*)\];", re.MULTILINE)
# Names that stay as they are in Japanese, as the glossary says.
NAMES = {"NMI", "Entra ID", "ARM / Key Vault"}


class Marked(HTMLParser):
    """The texts of elements marked data-i18n, and the aria-labels marked data-i18n-label."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        self._open = "data-i18n" in names or tag == "title"
        if "data-i18n-label" in names:
            self.texts.append(names["aria-label"] or "")

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts.append(data)
            self._open = False


def table() -> dict[str, str]:
    text = (UI / "i18n.js").read_text(encoding="utf-8")
    body = text.split("const JA = {", 1)[1].split("\n};", 1)[0]
    return dict(PAIR.findall(re.sub(r":\n\s+", ": ", body)))


def labels() -> set[str]:
    marked = Marked()
    marked.feed((UI / "index.html").read_text(encoding="utf-8"))
    script = (UI / "app.js").read_text(encoding="utf-8")
    lanes = re.findall(r'"([^"]+)"', LANES.search(script).group(1))  # type: ignore[union-attr]
    return set(marked.texts) | set(CALL.findall(script)) | set(lanes)


def test_every_label_of_the_page_has_its_japanese() -> None:
    found = labels()
    assert {"Timeline", "Kind", "all", "live · %1 events · %2 shown", "Pod"} <= found
    assert sorted(found - NAMES - table().keys()) == []


def test_the_translations_are_japanese_and_keep_their_placeholders() -> None:
    for english, japanese in table().items():
        assert re.findall(r"%\d", english) == re.findall(r"%\d", japanese), english
        if japanese != "ID":  # Learn ja-jp's word for an identity
            assert any(is_kana_or_kanji(c) for c in japanese), (english, japanese)


def test_nothing_in_the_table_is_unused() -> None:
    assert sorted(table().keys() - labels()) == []

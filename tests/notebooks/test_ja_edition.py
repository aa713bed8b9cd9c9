"""The Japanese edition (notebooks/ja/): the same notebooks, the same code, its own Japanese prose.

These read the files only (no kernel, no lab). The code cells are the English edition's, byte
for byte; the Markdown is written anew in Japanese and shares no sentence with the article
(tests/japanese_text.py measures both, as for the Japanese documents).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from japanese_text import article_path, kana_kanji_share, prose, shared_runs

from tools.notebook_lab import NOTEBOOKS, NOTEBOOKS_JA, notebook_paths

ENGLISH = notebook_paths(NOTEBOOKS)
JAPANESE = notebook_paths(NOTEBOOKS_JA)
ids = [p.stem for p in ENGLISH]
MIN_JAPANESE_SHARE = 0.6


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def source(cell: dict[str, Any]) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def first_cell(path: Path) -> str:
    return source(load(path)["cells"][0])


def markdown(path: Path) -> str:
    return "\n\n".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown")


def test_every_notebook_is_in_both_editions() -> None:
    assert [p.name for p in JAPANESE] == [p.name for p in ENGLISH]


@pytest.mark.parametrize("path", ENGLISH, ids=ids)
def test_code_cells_are_the_english_ones(path: Path) -> None:
    def code(book: Path) -> list[tuple[str, list[str]]]:
        cells = [c for c in load(book)["cells"] if c["cell_type"] == "code"]
        return [(source(c), c.get("metadata", {}).get("tags", [])) for c in cells]

    translated = NOTEBOOKS_JA / path.name
    assert translated.exists(), f"{path.name} has no Japanese edition"
    assert code(translated) == code(path), "a code cell (or its tags) differs from English"


@pytest.mark.parametrize("path", JAPANESE, ids=[p.stem for p in JAPANESE])
def test_markdown_is_japanese(path: Path) -> None:
    share = kana_kanji_share(prose(markdown(path)))
    assert share >= MIN_JAPANESE_SHARE, f"{path.name}: {share:.0%} of its letters are Japanese"


@pytest.mark.parametrize("path", JAPANESE, ids=[p.stem for p in JAPANESE])
def test_nothing_is_copied_from_the_article(path: Path) -> None:
    article = article_path()
    if article is None:
        pytest.skip("shared/source/article-ja.txt is not beside the clone")
    copied = shared_runs(prose(markdown(path)), article.read_text(encoding="utf-8"))
    assert copied == [], f"{path.name} shares these runs with the article: {copied[:5]}"


@pytest.mark.parametrize("path", JAPANESE, ids=[p.stem for p in JAPANESE])
def test_skeleton(path: Path) -> None:
    cells = load(path)["cells"]
    texts = [source(c) for c in cells if c["cell_type"] == "markdown"]
    english = first_cell(NOTEBOOKS / path.name)
    minutes = re.search(r"\*About (\d+) minutes\.\*", english)
    assert minutes and f"*所要時間: 約 {minutes[1]} 分*" in texts[0]
    assert re.match(rf"# {path.name[:2]} · \S", texts[0]), "title: '# NN · タイトル'"
    headings = [line for text in texts for line in text.splitlines() if line.startswith("## ")]
    for wanted in ("## 学習目標", "## 始める前に", "## まとめ", "## 次のステップ"):
        assert wanted in headings, f"missing heading {wanted!r}"
    assert any(h.startswith("## ステップ 1") for h in headings)
    assert headings[-2:] == ["## まとめ", "## 次のステップ"]


@pytest.mark.parametrize("path", JAPANESE, ids=[p.stem for p in JAPANESE])
def test_your_turn_and_differences_keep_their_place(path: Path) -> None:
    def starts(book: Path, heading: str) -> list[int]:
        code = 0
        found = []
        for cell in load(book)["cells"]:
            code += cell["cell_type"] == "code"
            if cell["cell_type"] == "markdown" and source(cell).startswith(heading):
                found.append(code)
        return found

    # A Your turn opens before the same code cell in both editions.
    assert starts(path, "## 演習") == starts(NOTEBOOKS / path.name, "## Your turn")
    english = "**Differences from the article.**" in markdown(NOTEBOOKS / path.name)
    assert ("**記事との違い**" in markdown(path)) == english


@pytest.mark.parametrize("path", ENGLISH, ids=ids)
def test_each_edition_links_to_the_other(path: Path) -> None:
    english = first_cell(path)
    japanese = first_cell(NOTEBOOKS_JA / path.name)
    assert f"(ja/{path.name})" in english
    assert f"(../{path.name})" in japanese


def test_the_english_index_links_the_japanese_one() -> None:
    # notebooks/ja/README.md, the Japanese index, comes with the Japanese documents (i23-docs).
    assert "(ja/README.md)" in (NOTEBOOKS / "README.md").read_text(encoding="utf-8")

"""tools/sync_ja_code.py: the English code cells go into the Japanese notebook; its prose stays."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools.sync_ja_code import sync


def write(path: Path, *cells: nbformat.NotebookNode) -> Path:
    path.write_text(nbformat.writes(new_notebook(cells=list(cells))) + "\n", encoding="utf-8")
    return path


def test_changed_code_cells_are_copied_and_the_markdown_is_kept(tmp_path: Path) -> None:
    english = write(
        tmp_path / "en.ipynb",
        new_markdown_cell("# 01 · Title"),
        new_code_cell("ph.step(session)", metadata={"tags": ["lab-only"]}),
        new_code_cell("ph.check(session).raise_if_failed()"),
    )
    japanese = write(
        tmp_path / "ja.ipynb",
        new_markdown_cell("# 01 · タイトル"),
        new_code_cell("ph.old_step(session)"),
        new_code_cell("ph.check(session).raise_if_failed()"),
    )
    assert sync(english, japanese) == "1 code cells updated"
    cells = nbformat.read(japanese, as_version=4).cells
    assert [c.source for c in cells] == [
        "# 01 · タイトル",
        "ph.step(session)",
        "ph.check(session).raise_if_failed()",
    ]
    assert cells[1].metadata == {"tags": ["lab-only"]}
    assert sync(english, japanese) == "0 code cells updated"


def test_a_different_number_of_code_cells_is_refused_and_nothing_written(tmp_path: Path) -> None:
    english = write(tmp_path / "en.ipynb", new_code_cell("a = 1"), new_code_cell("b = 2"))
    japanese = write(tmp_path / "ja.ipynb", new_markdown_cell("説明"), new_code_cell("a = 0"))
    before = japanese.read_text(encoding="utf-8")
    assert sync(english, japanese) == "refused: 2 code cells in English, 1 in Japanese"
    assert japanese.read_text(encoding="utf-8") == before

"""Copy the English notebooks' code cells into the Japanese edition (notebooks/ja), in place.

    .venv/bin/python tools/sync_ja_code.py [notebooks/NN-name.ipynb ...]

The English edition is the source of the code: after a code cell changes there, this gives the
Japanese notebook of the same name the same source and metadata (tags), cell for cell, and
leaves its Markdown alone. A notebook whose code cells differ in number is refused (a cell
added or removed needs its Japanese Markdown written by hand). Then regenerate the outputs
(`make notebooks`); tests/notebooks/test_ja_edition.py checks the two editions agree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_lab import NOTEBOOKS, NOTEBOOKS_JA, notebook_paths


def sync(english: Path, japanese: Path) -> str:
    """Give `japanese` the code cells of `english`; return what was done, in a few words."""
    source = nbformat.read(english, as_version=4)
    target = nbformat.read(japanese, as_version=4)
    theirs = [c for c in source.cells if c.cell_type == "code"]
    ours = [c for c in target.cells if c.cell_type == "code"]
    if len(theirs) != len(ours):
        return f"refused: {len(theirs)} code cells in English, {len(ours)} in Japanese"
    changed = 0
    for mine, model in zip(ours, theirs, strict=True):
        if (mine.source, mine.metadata) != (model.source, model.metadata):
            mine.source, mine.metadata = model.source, model.metadata.copy()
            changed += 1
    if changed:
        japanese.write_text(nbformat.writes(target) + "\n", encoding="utf-8")
    return f"{changed} code cells updated"


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or notebook_paths(NOTEBOOKS)
    refused = False
    for english in paths:
        japanese = NOTEBOOKS_JA / english.name
        if not japanese.exists():
            print(f"{english.name}: no Japanese edition yet; translate it first")
            refused = True
            continue
        done = sync(english, japanese)
        refused |= done.startswith("refused")
        print(f"{english.name}: {done}")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

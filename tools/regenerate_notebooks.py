"""Regenerate the notebooks' stored outputs: a fresh lab, every notebook in order, in place.

    .venv/bin/python tools/regenerate_notebooks.py [notebooks/NN-name.ipynb ...]

With no arguments it runs both editions' whole series (notebooks/NN-*.ipynb, then
notebooks/ja/NN-*.ipynb, each on a fresh lab of its own), which is what nbval compares
against, so always regenerate the whole series before committing. Volatile metadata
(widget state, timings, versions) is stripped, and the run fails if any output holds a value
of this run that must never be stored (the lab's secrets, its port, the temp folder).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_lab import EDITIONS, FAST_KNOBS, FreshLab, execute, notebook_paths, strip_volatile


def main(argv: list[str]) -> int:
    by_folder: dict[Path, list[Path]] = {}
    for path in (Path(a).resolve() for a in argv):
        by_folder.setdefault(path.parent, []).append(path)
    # A folder's notebooks build on each other; each edition starts on a fresh lab.
    for series in list(by_folder.values()) or [notebook_paths(e) for e in EDITIONS]:
        if series and regenerate(series) != 0:
            return 1
    return 0


def regenerate(paths: list[Path]) -> int:
    """Run one edition's notebooks in order on a fresh lab and store their outputs."""
    with FreshLab(**FAST_KNOBS) as lab:
        for path in paths:
            started = time.monotonic()
            book = strip_volatile(execute(path, lab.env))
            text = nbformat.writes(book) + "\n"
            leaked = [label for label, value in lab.volatile_values().items() if value in text]
            if leaked:
                print(f"{path.name}: outputs hold the {', '.join(leaked)}; not written")
                return 1
            path.write_text(text, encoding="utf-8")
            print(f"{path.parent.name}/{path.name}: {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

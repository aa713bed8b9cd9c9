"""Regenerate the notebooks' stored outputs: a fresh lab, every notebook in order, in place.

    .venv/bin/python tools/regenerate_notebooks.py [notebooks/NN-name.ipynb ...]

With no arguments it runs the whole series (notebooks/NN-*.ipynb), which is what nbval
compares against, so always regenerate the whole series before committing. Volatile metadata
(widget state, timings, versions) is stripped, and the run fails if any output holds a value
of this run that must never be stored (the lab's secrets, its port, the temp folder).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_lab import FAST_KNOBS, FreshLab, execute, notebook_paths, strip_volatile


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or notebook_paths()
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
            print(f"{path.name}: {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

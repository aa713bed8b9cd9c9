"""Each notebook alone against a fresh lab: its catch-up cell makes what it needs, no cell fails.

New notebooks (notebooks/NN-slug.ipynb) are picked up automatically, in both editions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from nbclient.exceptions import CellExecutionError

from tools.notebook_lab import EDITIONS, FAST_KNOBS, NOTEBOOKS, FreshLab, execute, notebook_paths

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lab() -> Iterator[FreshLab]:
    with FreshLab(**FAST_KNOBS) as fresh:
        yield fresh


@pytest.mark.parametrize(
    "path",
    [path for edition in EDITIONS for path in notebook_paths(edition)],
    ids=lambda p: p.relative_to(NOTEBOOKS).with_suffix("").as_posix(),
)
def test_notebook_runs_alone_on_a_fresh_lab(lab: FreshLab, path: Path) -> None:
    lab.reset()
    try:
        book = execute(path, lab.env, timeout=180)
    except CellExecutionError as exc:
        pytest.fail(f"{path.name} fails when started on a fresh lab:\n{exc}", pytrace=False)
    errors = [o for c in book.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []

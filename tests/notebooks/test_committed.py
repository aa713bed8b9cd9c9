"""The committed notebooks: nothing secret or machine-specific in them, and the same skeleton.

These read the files only (no kernel, no lab), so they are quick. New notebooks
(notebooks/NN-slug.ipynb) are picked up automatically. The checks that do not read the prose
cover the Japanese edition (notebooks/ja/) too; tests/notebooks/test_ja_edition.py has the rest.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any

import pytest

from tools.notebook_lab import NOTEBOOKS_JA, notebook_paths

NOTEBOOKS = notebook_paths()
ids = [p.stem for p in NOTEBOOKS]
# Both editions, for the checks that do not read the prose.
BOTH = NOTEBOOKS + notebook_paths(NOTEBOOKS_JA)
both_ids = ids + [f"ja/{p.stem}" for p in BOTH[len(NOTEBOOKS) :]]

MAX_CELL_LINES = 12
MAX_MEDIAN_LINES = 4

# What must never be stored in a notebook, source or output.
LEAKS = {
    "a JWT (access token)": r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    "a PEM key or certificate": r"-----BEGIN [A-Z ]+-----",
    "a bearer token": r"Bearer [A-Za-z0-9._~+/-]{16,}",
    "a client secret value": r"client_secret\W{1,4}[A-Za-z0-9._~-]{16,}",
    "a kubeconfig token": r"\btoken:\s*[A-Za-z0-9._~-]{16,}",
    "a storage key or SAS": r"AccountKey=|[?&]sig=",
    "a port on the local machine": r"(?:127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1\]):\d+",
    "a URL with a port": r"https?://[^\s/\"'\\]+:\d+",
    "the lab's default port": r"\b47443\b",
    "a process ID": r"\bpid\W{0,3}\d+",
    "an absolute home path": (
        r"(?:/root|/home/[^/\s\"]+|/Users/[^/\s\"]+|[A-Z]:\\\\Users)(?:/|\\\\)"
    ),
    "a temp folder": r"/tmp/|/var/folders/",
}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def source(cell: dict[str, Any]) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def tags(cell: dict[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def test_the_series_is_there() -> None:
    assert [p.name[:2] for p in NOTEBOOKS][:8] == [f"{n:02d}" for n in range(8)]


@pytest.mark.parametrize("path", BOTH, ids=both_ids)
@pytest.mark.parametrize("what", sorted(LEAKS))
def test_nothing_secret_or_machine_specific_is_stored(path: Path, what: str) -> None:
    text = path.read_text(encoding="utf-8")
    found = re.findall(LEAKS[what], text)
    assert not found, f"{path.name} holds {what}: {found[:3]}"


@pytest.mark.parametrize("path", BOTH, ids=both_ids)
def test_kernel_and_metadata(path: Path) -> None:
    book = load(path)
    assert book["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in book["metadata"], "widget state: run make notebooks"
    assert set(book["metadata"]["language_info"]) == {"name"}, "versions: run make notebooks"
    for cell in book["cells"]:
        assert "execution" not in cell.get("metadata", {}), "timings: run make notebooks"


@pytest.mark.parametrize("path", BOTH, ids=both_ids)
def test_stored_outputs_come_from_one_clean_run(path: Path) -> None:
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))
    for cell in code:
        for output in cell["outputs"]:
            assert output["output_type"] != "error", source(cell)
            assert output.get("name") != "stderr", f"stderr in: {source(cell)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_skeleton(path: Path) -> None:
    cells = load(path)["cells"]
    markdown = [source(c) for c in cells if c["cell_type"] == "markdown"]
    code = [c for c in cells if c["cell_type"] == "code"]
    number = path.name[:2]
    assert re.match(rf"# {number} · \S", markdown[0]), "title: '# NN · Title'"
    assert re.search(r"\*About \d+ minutes\.\*", markdown[0]), "estimated minutes"
    headings = [line for text in markdown for line in text.splitlines() if line.startswith("## ")]
    for wanted in ("## Objectives", "## Before you start", "## Key points", "## Next"):
        assert wanted in headings, f"missing heading {wanted!r}"
    assert any(h.startswith("## Step 1") for h in headings), "steps start at '## Step 1'"
    assert headings[-1] == "## Next" and headings[-2] == "## Key points"
    assert any(".raise_if_failed()" in source(c) for c in code), "no verify cell"
    assert len(markdown) >= len(code), "fewer Markdown cells than code cells"


@pytest.mark.parametrize("path", BOTH, ids=both_ids)
def test_cells_are_short(path: Path) -> None:
    lengths = [len(source(c).splitlines()) for c in load(path)["cells"] if c["cell_type"] == "code"]
    assert max(lengths) <= MAX_CELL_LINES
    assert statistics.median(lengths) <= MAX_MEDIAN_LINES


@pytest.mark.parametrize("path", BOTH, ids=both_ids)
def test_catch_up_cell(path: Path) -> None:
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    marked = [c for c in code if "catch-up" in tags(c)]
    if int(path.name[:2]) < 2:
        assert marked == []
        return
    # Right after "Before you start" (import, connect), for this notebook by name.
    assert marked == [code[1]], "the catch-up cell is the second code cell, tagged catch-up"
    assert source(code[1]).strip() == f'ph.catch_up(session, "{path.stem}")'


@pytest.mark.parametrize("path", BOTH, ids=both_ids)
def test_tags(path: Path) -> None:
    for cell in load(path)["cells"]:
        text, cell_tags = source(cell), tags(cell)
        assert ("lab-only" in cell_tags) == ("ph.only_in_lab(" in text), text
        if "nbval-ignore-output" in cell_tags:
            # Only displays that depend on the learner: the settings form and progress().
            assert "ph.settings_form(" in text or "ph.progress(" in text, text
        assert "nbval-skip" not in cell_tags and "raises-exception" not in cell_tags, text


@pytest.mark.parametrize("path", BOTH, ids=both_ids)
def test_solutions_are_collapsed_and_run_only_when_meant_to(path: Path) -> None:
    # A learner's Run All must stop at the exercise's verify cell, not solve it: every solution
    # code cell is guarded by ph.solutions_run() (on in headless runs and after show_solutions()).
    for cell in load(path)["cells"]:
        if "solution" not in tags(cell):
            continue
        assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True, source(cell)
        if cell["cell_type"] == "code":
            first = source(cell).splitlines()[0]
            assert first.startswith("if ") and "ph.solutions_run()" in first, source(cell)


EXERCISED = [p for p in NOTEBOOKS if 1 <= int(p.name[:2]) <= 7]


@pytest.mark.parametrize("path", EXERCISED, ids=[p.stem for p in EXERCISED])
def test_learners_do_an_exercise(path: Path) -> None:
    # Each "Your turn": prompt, the learner's cell, a collapsed solution, then a verify cell.
    cells = load(path)["cells"]
    starts = [i for i, c in enumerate(cells) if source(c).startswith("## Your turn")]
    assert starts, "no '## Your turn' section"
    for start in starts:
        end = next(
            (i for i in range(start + 1, len(cells)) if source(cells[i]).startswith("## ")),
            len(cells),
        )
        code = [c for c in cells[start:end] if c["cell_type"] == "code"]
        learner, solution, verify = code[0], code[1], code[-1]
        assert "solution" not in tags(learner) and "= ..." in source(learner)
        assert "solution" in tags(solution)
        assert re.fullmatch(
            r"ph\.check_\w+_answer\(session, \w+\)\.raise_if_failed\(\)", source(verify)
        )


@pytest.mark.parametrize("path", EXERCISED[:-1], ids=[p.stem for p in EXERCISED[:-1]])
def test_departures_from_the_article_are_said(path: Path) -> None:
    text = "".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    assert "**Differences from the article.**" in text

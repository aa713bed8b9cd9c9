"""`make handout`: the learner edition holds no solution, by tag, in any notebook."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools.make_handout import REPO, is_solution, learner_edition, make_handout
from tools.notebook_lab import notebook_paths

NOTEBOOKS = notebook_paths()


@pytest.fixture(scope="module")
def handout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("handout")
    make_handout(NOTEBOOKS[0].parent, target)
    return target


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def solution_sources() -> set[str]:
    return {c.source for p in NOTEBOOKS for c in read(p).cells if is_solution(c)}


PLAIN = [p for p in NOTEBOOKS if not any(is_solution(c) for c in read(p).cells)]


def test_the_notebooks_have_solutions_to_strip() -> None:
    assert solution_sources(), "no cell tagged `solution` in notebooks/: nothing is tested"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_solution_remains_in_the_learner_edition(handout: Path, path: Path) -> None:
    learner = read(handout / "learner" / path.name)
    secret = solution_sources()
    assert not [c for c in learner.cells if is_solution(c)]
    assert not [c.source for c in learner.cells if c.source in secret]
    nbformat.validate(learner)


@pytest.mark.parametrize("path", PLAIN, ids=[p.stem for p in PLAIN])
def test_notebooks_without_solutions_are_handed_out_as_stored(handout: Path, path: Path) -> None:
    assert (handout / "learner" / path.name).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_instructor_edition_keeps_every_cell_and_opens_solutions(
    handout: Path, path: Path
) -> None:
    stored, instructor = read(path), read(handout / "instructor" / path.name)
    assert [c.source for c in instructor.cells] == [c.source for c in stored.cells]
    assert [c.get("outputs") for c in instructor.cells] == [c.get("outputs") for c in stored.cells]
    assert not [c for c in instructor.cells if is_solution(c) and "jupyter" in c.metadata]


def test_the_instructor_edition_carries_the_guide(handout: Path) -> None:
    assert (handout / "instructor" / "guide.md").is_file()
    assert (handout / "instructor" / "preflight.md").is_file()
    notebooks_index = (NOTEBOOKS[0].parent / "README.md").read_text(encoding="utf-8")
    for edition in ("learner", "instructor"):
        assert (handout / edition / "README.md").read_text(encoding="utf-8") == notebooks_index
    assert not (handout / "learner" / "guide.md").exists()


def exercise_book() -> nbformat.NotebookNode:
    ran = [new_output("stream", name="stdout", text="✓ ok\n")]
    return new_notebook(
        cells=[
            new_markdown_cell("# 42 · Any notebook"),
            new_code_cell("setup()", outputs=ran, execution_count=1),
            new_markdown_cell("## Step 1: an exercise"),
            new_code_cell("break_it()", outputs=ran, execution_count=2),
            new_markdown_cell("**Solution.** the answer", metadata={"tags": ["solution"]}),
            new_code_cell("fix()", metadata={"tags": ["solution"]}, outputs=ran, execution_count=3),
            new_code_cell("verify()", outputs=ran, execution_count=4),
            new_markdown_cell("## Step 2: no exercise"),
            new_code_cell("more()", outputs=ran, execution_count=5),
        ]
    )


def test_stripping_works_by_tag_and_clears_only_the_exercise_sections() -> None:
    book = exercise_book()
    learner = learner_edition(book)
    assert [c.source for c in learner.cells] == [
        "# 42 · Any notebook",
        "setup()",
        "## Step 1: an exercise",
        "break_it()",
        "verify()",
        "## Step 2: no exercise",
        "more()",
    ]
    ran = {c.source: (c.execution_count, len(c.outputs)) for c in learner.cells if "outputs" in c}
    assert ran == {
        "setup()": (1, 1),
        "break_it()": (None, 0),
        "verify()": (None, 0),
        "more()": (5, 1),
    }
    assert len(book.cells) == 9, "the notebook given is left unchanged"


def test_the_japanese_edition_is_handed_out_beside_the_english_one(tmp_path: Path) -> None:
    source = tmp_path / "notebooks"
    (source / "ja").mkdir(parents=True)
    with_solutions = next(p for p in NOTEBOOKS if p not in PLAIN)
    for folder in (source, source / "ja"):
        shutil.copy(with_solutions, folder / with_solutions.name)
    shutil.copy(NOTEBOOKS[0].parent / "README.md", source / "README.md")
    shutil.copy(NOTEBOOKS[0].parent / "ja" / "README.md", source / "ja" / "README.md")
    assert make_handout(source, tmp_path / "handout") == [with_solutions.name]
    japanese = tmp_path / "handout" / "ja"
    learner = read(japanese / "learner" / with_solutions.name)
    assert not [c for c in learner.cells if is_solution(c)]
    assert len(read(japanese / "instructor" / with_solutions.name).cells) > len(learner.cells)
    for guide in ("guide.md", "preflight.md"):
        kit = (REPO / "instructor" / "ja" / guide).read_text(encoding="utf-8")
        assert (japanese / "instructor" / guide).read_text(encoding="utf-8") == kit
    index = (japanese / "learner" / "README.md").read_text(encoding="utf-8")
    assert index.startswith("[English](../README.md) | **日本語**")
    assert "ja/" in (tmp_path / "handout" / "README.md").read_text(encoding="utf-8")


def test_the_handout_has_a_ja_folder_exactly_when_the_notebooks_have_one(handout: Path) -> None:
    has_japanese = any((NOTEBOOKS[0].parent / "ja").glob("[0-9][0-9]-*.ipynb"))
    assert (handout / "ja" / "learner").is_dir() == has_japanese

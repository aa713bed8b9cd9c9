"""Write the handout: learner notebooks without solutions, and an instructor edition beside them.

    .venv/bin/python tools/make_handout.py notebooks dist/handout      (what `make handout` runs)

Works by tag, for any notebook: cells tagged `solution` are removed from the learner edition,
and in every section (a `## ` heading) that held one, the code cells' outputs are cleared, so
the stored break/symptom/verify outputs do not give the answer away. Everything else stays as
stored. The instructor edition keeps every cell and opens the collapsed solutions.
The Japanese edition (`<source>/ja/`, the same file names) gets the same two editions in
`<target>/ja/`, with the Japanese guides.
"""

from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path

import nbformat
from nbformat import NotebookNode

SOLUTION_TAG = "solution"
SECTION_PREFIX = "## "
REPO = Path(__file__).resolve().parent.parent
# What the instructor edition carries beside the notebooks (instructor/README.md indexes the kit
# in the repository; in the handout, README.md is the notebooks' index).
GUIDES = ("guide.md", "preflight.md")
# The Japanese edition's folder, under the notebooks, the instructor's kit and the handout.
JAPANESE = "ja"

HANDOUT_README = """\
# podid tutorial: handout

- `learner/`: the notebooks for learners. Solutions are removed and the exercises' outputs are
  cleared; everything else shows the outputs of a lab run, so learners see what to expect.
- `instructor/`: every cell, solutions open, and the instructor's guide and preflight checklist.
- `ja/`: the Japanese edition (日本語版), laid out the same way, when the notebooks have one.

Learners open `learner/` in JupyterLab with the lab running (`podid-lab start`).
"""


def tags(cell: NotebookNode) -> list[str]:
    """The cell's tags (an empty list when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def is_solution(cell: NotebookNode) -> bool:
    """True for a cell an instructor keeps to themself."""
    return SOLUTION_TAG in tags(cell)


def section_starts(cell: NotebookNode) -> bool:
    """True for a Markdown cell that opens a `## ` section."""
    return cell.cell_type == "markdown" and cell.source.lstrip().startswith(SECTION_PREFIX)


def sections(cells: list[NotebookNode]) -> list[list[NotebookNode]]:
    """The cells grouped by `## ` section (anything before the first heading is a section too)."""
    groups: list[list[NotebookNode]] = [[]]
    for cell in cells:
        if section_starts(cell) and groups[-1]:
            groups.append([])
        groups[-1].append(cell)
    return groups


def clear_outputs(cell: NotebookNode) -> None:
    """Leave a code cell as if it had never run."""
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None


def learner_edition(book: NotebookNode) -> NotebookNode:
    """The notebook without solutions, and with its exercise sections' outputs cleared."""
    learner = copy.deepcopy(book)
    kept: list[NotebookNode] = []
    for group in sections(learner.cells):
        if any(is_solution(cell) for cell in group):
            group = [cell for cell in group if not is_solution(cell)]
            for cell in group:
                clear_outputs(cell)
        kept.extend(group)
    learner.cells = kept
    return learner


def instructor_edition(book: NotebookNode) -> NotebookNode:
    """Every cell as stored, with the collapsed solutions opened."""
    instructor = copy.deepcopy(book)
    for cell in instructor.cells:
        if is_solution(cell):
            cell.metadata.pop("jupyter", None)
    return instructor


def write(book: NotebookNode, path: Path) -> None:
    """Write a notebook as the repository stores them (validated, trailing newline)."""
    nbformat.validate(book)
    path.write_text(nbformat.writes(book) + "\n", encoding="utf-8")


def write_editions(source: Path, target: Path, guides: Path) -> list[str]:
    """Write both editions of every `NN-*.ipynb` in `source`, with its README and the guides
    from `guides`, to `target`/learner and `target`/instructor; return the notebooks' names."""
    notebooks = sorted(source.glob("[0-9][0-9]-*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no notebooks (NN-*.ipynb) in {source}")
    learner_dir, instructor_dir = target / "learner", target / "instructor"
    learner_dir.mkdir(parents=True)
    instructor_dir.mkdir()
    for path in notebooks:
        book = nbformat.read(path, as_version=4)
        write(learner_edition(book), learner_dir / path.name)
        write(instructor_edition(book), instructor_dir / path.name)
    for folder in (learner_dir, instructor_dir):
        shutil.copy(source / "README.md", folder / "README.md")
    for guide in GUIDES:
        shutil.copy(guides / guide, instructor_dir / guide)
    return [path.name for path in notebooks]


def make_handout(source: Path, target: Path) -> list[str]:
    """Write both editions of every `NN-*.ipynb` in `source` (and in `source`/ja, when it has
    any) to `target`; return the English notebooks' names."""
    shutil.rmtree(target, ignore_errors=True)
    names = write_editions(source, target, REPO / "instructor")
    if any((source / JAPANESE).glob("[0-9][0-9]-*.ipynb")):
        write_editions(source / JAPANESE, target / JAPANESE, REPO / "instructor" / JAPANESE)
    (target / "README.md").write_text(HANDOUT_README, encoding="utf-8")
    return names


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    names = make_handout(Path(argv[0]), Path(argv[1]))
    print(
        f"{len(names)} notebooks, two editions each, in {argv[1]}/learner and {argv[1]}/instructor"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

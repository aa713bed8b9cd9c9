"""Build the introduction's slides: instructor/slides/intro.html with reveal.js, offline, and
the Japanese deck instructor/ja/slides/intro.html into ja/.

    python3 tools/build_slides.py dist/slides      (what `make slides` runs; open index.html)

reveal.js and mermaid come from tools/vendor (npm, fetched by `make slides`), copied beside the
page, so the deck needs no network in the room. A `<!-- mermaid:NN-name -->` marker in the
page becomes the first Mermaid diagram of that notebook in the deck's own edition (the English
notebook's until the Japanese one exists), so the slide and the notebook show the same flow.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from static_pages import MERMAID_JS, NODE_MODULES, REPO, command, require_vendored

NOTEBOOKS = REPO / "notebooks"
# Each deck: the folder it is built into, its page, and the notebooks its diagrams come from.
DECKS = {
    "": (REPO / "instructor" / "slides" / "intro.html", NOTEBOOKS),
    "ja": (REPO / "instructor" / "ja" / "slides" / "intro.html", NOTEBOOKS / "ja"),
}
# What the deck loads, relative to reveal.js's package (the white theme's fonts are local).
REVEAL_FILES = ("dist/reset.css", "dist/reveal.css", "dist/reveal.js", "dist/theme/white.css")
REVEAL_FOLDERS = ("dist/theme/fonts/source-sans-pro", "plugin/notes")
MARKER = re.compile(r"<!-- mermaid:([0-9]{2}-[a-z0-9-]+) -->")
FENCE = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


def notebook_diagram(name: str, folder: Path = NOTEBOOKS) -> str:
    """The first Mermaid diagram in <folder>/<name>.ipynb's Markdown (notebooks/ when the
    folder's edition has no such notebook yet)."""
    path = folder / f"{name}.ipynb"
    if not path.exists():
        path = NOTEBOOKS / f"{name}.ipynb"
    book = json.loads(path.read_text(encoding="utf-8"))
    for cell in book["cells"]:
        source = "".join(cell["source"]) if cell["cell_type"] == "markdown" else ""
        found = FENCE.search(source)
        if found:
            return found.group(1)
    raise SystemExit(f"no ```mermaid diagram in {path.relative_to(REPO)}")


def with_diagrams(page: str, folder: Path = NOTEBOOKS) -> str:
    """The page with each marker replaced by the diagram of the notebook in `folder`."""
    return MARKER.sub(
        lambda m: f'<div class="mermaid">{escape(notebook_diagram(m.group(1), folder))}</div>',
        page,
    )


def vendor(target: Path) -> None:
    """Copy reveal.js (what the deck loads) and mermaid beside the page."""
    reveal = NODE_MODULES / "reveal.js"
    require_vendored(reveal, MERMAID_JS)
    for name in REVEAL_FILES:
        out = target / "reveal" / name.removeprefix("dist/")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(reveal / name, out)
    for name in REVEAL_FOLDERS:
        shutil.copytree(reveal / name, target / "reveal" / name.removeprefix("dist/"))
    shutil.copy(MERMAID_JS, target / "mermaid.min.js")


def build(target: Path) -> None:
    """Write the decks to `target`/index.html and `target`/ja/index.html, beside what they load."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    vendor(target)
    for folder, (deck, notebooks) in DECKS.items():
        page = with_diagrams(deck.read_text(encoding="utf-8"), notebooks)
        (target / folder).mkdir(exist_ok=True)
        (target / folder / "index.html").write_text(page, encoding="utf-8")


main = command(build, __doc__, "slides")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Build the introduction's slides: instructor/slides/intro.html with reveal.js, offline.

    python3 tools/build_slides.py dist/slides      (what `make slides` runs; open index.html)

reveal.js and mermaid come from tools/vendor (npm, fetched by `make slides`), copied beside the
page, so the deck needs no network in the room. A `<!-- mermaid:NN-name -->` marker in the
page becomes the first Mermaid diagram of that notebook, so the slide and the notebook show
the same flow.
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

DECK = REPO / "instructor" / "slides" / "intro.html"
# What the deck loads, relative to reveal.js's package (the white theme's fonts are local).
REVEAL_FILES = ("dist/reset.css", "dist/reveal.css", "dist/reveal.js", "dist/theme/white.css")
REVEAL_FOLDERS = ("dist/theme/fonts/source-sans-pro", "plugin/notes")
MARKER = re.compile(r"<!-- mermaid:([0-9]{2}-[a-z0-9-]+) -->")
FENCE = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


def notebook_diagram(name: str) -> str:
    """The first Mermaid diagram in notebooks/<name>.ipynb's Markdown."""
    book = json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    for cell in book["cells"]:
        source = "".join(cell["source"]) if cell["cell_type"] == "markdown" else ""
        found = FENCE.search(source)
        if found:
            return found.group(1)
    raise SystemExit(f"no ```mermaid diagram in notebooks/{name}.ipynb")


def with_diagrams(page: str) -> str:
    """The page with each marker replaced by the notebook's diagram."""
    return MARKER.sub(
        lambda m: f'<div class="mermaid">{escape(notebook_diagram(m.group(1)))}</div>', page
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
    """Write the deck to `target`/index.html with everything it loads."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    vendor(target)
    page = with_diagrams(DECK.read_text(encoding="utf-8"))
    (target / "index.html").write_text(page, encoding="utf-8")


main = command(build, __doc__, "slides")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Build the introduction's slides: instructor/slides/intro.html with reveal.js, offline, and
the Japanese deck (instructor/ja/slides/intro.html: a title and slides, set in the English page).

    python3 tools/build_slides.py dist/slides      (what `make slides` runs; open index.html,
                                                    or ja.html for the Japanese deck)

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
DECK = REPO / "instructor" / "slides" / "intro.html"
# The Japanese deck: its <title> and <section>s, and the notebooks its diagrams come from.
JAPANESE_DECK = REPO / "instructor" / "ja" / "slides" / "intro.html"
JAPANESE_NOTEBOOKS = NOTEBOOKS / "ja"
TITLE = re.compile(r"<title>.*?</title>", re.DOTALL)
SLIDES_START, SLIDES_END = '<div class="slides">\n', "\n</div></div>\n"
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


def in_page(page: str, deck: str, language: str) -> str:
    """The English deck's page (its styles and scripts) with another deck's title and slides."""
    title = TITLE.search(deck)
    if title is None or "<section>" not in deck:
        raise SystemExit("a translated deck needs a <title> and its <section>s")
    head, found, rest = page.partition(SLIDES_START)
    _, ended, tail = rest.partition(SLIDES_END)
    if not (found and ended):
        raise SystemExit(f"the English deck has no {SLIDES_START!r} … {SLIDES_END!r} to fill")
    slides = deck[deck.index("<section>") :].strip()
    head = TITLE.sub(title.group(0), head).replace('<html lang="en">', f'<html lang="{language}">')
    return f"{head}{SLIDES_START}\n{slides}\n{SLIDES_END}{tail}"


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
    """Write the decks to `target`/index.html and `target`/ja.html, beside what they load."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    vendor(target)
    page = DECK.read_text(encoding="utf-8")
    (target / "index.html").write_text(with_diagrams(page), encoding="utf-8")
    japanese = in_page(page, JAPANESE_DECK.read_text(encoding="utf-8"), "ja")
    (target / "ja.html").write_text(with_diagrams(japanese, JAPANESE_NOTEBOOKS), encoding="utf-8")


main = command(build, __doc__, "slides")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Build the offline site of the tutorial: index.html and one page per notebook, outputs as stored.

    .venv/bin/python tools/build_site.py dist/site       (what `make site` runs)

Needs the `site` extras (Sphinx, myst-nb) and the JavaScript `make site` vendors from npm into
tools/vendor. The notebooks are not run: the pages show the outputs committed with them. The
Japanese edition (notebooks/ja/NN-*.ipynb) gets pages under ja/ once it exists, opened by its
index (notebooks/ja/README.md) and closed by the glossary (docs/glossary.ja.md).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_handout import is_solution
from static_pages import MERMAID_JS, REPO, command, require_vendored

NOTEBOOKS = REPO / "notebooks"
SETTINGS = REPO / "tools" / "site"
# Where the notebooks' README stops speaking to learners.
AUTHORS_HEADING = "## For authors"
# Solutions are collapsed as in JupyterLab, with <details> (no JavaScript): myst-nb's tag for
# code cells, and raw HTML around Markdown cells (MyST parses the Markdown between the tags).
COLLAPSED_TAG = "hide-cell"
OPEN_DETAILS = '<details class="solution"><summary>Solution (try first)</summary>\n\n'
CLOSE_DETAILS = "\n\n</details>"
MERMAID_INIT = "mermaid.initialize({startOnLoad: true, securityLevel: 'strict'});\n"
# The Japanese edition's own pages on the site, and where their repository links lead there.
JAPANESE_PAGES = {
    "index": NOTEBOOKS / "ja" / "README.md",
    "glossary": REPO / "docs" / "glossary.ja.md",
}
SITE_LINKS = {"](../README.md": "](../index.md", "](../../docs/glossary.ja.md)": "](glossary.md)"}


def editions(notebooks: Path = NOTEBOOKS) -> dict[str, list[Path]]:
    """The notebooks per language folder of the site: '' (English) and 'ja' when present."""
    found = {"": sorted(notebooks.glob("[0-9][0-9]-*.ipynb"))}
    japanese = sorted((notebooks / "ja").glob("[0-9][0-9]-*.ipynb"))
    if japanese:
        found["ja"] = japanese
    return found


def index_page(books: dict[str, list[Path]], readme: str) -> str:
    """The site's front page: the notebooks' README for learners, then the table of contents."""
    text = readme.split(AUTHORS_HEADING)[0].rstrip() + "\n"
    if "ja" in books:
        text = text.replace("](ja/README.md)", "](ja/index.md)")
    for folder, paths in books.items():
        caption = "日本語" if folder == "ja" else "Notebooks"
        names = [p.stem for p in paths]
        if folder == "ja":
            names = ["index", *names, "glossary"]
        entries = "\n".join(f"{folder}/{name}" if folder else name for name in names)
        text += f"\n```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n:hidden:\n\n{entries}\n```\n"
    return text


def copy_notebook(path: Path, target: Path) -> None:
    """Copy a notebook for the site, its solutions collapsed as they are in JupyterLab."""
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if is_solution(cell) and cell.cell_type == "code":
            cell.metadata["tags"] = [*cell.metadata.get("tags", []), COLLAPSED_TAG]
        elif is_solution(cell):
            cell.source = OPEN_DETAILS + cell.source + CLOSE_DETAILS
    nbformat.write(book, target)


def japanese_page(markdown: str) -> str:
    """A Japanese document as a site page: no language switcher, links that lead on the site."""
    lines = markdown.splitlines(keepends=True)
    if lines and "](../" in lines[0] and "|" in lines[0]:
        lines = lines[1:]
    text = "".join(lines).lstrip()
    for repository_link, site_link in SITE_LINKS.items():
        text = text.replace(repository_link, site_link)
    return text


def stage(source: Path) -> None:
    """Lay out a Sphinx source folder: settings, pages, and the vendored JavaScript."""
    require_vendored(MERMAID_JS)
    for name in ("conf.py", "mermaid_blocks.py"):
        shutil.copy(SETTINGS / name, source / name)
    books = editions()
    for folder, paths in books.items():
        (source / folder).mkdir(exist_ok=True)
        for path in paths:
            copy_notebook(path, source / folder / path.name)
    if "ja" in books:
        for name, path in JAPANESE_PAGES.items():
            page = japanese_page(path.read_text(encoding="utf-8"))
            (source / "ja" / f"{name}.md").write_text(page, encoding="utf-8")
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    (source / "index.md").write_text(index_page(books, readme), encoding="utf-8")
    static = source / "_static"
    static.mkdir()
    shutil.copy(MERMAID_JS, static / "mermaid.min.js")
    (static / "mermaid-init.js").write_text(MERMAID_INIT, encoding="utf-8")


def build(target: Path) -> None:
    """Build the site into `target` (replacing what was there)."""
    with tempfile.TemporaryDirectory(prefix="podid-site-") as temp:
        # Sphinx and myst-nb write beside the output folder too (doctrees, jupyter_execute),
        # so everything is built in the temp folder and only the site is copied out.
        source, html = Path(temp) / "source", Path(temp) / "html"
        source.mkdir()
        stage(source)
        subprocess.run(
            [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-n", str(source), str(html)],
            check=True,
        )
        for leftover in (".doctrees", "_sources", ".buildinfo"):
            path = html / leftover
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(html, target)


main = command(build, __doc__, "site")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

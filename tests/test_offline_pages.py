"""`make site` and `make slides`: static pages that need no network, built and opened offline."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from offline import no_network

from tools.build_site import editions, index_page, japanese_page
from tools.notebook_lab import notebook_paths

REPO = Path(__file__).resolve().parent.parent
VENDOR = REPO / "tools" / "vendor"
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOKS = notebook_paths()

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# What makes a reference leave the machine: a scheme with a host, or a protocol-relative URL.
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")
LOADING = {"script": ("src",), "link": ("href",), "img": ("src", "srcset")}


class References(HTMLParser):
    """Collects what a page loads: script src, link href, img src/srcset."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = LOADING.get(tag, ())
        self.found += [value for name, value in attrs if name in wanted and value]


def loaded_by(page: str) -> list[str]:
    """Every URL the page loads through a script, link or img tag."""
    parser = References()
    parser.feed(page)
    return parser.found


def external_references(folder: Path) -> list[str]:
    """`file: url` for every external URL an HTML page or stylesheet in `folder` loads."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".html":
            urls = loaded_by(path.read_text(encoding="utf-8"))
        elif path.suffix == ".css":
            urls = CSS_URL.findall(path.read_text(encoding="utf-8"))
        else:
            continue
        found += [f"{path.relative_to(folder)}: {u}" for u in urls if EXTERNAL.match(u)]
    return found


def needs(what: str, hint: str) -> None:
    """Skip with a reason, except in CI, where everything must be there."""
    message = f"{what} is not available here: {hint}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: the offline pages must be tested)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def vendored() -> Path:
    """tools/vendor/node_modules, fetched with npm ci as `make site` does."""
    if not (VENDOR / "node_modules" / "mermaid").is_dir():
        if shutil.which("npm") is None:
            needs("npm", "install Node.js and npm once to vendor mermaid and reveal.js")
        subprocess.run(
            ["npm", "ci", "--prefix", str(VENDOR), "--no-audit", "--no-fund", "--loglevel=error"],
            check=True,
        )
    return VENDOR / "node_modules"


@pytest.fixture(scope="module")
def site(vendored: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("myst_nb", reason="make site installs the site extras (.[site])")
    target = tmp_path_factory.mktemp("site")
    build = REPO / "tools" / "build_site.py"
    subprocess.run([*no_network(), sys.executable, str(build), str(target)], check=True)
    return target


@pytest.fixture(scope="module")
def slides(vendored: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("slides")
    build = REPO / "tools" / "build_slides.py"
    subprocess.run([*no_network(), sys.executable, str(build), str(target)], check=True)
    return target


def test_the_checker_finds_external_urls(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<script src="https://cdn.example/x.js"></script><script src="_static/y.js"></script>'
        '<link rel="stylesheet" href="//fonts.example/css"><img src="pic.png">'
        '<img srcset="HTTP://img.example/p.png 2x"><a href="https://example.org">fine</a>'
    )
    (tmp_path / "b.css").write_text("@import url(https://fonts.example/a.css); x{y:url(f.woff)}")
    assert external_references(tmp_path) == [
        "a.html: https://cdn.example/x.js",
        "a.html: //fonts.example/css",
        "a.html: HTTP://img.example/p.png 2x",
        "b.css: https://fonts.example/a.css",
    ]


def test_the_japanese_edition_gets_its_own_contents_once_it_exists(tmp_path: Path) -> None:
    for name in ("00-intro.ipynb", "01-next.ipynb", "ja/00-intro.ipynb", "notes.ipynb"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("{}")
    books = editions(tmp_path)
    assert {folder: [p.name for p in paths] for folder, paths in books.items()} == {
        "": ["00-intro.ipynb", "01-next.ipynb"],
        "ja": ["00-intro.ipynb"],
    }
    readme = "# The notebooks\n\n[日本語](ja/README.md) learners\n\n## For authors\n\nnot here\n"
    page = index_page(books, readme)
    assert "not here" not in page
    assert "[日本語](ja/index.md) learners" in page, "the Japanese index is a page of the site"
    assert ":caption: Notebooks\n:maxdepth: 1\n:hidden:\n\n00-intro\n01-next\n```" in page
    assert (
        ":caption: 日本語\n:maxdepth: 1\n:hidden:\n\nja/index\nja/00-intro\nja/glossary\n```"
        in page
    )


def test_the_japanese_index_and_glossary_become_site_pages_with_site_links() -> None:
    index = japanese_page(
        "[English](../README.md) | **日本語**\n\n# 一覧\n[用語集](../../docs/glossary.ja.md)\n"
    )
    assert index == "# 一覧\n[用語集](glossary.md)\n"
    assert japanese_page("# 用語集\n\n[英語版](../README.md#for-authors)") == (
        "# 用語集\n\n[英語版](../index.md#for-authors)"
    )


def test_the_site_loads_nothing_from_the_network(site: Path) -> None:
    assert external_references(site) == []


def test_the_site_has_an_index_and_a_page_per_notebook(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f'href="{path.stem}.html"' in index, path.name
        page = (site / f"{path.stem}.html").read_text(encoding="utf-8")
        title = json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"][0]
        assert title.removeprefix("# ").split(":")[0].strip() in page
        assert "cell_output" in page, f"{path.name}: its stored outputs are on the page"


def test_the_site_draws_mermaid_locally_and_collapses_solutions(site: Path) -> None:
    intro = (site / "00-introduction.html").read_text(encoding="utf-8")
    assert '<pre class="mermaid">flowchart LR' in intro
    assert "_static/mermaid.min.js" in [url.split("?")[0] for url in loaded_by(intro)]
    assert (site / "_static" / "mermaid.min.js").stat().st_size > 1_000_000
    troubleshooting = (site / "08-troubleshooting.html").read_text(encoding="utf-8")
    assert troubleshooting.count('<details class="solution">') >= 8


def test_the_slides_load_nothing_from_the_network(slides: Path) -> None:
    assert external_references(slides) == []
    page = (slides / "index.html").read_text(encoding="utf-8")
    assert [u for u in loaded_by(page) if not (slides / u).is_file()] == []


def test_the_slides_tell_the_story_the_nmi_flow_and_the_status(slides: Path) -> None:
    page = (slides / "index.html").read_text(encoding="utf-8")
    assert "The story" in page
    assert '<div class="mermaid">flowchart LR' in page, "the NMI flow, taken from notebook 00"
    assert "September 2025" in page and "Workload ID" in page
    assert "<!-- mermaid:" not in page


def test_the_japanese_slides_tell_the_same_story_from_the_same_files(slides: Path) -> None:
    page = (slides / "ja.html").read_text(encoding="utf-8")
    assert [u for u in loaded_by(page) if not (slides / u).is_file()] == []
    assert '<html lang="ja">' in page and "今日の物語" in page
    assert '<div class="mermaid">flowchart LR' in page, "the NMI flow, taken from notebook 00"
    assert "2025 年 9 月" in page and "ワークロード ID" in page
    assert "<!-- mermaid:" not in page


PAGES = {"site": "00-introduction.html", "slides": "index.html", "slides/ja": "ja.html"}


@pytest.mark.parametrize("which", PAGES)
def test_the_diagram_draws_in_a_browser_with_no_network(
    which: str, request: pytest.FixtureRequest
) -> None:
    if not CHROMIUM.exists():
        needs("Chromium", "sudo apt-get install chromium")
    from playwright.sync_api import sync_playwright

    folder: Path = request.getfixturevalue(which.split("/")[0])
    page_file = folder / PAGES[which]
    asked: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page()
        offline = re.compile(r"^(?!file:)")
        page.route(offline, lambda route: (asked.append(route.request.url), route.abort()))
        page.goto(page_file.as_uri() + ("#/2" if which.startswith("slides") else ""))
        page.locator(".mermaid svg").first.wait_for(timeout=30_000)
        browser.close()
    assert asked == [], "the page tried to reach the network"

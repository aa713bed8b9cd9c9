"""What the offline site and the slides share: the vendored JavaScript and the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Filled by `npm ci --prefix tools/vendor` (make site, make slides), versions from its lock file.
NODE_MODULES = REPO / "tools" / "vendor" / "node_modules"
MERMAID_JS = NODE_MODULES / "mermaid" / "dist" / "mermaid.min.js"


def require_vendored(*paths: Path) -> None:
    """Stop with the way forward when npm has not fetched what a page loads."""
    missing = [str(p.relative_to(REPO)) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: `make site` or `make slides` runs npm ci")


def command(build: Callable[[Path], None], usage: str, what: str) -> Callable[[list[str]], int]:
    """A main(argv) that builds into the one folder it is given and says where the page is."""

    def main(argv: list[str]) -> int:
        if len(argv) != 1:
            print(usage)
            return 2
        target = Path(argv[0])
        build(target)
        print(f"{what}: {target / 'index.html'}")
        return 0

    return main

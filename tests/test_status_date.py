"""The status of what is taught carries one date everywhere: README, notebooks, instructor kit."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The one place for the date the status was last checked against Microsoft's pages: change it
# here after checking again, and this test lists every file that still says the old one.
STATUS_CHECKED = "August 2026"
DATED = re.compile(
    r"\bchecked ((?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December) \d{4}|\d{4}-\d{2}(?:-\d{2})?)"
)


def texts() -> list[Path]:
    found = [REPO / "README.md", *sorted((REPO / "notebooks").glob("*.ipynb"))]
    return found + sorted(
        p for p in (REPO / "instructor").rglob("*") if p.suffix in (".md", ".html")
    )


def test_every_status_line_has_the_one_date() -> None:
    seen = {str(p.relative_to(REPO)): DATED.findall(p.read_text(encoding="utf-8")) for p in texts()}
    wrong = {name: dates for name, dates in seen.items() if set(dates) - {STATUS_CHECKED}}
    assert not wrong, f"status dates other than {STATUS_CHECKED!r}: {wrong}"
    # README and 00 state the status; both must carry the date.
    assert seen["README.md"] and seen["notebooks/00-introduction.ipynb"]

"""The instructor's guide, in English and Japanese, keeps time with the notebooks: every notebook,
its minutes, no gaps."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from tools.notebook_lab import notebook_paths

INSTRUCTOR = Path(__file__).resolve().parent.parent / "instructor"
# Each edition: its file, and the headings of its two timetables (3 hours, 90 minutes).
GUIDES = {
    "en": (INSTRUCTOR / "guide.md", "## Timetable: 3 hours", "## Timetable: 90 minutes"),
    "ja": (INSTRUCTOR / "ja" / "guide.md", "## 時間割: 3 時間", "## 時間割: 90 分"),
}
TIMETABLES = [
    (edition, heading, length)
    for edition, (_, three_hours, ninety) in GUIDES.items()
    for heading, length in ((three_hours, 180), (ninety, 90))
]
ROW = re.compile(r"^\| (\d+):(\d\d) \| (\d+) \| (.*?) \|", re.MULTILINE)
NOTEBOOK_ROW = re.compile(r"^\*\*(\d\d)\*\* ")


def stated_minutes(path: Path) -> int:
    """The minutes the notebook announces in its first cell (`*About N minutes.*`)."""
    first = "".join(json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"])
    found = re.search(r"\*About (\d+) minutes\.\*", first)
    assert found, f"{path.name} states no minutes"
    return int(found.group(1))


def timetable(edition: str, heading: str) -> list[tuple[int, int, str]]:
    """(start minute, minutes, what) for each row of the table under `heading`."""
    text = GUIDES[edition][0].read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return [(int(h) * 60 + int(m), int(n), what) for h, m, n, what in ROW.findall(section)]


@pytest.mark.parametrize(("edition", "heading", "length"), TIMETABLES)
def test_a_timetable_runs_without_gaps_to_its_end(edition: str, heading: str, length: int) -> None:
    rows = timetable(edition, heading)
    assert rows and rows[0][0] == 0
    for (start, minutes, what), (following, _, _) in itertools.pairwise(rows):
        assert start + minutes == following, (
            f"{what}: ends at {start + minutes}, next at {following}"
        )
    assert rows[-1][0] + rows[-1][1] == length


@pytest.mark.parametrize("edition", GUIDES)
def test_the_three_hours_give_every_notebook_its_stated_minutes(edition: str) -> None:
    given = {}
    for _, minutes, what in timetable(edition, GUIDES[edition][1]):
        found = NOTEBOOK_ROW.match(what)
        if found:
            given[found.group(1)] = minutes
    assert given == {p.name[:2]: stated_minutes(p) for p in notebook_paths()}


@pytest.mark.parametrize("edition", GUIDES)
def test_every_notebook_has_its_section_with_its_minutes(edition: str) -> None:
    text = GUIDES[edition][0].read_text(encoding="utf-8")
    for path in notebook_paths():
        heading = re.search(rf"^### {path.name[:2]} · .*\((\d+) (?:min|分)", text, re.MULTILINE)
        assert heading, f"no section for {path.name}"
        assert int(heading.group(1)) == stated_minutes(path), path.name

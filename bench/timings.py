"""Print where a test run's time went: the slowest tests and each notebook's total.

`make test` leaves a JUnit XML file in test-artifacts/; `make timings` prints this report from it,
so a closing note can quote the numbers of the last run. Durations are pytest's (set-up, call and
tear-down) as each worker measured them, so their sum exceeds the run's wall time.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

LAST_RUN = Path(__file__).resolve().parent.parent / "test-artifacts" / "junit.xml"


@dataclass(frozen=True)
class Timed:
    """One test case's name (as `pytest` would select it) and its seconds."""

    name: str
    seconds: float
    notebook: str | None


def read_junit(path: Path) -> list[Timed]:
    """Every test case of one JUnit XML file, with its duration."""
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        seconds = float(case.get("time") or 0.0)
        if ".ipynb" in classname:
            # nbval: classname "notebooks.00-introduction.ipynb" or, for the Japanese edition,
            # "notebooks.ja.00-introduction.ipynb"; name "Cell 3".
            stem = classname.removeprefix("notebooks.").removesuffix(".ipynb")
            notebook = stem.replace(".", "/") + ".ipynb"
            cases.append(Timed(f"{notebook}::{name}", seconds, notebook))
        else:
            cases.append(Timed(f"{classname}::{name}", seconds, None))
    return cases


def notebook_totals(cases: list[Timed]) -> dict[str, float]:
    """Each notebook's seconds (its cells and its kernel's start), in series order."""
    totals: dict[str, float] = defaultdict(float)
    for case in cases:
        if case.notebook is not None:
            totals[case.notebook] += case.seconds
    return dict(sorted(totals.items()))


def report(cases: list[Timed], slowest: int = 20) -> str:
    """The text `make timings` prints."""
    tests = sorted((c for c in cases if c.notebook is None), key=lambda c: -c.seconds)
    lines = [f"{len(tests)} tests, {sum(c.seconds for c in tests):.1f} s summed over workers"]
    lines.append(f"the {min(slowest, len(tests))} slowest:")
    lines += [f"  {c.seconds:7.2f} s  {c.name}" for c in tests[:slowest]]
    totals = notebook_totals(cases)
    if totals:
        lines.append(f"notebooks: {sum(totals.values()):.1f} s in all")
        lines += [f"  {seconds:7.2f} s  {name}" for name, seconds in totals.items()]
        editions: dict[str, float] = defaultdict(float)
        for name, seconds in totals.items():
            editions[f"notebooks/{name.rpartition('/')[0]}"] += seconds
        lines += [
            f"  {seconds:7.2f} s  {folder.rstrip('/')}/ (edition)"
            for folder, seconds in sorted(editions.items())
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "files", nargs="*", type=Path, help="JUnit XML files (default: the last `make test`)"
    )
    parser.add_argument("--slowest", type=int, default=20, help="how many tests to list")
    args = parser.parse_args(argv)
    files = args.files or [LAST_RUN]
    if not all(path.exists() for path in files):
        print("no timings yet: run `make test` first", file=sys.stderr)
        return 1
    cases = [case for path in files for case in read_junit(path)]
    print(report(cases, args.slowest))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The timing report `make timings` prints from a run's JUnit XML."""

from __future__ import annotations

from pathlib import Path

from bench.timings import main, notebook_totals, read_junit, report

JUNIT = """<testsuites><testsuite name="pytest">
<testcase classname="tests.lab.test_a" name="test_quick" time="0.25" />
<testcase classname="tests.lab.test_a.TestFlow" name="test_slow" time="12.5" />
<testcase classname="notebooks.00-introduction.ipynb" name="Cell 0" time="1.5" />
<testcase classname="notebooks.00-introduction.ipynb" name="Cell 1" time="0.5" />
<testcase classname="notebooks.08-troubleshooting.ipynb" name="Cell 0" time="7.0" />
<testcase classname="notebooks.ja.08-troubleshooting.ipynb" name="Cell 0" time="6.0" />
</testsuite></testsuites>"""


def _cases(tmp_path: Path) -> Path:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    return path


def test_notebook_cells_add_up_per_notebook_and_the_editions_stay_apart(tmp_path: Path) -> None:
    totals = notebook_totals(read_junit(_cases(tmp_path)))
    assert totals == {
        "00-introduction.ipynb": 2.0,
        "08-troubleshooting.ipynb": 7.0,
        "ja/08-troubleshooting.ipynb": 6.0,
    }


def test_the_report_lists_the_slowest_tests_first_then_the_notebooks(tmp_path: Path) -> None:
    text = report(read_junit(_cases(tmp_path)), slowest=1)
    assert text.splitlines() == [
        "2 tests, 12.8 s summed over workers",
        "the 1 slowest:",
        "    12.50 s  tests.lab.test_a.TestFlow::test_slow",
        "notebooks: 15.0 s in all",
        "     2.00 s  00-introduction.ipynb",
        "     7.00 s  08-troubleshooting.ipynb",
        "     6.00 s  ja/08-troubleshooting.ipynb",
        "     9.00 s  notebooks/ (edition)",
        "     6.00 s  notebooks/ja/ (edition)",
    ]


def test_without_a_run_it_says_what_to_do(tmp_path: Path) -> None:
    assert main([str(tmp_path / "missing.xml")]) == 1

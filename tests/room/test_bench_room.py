"""bench/bench_room.py with a small room: two learners run 00-07 through the hub, no error."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from podid_room.learner_client import code_cells

from .conftest import NOTEBOOKS, room_prerequisites_or_skip

pytestmark = pytest.mark.slow
BENCH = NOTEBOOKS.parent / "bench" / "bench_room.py"


def test_two_paced_learners_run_the_tutorial_without_error() -> None:
    room_prerequisites_or_skip()
    done = subprocess.run(
        [sys.executable, str(BENCH), "--learners", "2", "--think-seconds", "0.1", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert figures["errors"] == 0, figures["error_samples"]
    cells = sum(len(code_cells(n)) for n in sorted(NOTEBOOKS.glob("0[0-7]-*.ipynb")))
    assert figures["cells"] == 2 * cells
    assert 0 < figures["p95_cell_s"] < figures["wall_s"]
    rss = figures["peak_rss_mb"]
    assert 0 < rss["per_learner_mean"] <= rss["per_learner_max"] < rss["total"]

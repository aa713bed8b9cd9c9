"""Measure a room: N simulated learners, each signed in through the hub with their own password,
running notebooks 00-07 in their own kernel at a person's pace (think time before each cell),
all at once, on one machine.

Run as root (it creates and then removes N Unix users):
    python bench/bench_room.py --learners N [--think-seconds S] [--json] [--hub-log FILE]
Prints, or emits as one JSON object: learners, errors, wall_s, cells, p95_cell_s (a cell's run
time, think time excluded) and peak_rss_mb (the most one learner's processes held at once, and
the room's total: every learner plus the hub, its proxy and services).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pwd
import random
import secrets
import shutil
import string
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from podid_room.accounts import user_pids  # noqa: E402
from podid_room.home import RoomHome  # noqa: E402
from podid_room.learner_client import CellRun, HubLearner, LearnerError, run_notebook  # noqa: E402
from podid_room.room import RoomError, RoomOptions, hub_pid, start, stop  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("0[0-7]-*.ipynb"))  # 00-introduction … 07-cleanup
# Nobody clicks the settings form here: the form keeps its defaults, as under nbval.
HEADLESS = ('import os; os.environ["PODID_HEADLESS"] = "1"',)


def _rss_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1])


def _session_pids(leader: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == leader:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class MemoryWatch(threading.Thread):
    """Samples the resident memory of each learner's processes and of the hub's session."""

    def __init__(self, home: RoomHome, uids: dict[str, int], every_s: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.home, self.uids, self.every_s = home, uids, every_s
        self.peak_learner_kib = dict.fromkeys(uids, 0)
        self.peak_total_kib = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.every_s):
            per = {n: sum(_rss_kib(p) for p in user_pids(u)) for n, u in self.uids.items()}
            hub = hub_pid(self.home)
            room = sum(_rss_kib(p) for p in _session_pids(hub)) if hub else 0
            for name, kib in per.items():
                self.peak_learner_kib[name] = max(self.peak_learner_kib[name], kib)
            self.peak_total_kib = max(self.peak_total_kib, room + sum(per.values()))

    def finish(self) -> None:
        self._done.set()
        self.join()


async def _learner(url: str, name: str, password: str, think_s: float) -> list[CellRun]:
    pace = random.Random(name)  # each learner has their own, repeatable rhythm
    await asyncio.sleep(pace.uniform(0, think_s))  # people do not all arrive in the same second
    person = HubLearner(url, name, password)
    await asyncio.to_thread(person.sign_in)
    server = await asyncio.to_thread(person.start_server)
    await asyncio.to_thread(person.issue_token)
    runs: list[CellRun] = []
    for notebook in NOTEBOOKS:
        try:
            runs += await run_notebook(
                person, server, notebook, think_s * pace.uniform(0.5, 1.5), HEADLESS
            )
        except Exception as exc:
            raise LearnerError(f"{name} in {notebook.stem}: {type(exc).__name__}: {exc}") from exc
    return runs


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else 0.0


async def _room_run(
    url: str, roster: dict[str, str], learners: list[str], think_s: float
) -> list[Any]:
    return await asyncio.gather(
        *(_learner(url, n, roster[n], think_s) for n in learners), return_exceptions=True
    )


def measure(learners: int, think_s: float, hub_log: Path | None = None) -> dict[str, Any]:
    """Run the room once and return the figures (and keep the hub's log at ``hub_log``)."""
    prefix = "pb" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(4))
    with tempfile.TemporaryDirectory() as tmp:
        home = RoomHome(Path(tmp) / "room")
        try:
            settings = start(
                home,
                RoomOptions(learners=learners, prefix=prefix, instructor=f"{prefix}-teach", port=0),
            )
            uids = {n: pwd.getpwnam(n).pw_uid for n in settings.learners}
            watch = MemoryWatch(home, uids)
            watch.start()
            began = time.monotonic()
            results = asyncio.run(
                _room_run(settings.url, home.roster(), settings.learners, think_s)
            )
            wall = time.monotonic() - began
            watch.finish()
        finally:
            if hub_log is not None and home.hub_log.exists():  # stop removes the room's folder
                hub_log.touch()
                hub_log.chmod(0o600)  # as private as the hub's own
                shutil.copyfile(home.hub_log, hub_log)
            if home.settings_file.exists():
                stop(home, remove_users=True)
    runs = [r for result in results if isinstance(result, list) for r in result]
    failures = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    failures += [f"{r.notebook} cell {r.index}: {r.error}" for r in runs if r.error]
    per_learner = list(watch.peak_learner_kib.values())
    return {
        "learners": learners,
        "think_s": think_s,
        "errors": len(failures),
        "error_samples": failures[:5],
        "wall_s": round(wall, 1),
        "cells": len(runs),
        "p95_cell_s": round(_p95([r.seconds for r in runs]), 3),
        "peak_rss_mb": {
            "per_learner_max": round(max(per_learner) / 1024, 1),
            "per_learner_mean": round(sum(per_learner) / len(per_learner) / 1024, 1),
            "total": round(watch.peak_total_kib / 1024, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=3)
    parser.add_argument("--think-seconds", type=float, default=5.0, help="pause before each cell")
    parser.add_argument("--json", action="store_true", help="emit one JSON object")
    parser.add_argument("--hub-log", type=Path, help="keep the hub's log (its servers' too) here")
    args = parser.parse_args()
    try:
        figures = measure(args.learners, args.think_seconds, args.hub_log)
    except RoomError as exc:
        sys.exit(f"bench_room: {exc}")
    if args.json:
        print(json.dumps(figures))
        return
    rss = figures["peak_rss_mb"]
    print(f"learners        {figures['learners']} (think {figures['think_s']} s before each cell)")
    print(f"errors          {figures['errors']}")
    for sample in figures["error_samples"]:
        print(f"  {sample}")
    print(f"wall            {figures['wall_s']} s for {figures['cells']} cells")
    print(f"p95 cell        {figures['p95_cell_s']} s")
    print(
        f"peak RSS        {rss['per_learner_max']} MB per learner "
        f"(mean {rss['per_learner_mean']}), {rss['total']} MB room total"
    )


if __name__ == "__main__":
    main()

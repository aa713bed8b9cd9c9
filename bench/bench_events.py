"""Measure what recording events costs an ARM GET: at most 10% is the bar.

Each ARM GET records one `arm` event (the RBAC decision). The script times ARM GETs against a
fresh lab over HTTPS with the real SDK, counts the events each GET records (from the lab's own
event log), times the recording call itself in-process with the same arguments, and prints the
share of a GET that recording takes. Run with `make bench` or `python bench/bench_events.py`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import requests
from bench_lab import clients

from podid_lab import ids
from podid_lab.admin import ADMIN_HEADER
from podid_lab.events.models import EventLog
from podid_lab.home import LabHome
from podid_lab.server import start, stop

BAR = 0.10


def recorded_so_far(home: LabHome) -> int:
    """The number of the newest event the lab has recorded."""
    port = int(home.port_file.read_text())
    answer = requests.get(
        f"https://127.0.0.1:{port}/_lab/events?after=999999999",
        headers={ADMIN_HEADER: home.admin_key()},
        verify=str(home.ca_cert),
        timeout=10,
    )
    return int(answer.json()["last"])


def get_seconds(home: LabHome, runs: int) -> tuple[float, float]:
    """Median seconds of one ARM GET (resource group), and the events each GET recorded."""
    resources, _ = clients(home)
    resources.resource_groups.create_or_update("bench-events", {"location": "japaneast"})
    for _ in range(20):  # warm the connection and the token cache
        resources.resource_groups.get("bench-events")
    before = recorded_so_far(home)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        resources.resource_groups.get("bench-events")
        samples.append(time.perf_counter() - t0)
    per_get = (recorded_so_far(home) - before) / runs
    return statistics.median(samples), per_get


def record_seconds(runs: int) -> float:
    """Median seconds of recording one ARM decision, as the lab does on every GET."""
    log = EventLog()
    scope = f"/subscriptions/{ids.SUBSCRIPTION_ID}/resourceGroups/bench-events"
    grant = (
        f"/subscriptions/{ids.SUBSCRIPTION_ID}/providers/Microsoft.Authorization/"
        f"roleAssignments/{ids.stable_guid('bench')}",
        "Owner",
        f"/subscriptions/{ids.SUBSCRIPTION_ID}",
    )
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        log.arm(
            ids.LEARNER_OBJECT_ID,
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            scope,
            grant,
        )
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gets", type=int, default=300, help="ARM GETs to time")
    parser.add_argument("--records", type=int, default=20000, help="recordings to time")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="podid-bench-events-") as tmp:
        home = LabHome(Path(tmp))
        start(home, port=0)
        try:
            get_s, events_per_get = get_seconds(home, args.gets)
        finally:
            stop(home)
    rec_s = record_seconds(args.records)
    share = events_per_get * rec_s / get_s
    numbers = {
        "arm_get_median_ms": round(get_s * 1000, 3),
        "events_per_get": round(events_per_get, 2),
        "record_median_us": round(rec_s * 1e6, 2),
        "recording_share_of_get": round(share, 4),
        "bar": BAR,
        "within_bar": share <= BAR,
    }
    if args.json:
        print(json.dumps(numbers))
    else:
        for name, value in numbers.items():
            print(f"{name:<24} {value}")
    return 0 if share <= BAR else 1


if __name__ == "__main__":
    raise SystemExit(main())

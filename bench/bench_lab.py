"""Measure the lab: cold start, ARM GET latency, AKS cluster create/delete wall time, and 50
concurrent learners' ARM flows.

Run with `make bench` (or `python bench/bench_lab.py --learners 50`). Each run uses a fresh lab
home in a temporary folder and a free port, and prints one table of numbers.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from azure.identity import ClientSecretCredential
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.resource.features import FeatureClient
from azure.mgmt.resource.resources import ResourceManagementClient

from podid_lab.cli import connection_info
from podid_lab.home import LabHome
from podid_lab.server import start, stop


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _arm(home: LabHome) -> tuple[ClientSecretCredential, str, dict[str, Any]]:
    """The learner's credential, subscription and client keyword arguments for this lab."""
    info = connection_info(home, int(home.port_file.read_text()))
    cred = ClientSecretCredential(
        info["tenant_id"],
        info["client_id"],
        info["client_secret"],
        authority=info["authority_host"],
        disable_instance_discovery=True,
        connection_verify=info["ca_bundle"],
    )
    kwargs = {"base_url": info["arm_endpoint"], "connection_verify": info["ca_bundle"]}
    return cred, info["subscription_id"], kwargs


def clients(home: LabHome) -> tuple[ResourceManagementClient, FeatureClient]:
    """The learner's SDK clients for this lab."""
    cred, sub, kwargs = _arm(home)
    return ResourceManagementClient(cred, sub, **kwargs), FeatureClient(cred, sub, **kwargs)


def cluster_times(home: LabHome, runs: int) -> tuple[list[float], list[float]]:
    """Wall time of an AKS cluster create and delete, polled as a notebook does (the SDK's
    default interval, so the lab's Retry-After sets the pace)."""
    cred, sub, kwargs = _arm(home)
    aks = ContainerServiceClient(cred, sub, **kwargs)
    body = {
        "location": "japaneast",
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "agentPoolProfiles": [{"name": "nodepool1", "count": 3}],
            "networkProfile": {"networkPlugin": "azure"},
        },
    }
    creates, deletes = [], []
    for run in range(runs):
        name = f"bench-aks-{run}"
        t0 = time.perf_counter()
        aks.managed_clusters.begin_create_or_update("bench-get", name, body).result()
        creates.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        aks.managed_clusters.begin_delete("bench-get", name).result()
        deletes.append(time.perf_counter() - t0)
    return creates, deletes


def timed(samples: list[float], lock: threading.Lock, fn: Callable[[], Any]) -> Any:
    """Call fn, recording its wall time."""
    t0 = time.perf_counter()
    result = fn()
    with lock:
        samples.append(time.perf_counter() - t0)
    return result


def learner_flow(home: LabHome, index: int, samples: list[float], lock: threading.Lock) -> float:
    """What one learner does at ARM in notebooks 00-01: token, feature, provider, RG, delete."""
    t0 = time.perf_counter()
    rm, features = clients(home)
    name = f"bench-learner-{index:03d}"
    timed(
        samples,
        lock,
        lambda: features.features.register(
            "Microsoft.ContainerService", "EnablePodIdentityPreview"
        ),
    )
    timed(
        samples,
        lock,
        lambda: features.features.get("Microsoft.ContainerService", "EnablePodIdentityPreview"),
    )
    timed(samples, lock, lambda: rm.providers.get("Microsoft.ContainerService"))
    timed(
        samples, lock, lambda: rm.resource_groups.create_or_update(name, {"location": "japaneast"})
    )
    timed(samples, lock, lambda: rm.resource_groups.get(name))
    timed(samples, lock, lambda: list(rm.resource_groups.list()))
    timed(
        samples, lock, lambda: rm.resource_groups.begin_delete(name, polling_interval=0.2).result()
    )
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--gets", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        home = LabHome(Path(tmp) / "lab")
        t0 = time.perf_counter()
        start(home, port=0)
        cold = time.perf_counter() - t0
        stop(home)
        t0 = time.perf_counter()
        start(home, port=0)
        warm = time.perf_counter() - t0
        try:
            rm, _ = clients(home)
            rm.resource_groups.create_or_update("bench-get", {"location": "japaneast"})
            rm.resource_groups.get("bench-get")  # token fetched and connection warm
            gets = []
            for _ in range(args.gets):
                t1 = time.perf_counter()
                rm.resource_groups.get("bench-get")
                gets.append(time.perf_counter() - t1)
            creates, deletes = cluster_times(home, args.clusters)

            samples: list[float] = []
            lock = threading.Lock()
            errors: list[str] = []
            flows: list[float] = []

            def run(i: int) -> None:
                try:
                    flows.append(learner_flow(home, i, samples, lock))
                except Exception as exc:  # the count of failures is what we report
                    errors.append(f"{type(exc).__name__}: {exc}")

            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.learners) as pool:
                list(pool.map(run, range(args.learners)))
            wall = time.perf_counter() - t0
        finally:
            stop(home)

    print("podid lab benchmark")
    print(f"  cold start (new CA and keys) .......... {cold:.2f} s")
    print(f"  start (existing home) ................. {warm:.2f} s")
    print(
        f"  ARM GET latency, median / p95 ......... {statistics.median(gets) * 1000:.1f} / "
        f"{percentile(gets, 95) * 1000:.1f} ms ({args.gets} GETs)"
    )
    print(
        f"  AKS cluster create / delete, max ...... {max(creates):.2f} / {max(deletes):.2f} s "
        f"({args.clusters} each)"
    )
    print(f"  {args.learners} concurrent learners' ARM flows:")
    print(f"    errors .............................. {len(errors)}")
    print(f"    requests ............................ {len(samples)}")
    print(
        f"    per-call p50 / p95 .................. {statistics.median(samples) * 1000:.0f} / "
        f"{percentile(samples, 95) * 1000:.0f} ms"
    )
    print(f"    flow p95 / wall ..................... {percentile(flows, 95):.2f} / {wall:.2f} s")
    for err in errors[:5]:
        print(f"    ! {err}")


if __name__ == "__main__":
    main()

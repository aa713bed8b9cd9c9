"""Measure the lab's pods: `kubectl apply` of the article's demo -> its first success line, and
the memory a running demo pod costs.

Run with `python bench/bench_pods.py [--runs N]`. It sets the tutorial up to notebook 05 on a
fresh lab (temporary home, free port) through `podid_helpers`, as a learner's notebooks do, then
applies the demo manifest with a stock kubectl N times (deleting it in between).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

SUCCESS = "successfully acquired a token"


def rss_kib(pid: int) -> int:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def demo_pids() -> list[int]:
    """PIDs of running demo processes."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"podid_lab.workloads.demo" in (entry / "cmdline").read_bytes():
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(
            PODID_LAB_HOME=f"{tmp}/lab",
            PODID_LAB_PORT="0",
            PODID_SETTINGS=f"{tmp}/settings.json",
            PODID_HEADLESS="1",
        )
        import podid_helpers as ph
        from podid_lab.home import LabHome
        from podid_lab.server import stop

        session = ph.connect()
        try:
            for step in (
                ph.register_pod_identity_feature,
                ph.create_resource_group,
                ph.create_cluster,
                ph.get_credentials,
                ph.enable_pod_identity,
                ph.create_identity,
                ph.assign_vm_contributor,
                ph.add_pod_identity,
            ):
                step(session)
            manifest = Path(tmp) / "demo.yaml"
            manifest.write_text(ph.demo_manifest(session))
            env = {
                **os.environ,
                "KUBECONFIG": str(session.kubeconfig_path),
                "HOME": tmp,
            }
            ns = session.settings.namespace
            firsts, rss = [], []
            for _ in range(args.runs):
                started = time.perf_counter()
                subprocess.run(
                    ["kubectl", "apply", "-f", str(manifest)],
                    env=env,
                    check=True,
                    capture_output=True,
                )
                while True:
                    logs = subprocess.run(
                        ["kubectl", "logs", "demo", "-n", ns],
                        env=env,
                        capture_output=True,
                        text=True,
                    )
                    if SUCCESS in logs.stdout:
                        break
                    if time.perf_counter() - started > 60:
                        raise SystemExit("no success line within 60 s")
                    time.sleep(0.05)
                firsts.append(time.perf_counter() - started)
                rss.extend(rss_kib(p) for p in demo_pids())
                subprocess.run(
                    ["kubectl", "delete", "pod", "demo", "-n", ns],
                    env=env,
                    check=True,
                    capture_output=True,
                )
            lab_pid = int((LabHome.from_env().pid_file).read_text())
            lab_rss = rss_kib(lab_pid)
        finally:
            stop(LabHome.from_env())

    print("podid lab pod benchmark")
    print(
        f"  kubectl apply -> first success line, median / max . {statistics.median(firsts):.2f}"
        f" / {max(firsts):.2f} s ({args.runs} runs)"
    )
    print(
        f"  memory per running demo pod (process RSS) ......... {statistics.median(rss) / 1024:.0f}"
        " MiB"
    )
    print(f"  lab process RSS after the runs .................... {lab_rss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

"""No descendant of a pod process outlives it: a `setsid` grandchild (the issue's escape) ends
when the pod process is stopped, when its workload exits, and when the lab dies (`kill -9`)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from podid_lab.kubelet import proctree
from podid_lab.kubelet.process import PodProcess, start_in_pod, stop_process

from .aks_steps import wait_for
from .host_processes import alive, session_of
from .kube_cluster import InProcessLab

pytestmark = pytest.mark.skipif(not proctree.LINUX, reason="process trees are walked in /proc")

ESCAPER = "tests.lab.escaper"


async def grandchild_of(process: asyncio.subprocess.Process) -> int:
    """The PID the escaper's grandchild prints."""
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    assert line.startswith(b"grandchild "), line
    return int(line.split()[1])


def escaper(**env: str) -> PodProcess:
    return PodProcess(ESCAPER, env=env, label="t/escaper/c")


def test_stopping_a_pod_process_ends_its_setsid_grandchild() -> None:
    async def scenario() -> int:
        process = await start_in_pod(escaper())
        grandchild = await grandchild_of(process)
        assert alive(grandchild)
        assert session_of(grandchild) != session_of(process.pid)  # out of the pod's session
        assert grandchild in proctree.descendants(process.pid)  # adopted by its supervisor
        stop_process(process)
        await asyncio.wait_for(process.wait(), 10)
        return grandchild

    grandchild = asyncio.run(scenario())
    wait_for(lambda: not alive(grandchild), timeout=10)


def test_a_grandchild_ends_when_the_workload_exits() -> None:
    async def scenario() -> tuple[int, int]:
        process = await start_in_pod(escaper(ESCAPER_EXIT="1"))
        grandchild = await grandchild_of(process)
        return await asyncio.wait_for(process.wait(), 30), grandchild

    code, grandchild = asyncio.run(scenario())
    assert code == 0  # the workload's own status, passed on by the supervisor
    wait_for(lambda: not alive(grandchild), timeout=10)


FAKE_LAB = """
import asyncio, sys
from podid_lab.kubelet import proctree
from podid_lab.kubelet.process import PodProcess, start_in_pod

async def main():
    proctree.become_subreaper()
    process = await start_in_pod(
        PodProcess("tests.lab.escaper", label="t/e/c"), stdout=None, stderr=None
    )
    print(process.pid, flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


def test_nothing_a_pod_started_outlives_a_killed_lab() -> None:
    lab = subprocess.Popen([sys.executable, "-c", FAKE_LAB], stdout=subprocess.PIPE, text=True)
    try:
        assert lab.stdout is not None
        supervisor = int(lab.stdout.readline())
        grandchild = int(lab.stdout.readline().split()[1])
        below = proctree.descendants(supervisor)
        assert grandchild in below  # the subreaper supervisor adopted the orphan
        lab.send_signal(signal.SIGKILL)
        lab.wait()
        wait_for(lambda: not any(alive(p) for p in [supervisor, *below]), timeout=10)
    finally:
        if lab.poll() is None:
            lab.kill()
            lab.wait()


def test_a_lab_served_inside_another_program_leaves_its_other_children_alone(
    tmp_path: Path,
) -> None:
    """An in-process lab is no subreaper: on close, the host program's children are not orphans."""
    neighbour = subprocess.Popen(["sleep", "60"])
    try:
        lab = InProcessLab(tmp_path / "lab")
        lab.stop()
        assert neighbour.poll() is None, "closing the lab killed a child it did not start"
    finally:
        neighbour.kill()
        neighbour.wait()

"""A pod workload for the process tests, playing hostile code (what a shell in a pod could do):
it leaves a `setsid` grandchild behind, which prints `grandchild <pid>`, then waits (or exits
after a second if ESCAPER_EXIT is set). It forks through libc because a pod's Python workload
may not start processes (`podid_lab.kubelet.confine`), which hostile code can sidestep."""

from __future__ import annotations

import ctypes
import os
import time


def main() -> None:
    libc = ctypes.CDLL(None)
    if libc.fork() == 0:
        os.setsid()  # a session (and process group) of its own: a group kill misses it
        if libc.fork() == 0:
            print(f"grandchild {os.getpid()}", flush=True)
            time.sleep(600)
        os._exit(0)  # the grandchild is now an orphan
    time.sleep(1.0 if os.environ.get("ESCAPER_EXIT") else 600)


if __name__ == "__main__":
    main()

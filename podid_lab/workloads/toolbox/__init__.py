"""The `curlimages/curl` and `busybox` images as a small emulated toolbox.

A toolbox process is a workload like the demo: the kubelet starts it in the pod's context and it
reads `os.environ` and `sys.argv`. It never runs a host shell or a host binary: each command
(`sh`, `curl`, `wget`, `env`, `cat`, `ls`, ...) is a Python function, files are only the pod's
mounted volumes and a few `/etc` files, and the only address it can reach is 169.254.169.254,
which leads to *this pod's* NMI endpoint (`AZURE_POD_IDENTITY_AUTHORITY_HOST`), as on a node.
"""

from __future__ import annotations

# Each image's commands on $PATH (busybox applets; the curl image is Alpine-based, so it has
# busybox's applets too, plus curl). The kubelet uses these for "executable file not found".
BUSYBOX_COMMANDS = (
    "sh",
    "env",
    "cat",
    "echo",
    "sleep",
    "ls",
    "wget",
    "nslookup",
    "hostname",
    "true",
    "false",
)
COMMANDS = {"busybox": BUSYBOX_COMMANDS, "curl": (*BUSYBOX_COMMANDS, "curl")}

"""The cluster's kubeconfig in a file of its own (0600), never merged into ``~/.kube/config``."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .redact import display_path

__all__ = ["export_line", "write_kubeconfig"]


def write_kubeconfig(path: Path, content: bytes) -> bool:
    """Write ``content`` to ``path`` atomically with mode 0600; False if it was already there."""
    try:
        if path.read_bytes() == content and (path.stat().st_mode & 0o777) == 0o600:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0600, so the token inside is never readable by others, not even
    # for a moment; os.replace swaps it in whole.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return True


def export_line(path: Path) -> str:
    """The shell line that points ``kubectl`` at this kubeconfig (bash expands its ``~``)."""
    return f"export KUBECONFIG={display_path(path)}"

"""A fresh, throw-away lab for running the notebooks: temp HOME, settings and lab home.

Shared by ``tools/regenerate_notebooks.py`` and the notebook tests, so both run the notebooks
in the same surroundings: ``HOME`` is a temp folder (paths show as ``~/.podid/…`` on every
machine), the lab listens on a free port, and no human is assumed (``PODID_HEADLESS=1``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
# The Japanese edition: the same file names, the same code cells, Markdown in Japanese.
NOTEBOOKS_JA = NOTEBOOKS / "ja"
EDITIONS = (NOTEBOOKS, NOTEBOOKS_JA)
# The series: notebooks/NN-slug.ipynb. Anything else in the folder is not part of it.
NOTEBOOK_NAME = re.compile(r"\d{2}-[a-z0-9-]+\.ipynb")
# The lab's waits, shortened for the notebook runs (nbval, regenerate, each notebook alone): what
# a notebook prints does not depend on them, only how long a learner watches a spinner. The
# durations stay above 0 so every operation takes the path it takes for a learner (201 and a
# poll, Registering before Registered); Retry-After: 0 leaves the polling pace to the helpers.
FAST_KNOBS: dict[str, float] = {
    "retry_after_seconds": 0,
    "feature_registration_seconds": 0.2,
    "provider_registration_seconds": 0.2,
    "cluster_create_seconds": 0.2,
    "cluster_delete_seconds": 0.2,
    "resource_group_delete_seconds": 0.1,
    "namespace_delete_seconds": 0.1,
    "pod_termination_seconds": 0.1,
}


def notebook_paths(edition: Path = NOTEBOOKS) -> list[Path]:
    """Every notebook of one edition's series (English unless told), in order."""
    return sorted(p for p in edition.glob("*.ipynb") if NOTEBOOK_NAME.fullmatch(p.name))


# Notebook runs compress adal's retry waits further than a learner's lab does (112 s per failed
# call become 0.44 s): the stored lines are the same, only the wait before them is shorter.
NOTEBOOK_TIME_SCALE = 1 / 256
# Every knob a notebook run changes: what the helper and lab tests' labs start from too.
NOTEBOOK_KNOBS: dict[str, float] = {**FAST_KNOBS, "time_scale": NOTEBOOK_TIME_SCALE}


class FreshLab:
    """A lab of its own on a free port, with an environment for kernels that use it."""

    def __init__(self, **knobs: float) -> None:
        self.knobs = {"time_scale": NOTEBOOK_TIME_SCALE, **knobs}
        self.root = Path(tempfile.mkdtemp(prefix="podid-notebooks-"))
        self.home = self.root / "home"
        self.home.mkdir()
        self.lab_root = self.root / "lab"
        self.env: dict[str, str] = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("PODID_") and name != "JPY_SESSION_NAME"
        }
        self.env.update(
            HOME=str(self.home),
            PODID_HEADLESS="1",
            PODID_MODE="lab",
            PODID_LAB_HOME=str(self.lab_root),
            PODID_LAB_PORT="0",
            PODID_SETTINGS=str(self.home / ".podid" / "settings.json"),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        self._lab_home: Any = None

    def start(self) -> FreshLab:
        """Start the lab; return self."""
        from podid_lab.home import LabHome
        from podid_lab.server import start

        self._lab_home = LabHome(self.lab_root)
        if self.knobs:
            from podid_lab import knobs

            knobs.save(self._lab_home, {**knobs.defaults(), **self.knobs})
        start(self._lab_home, port=0)
        return self

    def reset(self) -> None:
        """Forget every lab resource and the learner's files: as good as a fresh lab."""
        from podid_lab.cli import cmd_reset

        saved = os.environ.get("PODID_LAB_HOME")
        os.environ["PODID_LAB_HOME"] = str(self.lab_root)
        try:
            cmd_reset(self._lab_home)
        finally:
            if saved is None:
                os.environ.pop("PODID_LAB_HOME", None)
            else:
                os.environ["PODID_LAB_HOME"] = saved
        shutil.rmtree(self.home)
        self.home.mkdir()

    def volatile_values(self) -> dict[str, str]:
        """Values of this run that must never appear in a notebook: secrets, ports, PID, paths."""
        home = self._lab_home
        values = {
            "learner secret": home.learner_secret(),
            "admin key": home.admin_key(),
            "temp folder": str(self.root),
        }
        if home.nmi_key_file.exists():  # the key every pod's IMDS secret is derived from
            values["NMI key"] = home.nmi_key_file.read_text().strip()
        for label, path in (("port", home.port_file), ("IMDS port", home.imds_port_file)):
            if path.exists():
                values[label] = f":{path.read_text().strip()}"
        return values

    def stop(self) -> None:
        """Stop the lab and delete every temp file."""
        from podid_lab.server import stop

        if self._lab_home is not None:
            stop(self._lab_home)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> FreshLab:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def execute(path: Path, env: dict[str, str], *, timeout: int = 300) -> Any:
    """Run a notebook top to bottom in a python3 kernel with ``env``; return it, executed."""
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book,
        kernel_name="python3",
        timeout=timeout,
        store_widget_state=False,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=env)
    return book


def strip_volatile(book: Any) -> Any:
    """Drop what changes from run to run: widget state, timings, kernel and Python versions."""
    book.metadata.pop("widgets", None)
    book.metadata["language_info"] = {"name": "python"}
    book.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    for cell in book.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
    return book

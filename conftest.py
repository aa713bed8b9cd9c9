"""pytest setup for the notebooks: nbval runs notebooks/NN-*.ipynb in order against a fresh lab.

`make test` collects `notebooks/` with nbval (flags in pyproject.toml). Before the first
notebook's kernel starts, this starts a lab of its own (temp PODID_LAB_HOME, free port) and
points HOME, PODID_SETTINGS and PODID_HEADLESS at a throw-away learner, so the kernels see
what `tools/regenerate_notebooks.py` saw when it stored the outputs. Everything is put back
after the last notebook. The Japanese edition (notebooks/ja/NN-*.ipynb) is a series of its own:
it runs in order on a fresh lab of its own, as `tools/regenerate_notebooks.py` ran it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tools.notebook_lab import EDITIONS, FAST_KNOBS, NOTEBOOK_NAME, FreshLab

SANITIZE = Path(__file__).parent / "tests" / "notebooks" / "nbval_sanitize.cfg"
_active: dict[str, Any] = {}


def _is_notebook_cell(item: pytest.Item) -> bool:
    return type(item).__module__.startswith("nbval")


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "nbval_sanitize_with", "unset") is None:
        config.option.nbval_sanitize_with = str(SANITIZE)


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    # Only the series is tested; a learner's Untitled.ipynb in notebooks/ is not.
    if collection_path.suffix == ".ipynb" and collection_path.parent in EDITIONS:
        return not NOTEBOOK_NAME.fullmatch(collection_path.name)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_notebook_cell(item):
            item.add_marker(pytest.mark.slow)
    if getattr(config.option, "loadgroup", False):  # an xdist worker under --dist loadgroup
        # No long group should start last: those holding a slow test go first, then the rest by
        # how long they took last time (longest first), so the workers end close together.
        slow = {_group(item.nodeid) for item in items if item.get_closest_marker("slow")}
        seconds = _group_seconds(config)
        items.sort(
            key=lambda item: (_group(item.nodeid) not in slow, -seconds.get(_group(item.nodeid), 0))
        )


# The last run's seconds per group, in pytest's cache (.pytest_cache, per clone).
GROUP_SECONDS = "podid/group-seconds"
_took: dict[str, float] = {}


def _group_seconds(config: pytest.Config) -> dict[str, float]:
    cache = getattr(config, "cache", None)
    found = cache.get(GROUP_SECONDS, {}) if cache is not None else {}
    return found if isinstance(found, dict) else {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # On the xdist controller every worker's reports arrive here too.
    group = _group(report.nodeid)
    _took[group] = _took.get(group, 0.0) + report.duration


def _remember_group_seconds(session: pytest.Session) -> None:
    """Keep this run's seconds per group (only the controller's view has every group)."""
    cache = getattr(session.config, "cache", None)
    if cache is None or hasattr(session.config, "workerinput") or not _took:
        return
    cache.set(GROUP_SECONDS, {**_group_seconds(session.config), **_took})


def _group(nodeid: str) -> str:
    """The unit one xdist worker runs, in order: a notebook series, else a test module."""
    # The notebooks share one lab and build on each other; a module's tests share its lab.
    path = nodeid.split("::", 1)[0]
    return _series(path) if path.endswith(".ipynb") else path


def _series(path: str) -> str:
    """The series a notebook belongs to: "notebooks" (English) or "notebooks/ja"."""
    return "notebooks/ja" if path.startswith("notebooks/ja/") else "notebooks"


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` (make test) with the groups of `_group`."""
    # xdist_group marks cannot do this: xdist 3.8 renames a node by setting `_nodeid`, which
    # pytest 9 no longer reads, so every test would be a group of its own.
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid)

    config.option.loadscopereorder = False  # keep the collection's order: slow groups first
    return ByGroup(config, log)


def _enter(series: str) -> None:
    lab = FreshLab(**FAST_KNOBS).__enter__()
    _active["lab"] = lab
    _active["series"] = series
    _active["saved"] = dict(os.environ)
    os.environ.clear()
    os.environ.update(lab.env)


def _leave() -> None:
    lab = _active.pop("lab", None)
    _active.pop("series", None)
    if lab is None:
        return
    os.environ.clear()
    os.environ.update(_active.pop("saved"))
    lab.stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Runs before nbval's collector setup, which starts the notebook's kernel from os.environ.
    if _is_notebook_cell(item):
        series = _series(item.nodeid.split("::", 1)[0])
        if _active.get("series") != series:  # each series starts on a fresh lab of its own
            _leave()
        if "lab" not in _active:
            _enter(series)
    else:
        _leave()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _leave()
    _remember_group_seconds(session)

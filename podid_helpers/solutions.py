"""When a notebook's solution cells run: in headless runs, or after ``ph.show_solutions()``.

Every solution cell is guarded the same way, so a learner's "Run All" stops at the exercise's
verify cell (✗ and a hint) instead of solving it for them::

    if ph.solutions_run():
        scope = ...  # the solution

Headless runs (nbval, ``tools/regenerate_notebooks.py``, CI) set ``PODID_HEADLESS=1`` and run
every solution, so the stored outputs show a solved notebook. A learner who wants the answers
calls ``ph.show_solutions()`` once, then runs the solution cells.
"""

from __future__ import annotations

import os

from .i18n import _

__all__ = ["hide_solutions", "show_solutions", "solutions_run"]

_FLAG = "PODID_HEADLESS"
_shown = False


def _headless_flag() -> bool:
    # Only the explicit flag counts here, not form.is_headless()'s guess from a missing Jupyter
    # session: VS Code and other front ends start kernels without one, and a learner there
    # must not have every exercise solved by Run All.
    return os.environ.get(_FLAG, "").strip().lower() not in ("", "0", "false", "no")


def solutions_run() -> bool:
    """Whether solution cells run now: a headless run, or after ``show_solutions()``."""
    return _shown or _headless_flag()


def show_solutions() -> str:
    """Let this kernel's solution cells run from now on (a learner's deliberate choice)."""
    global _shown
    _shown = True
    return _("Solution cells run from now on: expand one and run it (ph.hide_solutions() stops).")


def hide_solutions() -> str:
    """Stop this kernel's solution cells again (headless runs still run them)."""
    global _shown
    _shown = False
    if _headless_flag():
        return _("{flag} is set, so solution cells still run (a headless run).").format(flag=_FLAG)
    return _("Solution cells do nothing again until ph.show_solutions().")

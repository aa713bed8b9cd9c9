"""Make values safe to show: no secrets, no machine-specific home paths in notebook outputs."""

from __future__ import annotations

import os
from pathlib import Path

from .i18n import _

__all__ = ["Secret", "display_path", "mask_secret"]

# Shorter values are hidden entirely: a 3-character prefix would give away too much of them.
_SHOW_PREFIX_FROM = 16


def mask_secret(value: str | None) -> str:
    """Return ``value`` masked as the Azure portal does: at most its first 3 characters."""
    if not value:
        return _("(not set)")
    if len(value) < _SHOW_PREFIX_FROM:
        return "****"
    return f"{value[:3]}****"


class Secret(str):
    """A string whose repr is masked, so displaying it in a notebook never leaks it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret({mask_secret(self)!r})"


def display_path(path: str | os.PathLike[str]) -> str:
    """Return ``path`` with the home folder shown as ``~``, so outputs match across machines."""
    target = Path(path).expanduser()
    home = Path.home()
    # A home of "/" (some containers) would turn every absolute path into "~/…".
    if home == Path(home.anchor):
        return os.fspath(target)
    try:
        inside = target.relative_to(home)
    except ValueError:
        return os.fspath(target)
    return "~" if inside == Path() else f"~/{inside.as_posix()}"

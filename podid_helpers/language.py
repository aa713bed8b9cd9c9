"""Which language the learner reads: English or Japanese, chosen without any code in a notebook."""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["LANGUAGES", "LANGUAGE_ENV", "current_language"]

LANGUAGES: tuple[str, ...] = ("en", "ja")
LANGUAGE_ENV = "PODID_LANGUAGE"
# The Japanese notebooks live in notebooks/ja/; Jupyter starts a kernel in its notebook's folder.
_JAPANESE_FOLDER = "ja"

# (path, mtime_ns, size) -> the language saved there; _() asks on every message, a stat is cheap.
_saved_cache: dict[str, tuple[tuple[int, int], str | None]] = {}


def current_language() -> str:
    """Return "en" or "ja": ``PODID_LANGUAGE``, else the saved setting, else the kernel's folder."""
    chosen = os.environ.get(LANGUAGE_ENV, "").strip().lower()
    if chosen in LANGUAGES:
        return chosen
    saved = _saved_language()
    if saved is not None:
        return saved
    return "ja" if _working_folder_name() == _JAPANESE_FOLDER else "en"


def _working_folder_name() -> str:
    try:
        return Path.cwd().name
    except FileNotFoundError:  # the kernel's folder was deleted under it
        return ""


def _saved_language() -> str | None:
    # Imported here: settings needs errors, which needs i18n, which needs this module.
    from .settings import settings_path

    path = settings_path()
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _saved_cache.get(str(path))
    if cached is not None and cached[0] == key:
        return cached[1]
    language = _language_in(path)
    _saved_cache[str(path)] = (key, language)
    return language


def _language_in(path: Path) -> str | None:
    # A broken settings file is reported by load_settings; here it only means "not chosen".
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("language") if isinstance(data, dict) else None
    return value if value in LANGUAGES else None

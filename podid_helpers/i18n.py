"""Messages in the learner's language through gettext, looked up when shown (not at import).

Mark a message with ``_("…")`` where it is shown, or ``N_("…")`` where it is defined once (a
module-level table) and pass it through ``_()`` when shown. Placeholders are named
(``_("run {step} first").format(step=…)``) so a translation may reorder them. English is the
msgid itself, so an English learner sees exactly the text in the code.
"""

from __future__ import annotations

import gettext
import unicodedata
from functools import cache
from pathlib import Path

from .language import current_language

__all__ = ["DOMAIN", "LOCALE_DIR", "N_", "_", "display_width", "ljust_display", "ngettext"]

DOMAIN = "podid_helpers"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def _(message: str) -> str:
    """Return ``message`` in the current language (itself when it has no translation)."""
    return _catalog(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """Return the form of a message that fits ``count``, in the current language."""
    return _catalog(current_language()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark ``message`` for extraction only; it is translated later, where it is shown."""
    return message


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced view: kana and kanji take two, ASCII one."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def ljust_display(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` columns (``str.ljust`` counts characters)."""
    return text + " " * max(0, width - display_width(text))

"""Results of verify cells: ✓/✗ with what was observed, what was expected, and a hint."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass
from functools import partial

from .errors import CheckFailedError
from .redact import Secret, mask_secret

__all__ = ["CheckReport", "CheckResult"]

# Text nodes only: quotes stay readable in stored outputs.
_escape = partial(html.escape, quote=False)

_GREEN = "#1b5e20"
_RED = "#b00020"


def _show(value: object) -> str:
    if isinstance(value, Secret):
        return mask_secret(value)
    if value is None:
        return "(none)"
    return str(value)


def _mark_html(passed: bool) -> str:
    colour, mark = (_GREEN, "✓") if passed else (_RED, "✗")
    return f'<span style="color:{colour};font-weight:bold">{mark}</span>'


@dataclass(frozen=True, repr=False)
class CheckResult:
    """The outcome of one check; renders as ✓/✗ in HTML and in plain text."""

    name: str
    _: KW_ONLY
    passed: bool
    observed: object
    expected: object
    hint: str = ""

    @classmethod
    def compare(
        cls, name: str, observed: object, expected: object, *, hint: str = ""
    ) -> CheckResult:
        """Return a result that passes when ``observed == expected``."""
        return cls(
            name, passed=observed == expected, observed=observed, expected=expected, hint=hint
        )

    def text(self) -> str:
        """Return the plain-text rendering (the same on every run for the same result)."""
        if self.passed:
            return f"✓ {self.name} — {_show(self.observed)}"
        lines = [
            f"✗ {self.name}",
            f"  observed: {_show(self.observed)}",
            f"  expected: {_show(self.expected)}",
        ]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        """Return the result as JSON-ready data (secrets masked, as in the text)."""
        return {
            "name": self.name,
            "passed": self.passed,
            "observed": _show(self.observed),
            "expected": _show(self.expected),
            "hint": self.hint,
        }

    def __repr__(self) -> str:
        return self.text()

    __str__ = __repr__

    def _repr_html_(self) -> str:
        name = f"<b>{_escape(self.name)}</b>"
        if self.passed:
            observed = _escape(_show(self.observed))
            return f"<div>{_mark_html(True)} {name} — <code>{observed}</code></div>"
        rows = [("observed", _show(self.observed)), ("expected", _show(self.expected))]
        if self.hint:
            rows.append(("hint", self.hint))
        cells = "".join(
            f'<tr><th style="text-align:left;padding-right:1em">{label}</th>'
            f'<td style="text-align:left">{_escape(value)}</td></tr>'
            for label, value in rows
        )
        return (
            f'<div>{_mark_html(False)} {name}<table style="margin-left:1.5em">{cells}</table></div>'
        )

    def raise_if_failed(self) -> CheckResult:
        """Return ``self`` if it passed, else raise ``CheckFailedError`` with its text."""
        if not self.passed:
            raise CheckFailedError(self.text())
        return self


@dataclass(frozen=True, repr=False, init=False)
class CheckReport:
    """Several check results shown as one block under a title."""

    title: str
    results: tuple[CheckResult, ...]

    def __init__(self, title: str, results: Iterable[CheckResult]) -> None:
        object.__setattr__(self, "title", title)
        object.__setattr__(self, "results", tuple(results))

    @property
    def passed(self) -> bool:
        """Whether every result passed."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        """The results that did not pass."""
        return tuple(r for r in self.results if not r.passed)

    def _summary(self) -> str:
        count = len(self.results)
        ok = count - len(self.failures)
        return f"{self.title}: {ok} of {count} check{'s' if count != 1 else ''} passed"

    def text(self) -> str:
        """Return the plain-text rendering: a summary line, then one block per result."""
        return "\n".join([self._summary(), *(r.text() for r in self.results)])

    def __repr__(self) -> str:
        return self.text()

    __str__ = __repr__

    def _repr_html_(self) -> str:
        colour = _GREEN if self.passed else _RED
        head = f'<div style="color:{colour};font-weight:bold">{_escape(self._summary())}</div>'
        return f"<div>{head}{''.join(r._repr_html_() for r in self.results)}</div>"

    def raise_if_failed(self) -> CheckReport:
        """Return ``self`` if every result passed, else raise with the failed results only."""
        if self.failures:
            lines = [self._summary(), *(r.text() for r in self.failures)]
            raise CheckFailedError("\n".join(lines))
        return self

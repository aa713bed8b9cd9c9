"""Helpers for notebook chrome: the catch-up cell at the top of 02+ and the lab-only guard.

``catch_up(session, "06-deploy-demo")`` runs, in order, every step the notebooks before 06
make, so a learner (or an instructor) can start at any notebook. Every step is idempotent, so
after the earlier notebooks it changes nothing and says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import PodidError
from .i18n import _
from .results import StepResult
from .steps_cluster import (
    create_cluster,
    create_resource_group,
    enable_pod_identity,
    get_credentials,
)
from .steps_demo import deploy_demo
from .steps_identity import add_pod_identity, assign_vm_contributor, create_identity
from .steps_subscription import register_pod_identity_feature

if TYPE_CHECKING:
    from .session import Session

__all__ = ["CATCH_UP_STEPS", "CatchUp", "catch_up", "only_in_lab"]

Step = Callable[["Session"], StepResult]

# The steps each notebook makes, by its number; a notebook's catch-up runs those of all
# notebooks before it (00 only saves settings, 07 removes everything, 08+ make nothing lasting).
CATCH_UP_STEPS: dict[int, tuple[Step, ...]] = {
    1: (register_pod_identity_feature,),
    2: (create_resource_group, create_cluster, get_credentials),
    3: (enable_pod_identity,),
    4: (create_identity, assign_vm_contributor),
    5: (add_pod_identity,),
    6: (deploy_demo,),
}

_NOTEBOOK = re.compile(r"(\d{2})(?:-[a-z0-9-]+)?(?:\.ipynb)?")


@dataclass(frozen=True, repr=False)
class CatchUp:
    """What a catch-up cell did: one line per step, each "done" or "already done"."""

    notebook: str
    results: tuple[StepResult, ...]

    @property
    def changed(self) -> bool:
        """Whether any step had to create something."""
        return any(r.changed for r in self.results)

    def text(self) -> str:
        """Return a summary line, then each step's first line."""
        if not self.results:
            head = _("catch-up for {notebook}: nothing to do")
        elif self.changed:
            head = _("catch-up for {notebook}: created what the earlier notebooks make")
        else:
            head = _("catch-up for {notebook}: everything was already in place")
        head = head.format(notebook=self.notebook)
        return "\n".join([head, *(f"  {r.text().splitlines()[0]}" for r in self.results)])

    def __repr__(self) -> str:
        return self.text()

    __str__ = __repr__


def _number(notebook: str) -> int:
    match = _NOTEBOOK.fullmatch(notebook.strip())
    if match is None:
        raise PodidError(
            _("catch_up() takes a notebook name such as '06-deploy-demo', not {notebook}").format(
                notebook=repr(notebook)
            )
        )
    return int(match.group(1))


def _steps_before(number: int) -> Iterable[Step]:
    for index in sorted(CATCH_UP_STEPS):
        if index < number:
            yield from CATCH_UP_STEPS[index]


def catch_up(session: Session, notebook: str) -> CatchUp:
    """Make what the notebooks before ``notebook`` make (idempotent: re-runs change nothing)."""
    number = _number(notebook)
    results = tuple(step(session) for step in _steps_before(number))
    return CatchUp(notebook=notebook, results=results)


def only_in_lab(session: Session) -> bool:
    """True in the offline lab; in Azure mode, say the cell is skipped and return False."""
    # The guard of cells tagged lab-only: `if ph.only_in_lab(session): ...`.
    if session.mode == "lab":
        return True
    print(_("⏭ skipped: this cell only makes sense in the offline lab (PODID_MODE is azure)"))
    return False

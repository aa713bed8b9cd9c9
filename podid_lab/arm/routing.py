"""ARM's route table: URL templates, the action each needs, and the scope it is checked at."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.responses import Response

if TYPE_CHECKING:
    from .request import ArmRequest

Handler = Callable[["ArmRequest"], Awaitable[Response]]

_PARAM = re.compile(r"\{(\w+)(\*?)\}")


def compile_template(template: str) -> re.Pattern[str]:
    """`/a/{name}/b` -> a case-insensitive regex; `{scope*}` spans any number of segments."""
    out, pos = [], 0
    for match in _PARAM.finditer(template):
        out.append(re.escape(template[pos : match.start()]))
        name, star = match.groups()
        out.append(f"(?P<{name}>(?:/[^/]+)*?)" if star else f"(?P<{name}>[^/]+)")
        pos = match.end()
    out.append(re.escape(template[pos:]))
    return re.compile("^" + "".join(out) + "/?$", re.IGNORECASE)


@dataclass(frozen=True)
class ArmRoute:
    """One operation: method + URL template -> handler, with its RBAC action and scope.

    `action` is the Azure RBAC action the caller needs (None: any authenticated caller);
    `scope` is a template over the URL's parameters naming where that action is checked.
    """

    method: str
    template: str
    handler: Handler
    action: str | None
    scope: str = ""
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", compile_template(self.template))

    def scope_for(self, params: dict[str, str]) -> str:
        """The scope this request is authorized at."""
        return self.scope.format(**params) if self.scope else ""

    def action_for(self, params: dict[str, str]) -> str | None:
        """The RBAC action this request needs (templates take the URL's parameters)."""
        return self.action.format(**params) if self.action else None


class ArmRouter:
    """Routes gathered from every provider; the first template that matches wins."""

    def __init__(self) -> None:
        self._routes: list[ArmRoute] = []

    def add(self, routes: list[ArmRoute]) -> None:
        """Register a provider's routes."""
        self._routes.extend(routes)

    def match(self, method: str, path: str) -> tuple[ArmRoute | None, dict[str, str], bool]:
        """(route, params, path_known): path_known is True when only the method differs."""
        path_known = False
        for route in self._routes:
            found = route.pattern.match(path)
            if not found:
                continue
            if route.method == method:
                return route, {k: v or "" for k, v in found.groupdict().items()}, True
            path_known = True
        return None, {}, path_known

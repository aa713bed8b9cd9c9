"""The one place that lists the lab's services: every ARM provider and HTTP surface."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .arm import operations as arm_operations
from .arm.resources import http as arm_resources

if TYPE_CHECKING:
    from .arm.routing import ArmRoute

# ARM providers, in match order (the first template that matches a path wins).
ARM_ROUTES: tuple[list[ArmRoute], ...] = (
    arm_operations.routes,
    arm_resources.routes,
)

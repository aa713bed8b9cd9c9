"""The one place that lists the lab's services: every ARM provider and HTTP surface."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .arm import operations as arm_operations
from .arm.authorization import http as arm_authorization
from .arm.compute import http as arm_compute
from .arm.containerservice import http as arm_containerservice
from .arm.keyvault import http as arm_keyvault
from .arm.msi import http as arm_msi
from .arm.resources import http as arm_resources

if TYPE_CHECKING:
    from .arm.routing import ArmRoute

# ARM providers, in match order (the first template that matches a path wins).
ARM_ROUTES: tuple[list[ArmRoute], ...] = (
    arm_operations.routes,
    arm_resources.routes,
    arm_containerservice.routes,
    arm_msi.routes,
    arm_compute.routes,
    arm_keyvault.routes,
    # Last: its `{scope*}` templates span any number of segments.
    arm_authorization.routes,
)

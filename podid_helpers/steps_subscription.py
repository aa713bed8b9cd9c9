"""01-prepare-subscription: register the pod identity preview feature, then the provider again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import PodidError
from .i18n import _
from .live import wait_until
from .lookups import CONTAINER_SERVICE, POD_IDENTITY_FEATURE, azure_errors
from .results import StepResult

if TYPE_CHECKING:
    from .session import Session

__all__ = ["register_pod_identity_feature"]

# Azure takes minutes to register a preview feature (the lab seconds); az's docs poll for 15.
FEATURE_TIMEOUT = 20 * 60.0
PROVIDER_TIMEOUT = 10 * 60.0


def feature_state(session: Session) -> str:
    """``properties.state`` of the preview feature (NotRegistered, Registering, Registered…)."""
    with azure_errors():
        feature = session.features.features.get(CONTAINER_SERVICE, POD_IDENTITY_FEATURE)
    return str((feature.properties.state if feature.properties else None) or "NotRegistered")


def provider_state(session: Session) -> str:
    """``registrationState`` of the Microsoft.ContainerService provider."""
    with azure_errors():
        provider = session.resources.providers.get(CONTAINER_SERVICE)
    return str(provider.registration_state or "NotRegistered")


def register_pod_identity_feature(session: Session) -> StepResult:
    """Register EnablePodIdentityPreview, wait for Registered, then re-register the provider."""
    name = f"{CONTAINER_SERVICE}/{POD_IDENTITY_FEATURE}"
    before = feature_state(session)
    if before != "Registered":
        with azure_errors():
            session.features.features.register(CONTAINER_SERVICE, POD_IDENTITY_FEATURE)
        ok, state = wait_until(
            _("registering feature {feature}").format(feature=name),
            lambda: _is(feature_state(session), "Registered"),
            timeout=FEATURE_TIMEOUT,
            interval=1.0,
        )
        if not ok:
            raise PodidError(
                _(
                    "Feature {feature} is still {state}. Azure can take several minutes; "
                    "run this cell again later."
                ).format(feature=name, state=state)
            )
    provider_before = provider_state(session)
    # Registering the provider again propagates the feature to it (the article's
    # `az provider register -n Microsoft.ContainerService`). Azure offers no way to see whether
    # that already happened after the feature was registered, so it is always sent: when the
    # provider is Registered it is a no-op.
    with azure_errors():
        session.resources.providers.register(CONTAINER_SERVICE)
    ok, provider_now = wait_until(
        _("registering provider {provider}").format(provider=CONTAINER_SERVICE),
        lambda: _is(provider_state(session), "Registered"),
        timeout=PROVIDER_TIMEOUT,
        interval=1.0,
    )
    if not ok:
        raise PodidError(
            _("Provider {provider} is still {state}; run this cell again later.").format(
                provider=CONTAINER_SERVICE, state=provider_now
            )
        )
    changed = before != "Registered" or provider_before != "Registered"
    return StepResult(
        step="register_pod_identity_feature",
        changed=changed,
        summary=_("feature {feature} is Registered").format(feature=name),
        details=(
            _("provider {provider} re-registered: Registered").format(provider=CONTAINER_SERVICE),
        ),
    )


def _is(state: str, wanted: str) -> tuple[bool, str]:
    return state == wanted, state

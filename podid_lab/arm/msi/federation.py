"""Federated identity credentials on user-assigned identities: what a token exchange trusts.

Each credential names one issuer, one subject and its audiences; Entra matches a presented
assertion against them exactly (case-sensitively, since 2024-2025). An identity holds at most 20.
The resource lives below its identity, so deleting the identity takes its credentials along.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ...store import Document
from ..errors import ArmError
from ..table import public

if TYPE_CHECKING:
    from ...lab import Lab

FIC_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
MAX_PER_IDENTITY = 20
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$")


def _invalid(message: str, target: str) -> ArmError:
    # The MSI provider's exact codes for these are not published; BadRequest is what it uses.
    return ArmError(400, "BadRequest", message, target=target)


def validate(name: str, props: dict[str, Any]) -> Document:
    """The credential's properties, checked as the MSI provider checks them."""
    if not _NAME.match(name):
        raise _invalid(
            f"The federated identity credential name '{name}' is invalid. It must be 3 to 120 "
            "characters long, start with a letter or digit, and contain only letters, digits, "
            "'-' and '_'.",
            "name",
        )
    issuer = props.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise _invalid("The 'issuer' property is required.", "properties.issuer")
    parsed = urlparse(issuer)
    if parsed.scheme != "https" or not parsed.netloc or len(issuer) > 600:
        raise _invalid(
            f"The issuer '{issuer}' is invalid. It must be an https URL of at most 600 characters.",
            "properties.issuer",
        )
    subject = props.get("subject")
    if not isinstance(subject, str) or not subject or len(subject) > 600:
        raise _invalid(
            "The 'subject' property is required and must be at most 600 characters.",
            "properties.subject",
        )
    audiences = props.get("audiences")
    if (
        not isinstance(audiences, list)
        or len(audiences) != 1
        or not isinstance(audiences[0], str)
        or not audiences[0]
        or len(audiences[0]) > 600
    ):
        raise _invalid(
            "The 'audiences' property must hold exactly one audience of at most 600 characters "
            "(for Microsoft Entra ID: api://AzureADTokenExchange).",
            "properties.audiences",
        )
    return {"issuer": issuer, "subject": subject, "audiences": list(audiences)}


class FederatedCredentials:
    """Create, read, list and delete the credentials of an identity."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab

    @staticmethod
    def credential_id(identity_id: str, name: str) -> str:
        """A credential's resource ID below its identity."""
        return f"{identity_id}/federatedIdentityCredentials/{name}"

    def of(self, identity_id: str) -> list[Document]:
        """The identity's credentials, in name order."""
        return self._lab.resources.list(identity_id, FIC_TYPE)

    def get(self, identity_id: str, name: str) -> Document | None:
        """One credential, or None."""
        doc = self._lab.resources.get(self.credential_id(identity_id, name))
        return doc if doc is not None and doc["type"] == FIC_TYPE else None

    def put(self, identity_id: str, name: str, body: dict[str, Any]) -> tuple[Document, bool]:
        """Create or replace a credential; (credential, created)."""
        props = validate(name, body.get("properties") or {})
        existing = self.get(identity_id, name)
        if existing is None and len(self.of(identity_id)) >= MAX_PER_IDENTITY:
            raise _invalid(
                f"The managed identity '{identity_id}' already has the maximum of "
                f"{MAX_PER_IDENTITY} federated identity credentials; delete one first.",
                "name",
            )
        doc: Document = {
            "id": self.credential_id(identity_id, name),
            "name": name,
            "type": FIC_TYPE,
            "properties": props,
        }
        self._lab.resources.put(doc)
        return doc, existing is None

    def delete(self, identity_id: str, name: str) -> bool:
        """Delete one credential; False if there was none."""
        if self.get(identity_id, name) is None:
            return False
        return self._lab.resources.delete(self.credential_id(identity_id, name))

    @staticmethod
    def arm_doc(doc: Document) -> Document:
        """A credential as ARM returns it."""
        return public(doc)

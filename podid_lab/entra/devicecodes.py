"""Device codes waiting for their user: issued pending, approved or declined by the lab's owner.

On Azure the user opens the verification page, types the code and signs in; in the lab only the
owner of the lab home may answer for the lab user (`podid-lab signin approve CODE` or the sign-in
page in the owner's JupyterLab, both with the admin key). A code lives in the lab's state, so a
restarted lab still knows it, and it is redeemed once.
"""

from __future__ import annotations

import re
import secrets
import string
import time
from typing import Literal

from ..store import Document, Store

COLLECTION = "entra.devicecodes"
# Entra's user codes are 8 or 9 letters and digits; the lab's leave out 0, 1, I and O, which a
# learner typing the code could mix up.
USER_CODE_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "01IO")
USER_CODE_LENGTH = 9
Answer = Literal["approved", "declined"]
Status = Literal["pending", "approved", "declined", "unknown"]


class UnknownUserCode(ValueError):
    """No live device code has this user code."""


class DeviceCodes:
    """The lab's outstanding device codes, by user code."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def issue(self, client_id: str, lifetime: int) -> Document:
        """A new pending code for `client_id`: its user code, device ID and expiry."""
        self._drop_expired()
        user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
        doc = {
            "user_code": user_code,
            "device_id": secrets.token_urlsafe(24),
            "client_id": client_id,
            "expires": int(time.time()) + lifetime,
            "state": "pending",
        }
        self._store.put(COLLECTION, user_code, doc)
        return doc

    def answer(self, user_code: str, answer: Answer) -> Document:
        """Approve or decline a live, pending code (UnknownUserCode otherwise)."""
        code = normalize(user_code)
        doc = self._store.get(COLLECTION, code)
        if doc is None or doc["expires"] <= time.time() or doc["state"] != "pending":
            raise UnknownUserCode(user_code)
        doc = dict(doc, state=answer)
        self._store.put(COLLECTION, code, doc)
        return doc

    def status(self, user_code: str, device_id: str) -> Status:
        """Where the device's (unexpired) code stands; an approved code is redeemed by this call."""
        doc = self._store.get(COLLECTION, user_code)
        if doc is None or not secrets.compare_digest(doc["device_id"], device_id):
            return "unknown"
        if doc["state"] == "approved":
            self._store.delete(COLLECTION, user_code)  # a device code is redeemed once
        return doc["state"]  # type: ignore[no-any-return]

    def _drop_expired(self) -> None:
        now = time.time()
        for key, doc in self._store.scan(COLLECTION):
            if doc["expires"] <= now:
                self._store.delete(COLLECTION, key)


def normalize(user_code: str) -> str:
    """A user code as typed (any case, spaces or dashes) in its stored form."""
    return re.sub(r"[\s-]", "", user_code).upper()

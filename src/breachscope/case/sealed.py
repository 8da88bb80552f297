"""Field-level encryption of the leaked values a case keeps for notices (optional, per incident).

An incident opened with ``case new --encrypt`` stores the exposure values a notice may quote
(email, city, region, country) encrypted: AES-256-GCM under a key derived from the case key
(HKDF-SHA256, its own label), bound to the incident and the column (so a value cannot be moved to
another column or case). The case key is itself kept apart from the database
(:mod:`breachscope.case.keys`), so a copy of the database alone shows no leaked value, and purge,
which destroys the case key, makes every sealed value unreadable even in old backups.

A sealed value is text: ``enc1:`` + base64(nonce + ciphertext + tag), so it fits the same
columns and readers can tell it apart; :meth:`Sealer.open` passes plain values through, so a
case mixing both (values stored before ``--encrypt`` existed) reads correctly.

Hashes are not sealed (they are already keyed), nor are ISO codes and jurisdictions (coarse,
needed in SQL for counts). What it costs is measured by ``benchmarks/atrest.py``.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "enc1:"
#: Exposure columns sealed when an incident encrypts its values.
SEALED_COLUMNS: tuple[str, ...] = ("email", "city", "region", "country")
_NONCE = 12


def field_key(case_key: bytes) -> bytes:
    """The field-encryption key of a case, derived from its case key (never stored)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"breachscope field encryption v1")
    return hkdf.derive(case_key)


class Sealer:
    """Seals and opens one incident's values."""

    def __init__(self, case_key: bytes, incident_id: int) -> None:
        self._aead = AESGCM(field_key(case_key))
        self._incident = incident_id

    def _aad(self, column: str) -> bytes:
        return f"breachscope field v1 incident {self._incident} column {column}".encode()

    def seal(self, column: str, value: str | None) -> str | None:
        if value is None:
            return None
        nonce = secrets.token_bytes(_NONCE)
        blob = nonce + self._aead.encrypt(nonce, value.encode("utf-8", "surrogatepass"), self._aad(column))
        return PREFIX + base64.b64encode(blob).decode("ascii")

    def seal_all(self, column: str, values: Iterable[str | None]) -> list[str | None]:
        aad = self._aad(column)
        encrypt = self._aead.encrypt
        out: list[str | None] = []
        for value in values:
            if value is None:
                out.append(None)
                continue
            nonce = secrets.token_bytes(_NONCE)
            blob = nonce + encrypt(nonce, value.encode("utf-8", "surrogatepass"), aad)
            out.append(PREFIX + base64.b64encode(blob).decode("ascii"))
        return out

    def open(self, column: str, value: str | None) -> str | None:
        """The plain value (a value that was never sealed is returned as it is)."""
        if value is None or not value.startswith(PREFIX):
            return value
        try:
            blob = base64.b64decode(value[len(PREFIX) :], validate=True)
            plain = self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], self._aad(column))
        except (InvalidTag, ValueError):
            return None  # not sealed by this case's key (or altered): unknown, never garbage
        return plain.decode("utf-8", "surrogatepass")


def is_sealed(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX)

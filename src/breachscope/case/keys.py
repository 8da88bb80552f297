"""Case keys: each incident's HMAC key is kept apart from the database it protects.

Every incident has its own random 32-byte key; identifiers are stored only as HMAC-SHA256 under
it (``breachscope.hashing``). Whoever holds that key and a copy of the case can test guesses
("is alice@example.com in the leak?"), so the key must not sit in the same file. The database
holds the key only **wrapped**: encrypted with AES-256-GCM under a **key-encryption key**
(KEK) that lives elsewhere, found in this order:

1. ``$BREACHSCOPE_KEY``: the KEK itself, base64 of 32 bytes (for a secret manager or CI);
2. ``$BREACHSCOPE_KEY_FILE``: a key file at that path;
3. SQLite: ``<database file>.key`` next to the database (``breachscope.db.key``);
   PostgreSQL: ``<key folder>/<host>_<port>_<database>.key``, the key folder being
   ``$BREACHSCOPE_KEY_DIR``, else ``$XDG_CONFIG_HOME/breachscope/keys``, else
   ``~/.config/breachscope/keys``;
4. an in-memory SQLite database uses a key that lives only as long as the process.

A key file is created 0600 (in a 0700 folder) only when a database's first incident is opened
or when an older case's plain key is moved out. Either part alone is useless: the database
without the key file holds no usable key, and the key file holds no hash. Purge deletes the
wrapped key, so that incident's key is gone even for whoever keeps the KEK.

Rotation (:func:`breachscope.case.rekey.rotate`) re-wraps every case key under a new KEK and
replaces the key file; the hashes stay valid. The case keys themselves cannot be rotated in place, because the
identifiers they hash are (by design) not stored: see docs/case.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import URL, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from breachscope.case.models import Incident, NamedKey
from breachscope.errors import BreachscopeError
from breachscope.files import private_dir, write_private

KEY_ENV = "BREACHSCOPE_KEY"
KEY_FILE_ENV = "BREACHSCOPE_KEY_FILE"
KEY_DIR_ENV = "BREACHSCOPE_KEY_DIR"
KEK_BYTES = 32
_MAGIC = "breachscope-kek-v1"
_NONCE = 12
#: The key of in-memory databases: it dies with the process, as they do.
_PROCESS_KEK = secrets.token_bytes(KEK_BYTES)


@dataclass(frozen=True)
class KeySource:
    """Where a database's key-encryption key comes from."""

    kind: str  # env | file | process
    path: Path | None = None

    def describe(self) -> str:
        if self.kind == "env":
            return f"${KEY_ENV}"
        if self.kind == "process":
            return "a key held only by this process (in-memory database)"
        return str(self.path)


def _key_dir() -> Path:
    if os.environ.get(KEY_DIR_ENV):
        return Path(os.environ[KEY_DIR_ENV]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "breachscope" / "keys"


def key_source(url: str | URL) -> KeySource:
    """Where the KEK of the case at ``url`` is: environment, key file, or (in-memory) the process."""
    if os.environ.get(KEY_ENV):
        return KeySource("env")
    if os.environ.get(KEY_FILE_ENV):
        return KeySource("file", Path(os.environ[KEY_FILE_ENV]).expanduser())
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if not db or db == ":memory:" or db.startswith("file:"):
            return KeySource("process")
        path = Path(db).expanduser().resolve()
        return KeySource("file", path.with_name(path.name + ".key"))
    name = f"{parsed.host or 'localhost'}_{parsed.port or 5432}_{parsed.database or ''}"
    return KeySource("file", _key_dir() / (re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".key"))


def key_id(kek: bytes) -> str:
    """A fingerprint naming a KEK (HMAC of a constant; reveals nothing about the key)."""
    return hmac.new(kek, b"breachscope key id", hashlib.sha256).hexdigest()[:16]


def parse_key_file(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise BreachscopeError(
            f"cannot read the key file {path}: {exc}", "check the file and its owner"
        ) from None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == _MAGIC:
            return _decode(parts[1], str(path))
    raise BreachscopeError(
        f"{path} is not a breachscope key file", f"it should hold a line '{_MAGIC} <base64>'"
    )


def _decode(value: str, where: str) -> bytes:
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEK_BYTES:
        raise BreachscopeError(
            f"{where} does not hold a key (base64 of {KEK_BYTES} bytes)",
            'make one with: python -c "import base64,os;print(base64.b64encode(os.urandom(32)).decode())"',
        )
    return key


def write_key_file(path: Path, kek: bytes, *, note: str = "") -> Path:
    """A new key file (0600 in a 0700 folder); refuses to overwrite an existing one."""
    private_dir(path.parent)
    body = (
        "# breachscope key-encryption key. Keep it apart from the case database (another disk,\n"
        "# a secret manager); without it the case's hashes cannot be used. Do not share.\n"
        + (f"# {note}\n" if note else "")
        + f"{_MAGIC} {base64.b64encode(kek).decode()}\n"
    )
    tmp = path.with_name(path.name + ".tmp")
    write_private(tmp, body)
    try:
        os.link(tmp, path)  # atomic and never overwrites an existing key
    finally:
        tmp.unlink()
    return path


def load_kek(source: KeySource) -> bytes | None:
    """The KEK from ``source``, or ``None`` when its key file does not exist."""
    if source.kind == "env":
        return _decode(os.environ[KEY_ENV], f"${KEY_ENV}")
    if source.kind == "process":
        return _PROCESS_KEK
    assert source.path is not None
    if not source.path.exists():
        return None
    return parse_key_file(source.path)


def url_of(session: Session) -> URL:
    return session.get_bind().engine.url


def kek_for(session: Session, *, create: bool = False) -> tuple[bytes, KeySource]:
    """The KEK of the session's database; with ``create``, a missing key file is made, but only
    while no incident of the database has a key wrapped under another one."""
    url = url_of(session)
    source = key_source(url)
    kek = load_kek(source)
    if kek is not None:
        return kek, source
    assert source.path is not None
    wrapped = session.scalar(select(Incident.id).where(Incident.wrapped_key.is_not(None)).limit(1))
    if not create or wrapped is not None:
        raise BreachscopeError(
            f"the key of this case database is missing: {source.path} does not exist",
            f"restore the key file from where you keep it, or set ${KEY_ENV} / ${KEY_FILE_ENV} "
            "(without it the case's hashes cannot be used)",
        )
    write_key_file(source.path, secrets.token_bytes(KEK_BYTES), note=f"for {url.render_as_string()}")
    kek = load_kek(source)
    assert kek is not None
    return kek, source


def _aad(incident_id: int) -> bytes:
    return f"breachscope case key v1 incident {incident_id}".encode()


def wrap(kek: bytes, incident_id: int, case_key: bytes) -> bytes:
    """The case key encrypted under the KEK, bound to its incident (nonce + ciphertext + tag)."""
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(kek).encrypt(nonce, case_key, _aad(incident_id))


def unwrap(kek: bytes, incident_id: int, blob: bytes) -> bytes | None:
    """The case key, or ``None`` if this KEK did not wrap it."""
    try:
        return AESGCM(kek).decrypt(blob[:_NONCE], blob[_NONCE:], _aad(incident_id))
    except InvalidTag:
        return None


def wrap_named(kek: bytes, label: str, key: bytes) -> bytes:
    """A key that belongs to no incident (``named_keys``: the canary registry's) wrapped under the
    KEK, bound to its label the way :func:`wrap` binds a case key to its incident."""
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(kek).encrypt(nonce, key, f"breachscope key v1 {label}".encode())


def unwrap_named(kek: bytes, label: str, blob: bytes) -> bytes | None:
    """The key :func:`wrap_named` wrapped, or ``None`` if this KEK did not wrap it."""
    try:
        return AESGCM(kek).decrypt(blob[:_NONCE], blob[_NONCE:], f"breachscope key v1 {label}".encode())
    except InvalidTag:
        return None


def named_key(session: Session, label: str, *, create: bool = False) -> bytes | None:
    """The database's key called ``label`` (random 32 bytes, stored only wrapped in ``named_keys``);
    with ``create``, made on first use. ``None`` when it does not exist and ``create`` is false."""
    row = session.scalar(select(NamedKey).where(NamedKey.label == label))
    if row is None:
        if not create:
            return None
        kek, _ = kek_for(session, create=True)
        fresh = secrets.token_bytes(KEK_BYTES)
        session.add(NamedKey(label=label, wrapped_key=wrap_named(kek, label, fresh), key_id=key_id(kek)))
        session.flush()
        return fresh
    kek, source = kek_for(session)
    key = unwrap_named(kek, label, row.wrapped_key)
    if key is None:
        raise BreachscopeError(
            f"the key in {source.describe()} (id {key_id(kek)}) does not open the {label} key "
            f"(wrapped by key id {row.key_id or 'unknown'})",
            f"use the key file that belongs to this database (${KEY_FILE_ENV} / ${KEY_ENV})",
        )
    return key


def case_key(session: Session, incident_id: int, wrapped: bytes, wrapped_by: str | None) -> bytes:
    """Unwrap an incident's key with the database's KEK; a clear error when it is not the right one."""
    kek, source = kek_for(session)
    key = unwrap(kek, incident_id, wrapped)
    if key is None and source.path is not None:
        pending = source.path.with_name(source.path.name + ".new")
        if pending.exists():  # a rotation stopped between the database commit and the file rename
            key = unwrap(parse_key_file(pending), incident_id, wrapped)
            if key is not None:
                os.replace(pending, source.path)
    if key is None:
        raise BreachscopeError(
            f"the key in {source.describe()} (id {key_id(kek)}) does not open incident {incident_id} "
            f"(wrapped by key id {wrapped_by or 'unknown'})",
            f"use the key file that belongs to this database (${KEY_FILE_ENV} / ${KEY_ENV})",
        )
    return key


def new_case_key(session: Session, incident_id: int, case_key: bytes) -> tuple[bytes, str]:
    """Wrap a new incident's key (creating the database's key file for its first incident)."""
    kek, _ = kek_for(session, create=True)
    return wrap(kek, incident_id, case_key), key_id(kek)

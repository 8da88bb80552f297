"""Moving an older case's plain key out of the database, and rotating the key-encryption key.

See :mod:`breachscope.case.keys` for where keys live. Both operations change every incident of
a database in one transaction, record a ``key`` timeline event per incident, and vacuum the
database afterwards (``breachscope.case.wipe``).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from breachscope.case import keys
from breachscope.case.api import add_timeline_event
from breachscope.case.models import Incident, NamedKey
from breachscope.case.session import session_scope
from breachscope.case.wipe import compact, find_in_files
from breachscope.errors import BreachscopeError


@dataclass(frozen=True)
class KeyMove:
    """What :func:`move_plain_keys` did: incidents whose plain key left the database."""

    incidents: list[int]
    source: str
    verified: str  # what was checked afterwards


def move_plain_keys(engine: Engine) -> KeyMove | None:
    """Wrap the plain ``incidents.hash_key`` of an older case, delete it, vacuum, check the bytes.

    ``None`` when there was nothing to move.
    """
    with session_scope(engine) as s:
        plain = list(s.scalars(select(Incident).where(Incident.hash_key.is_not(None))))
        if not plain:
            return None
        kek, source = keys.kek_for(s, create=True)
        old = [bytes(i.hash_key or b"") for i in plain]
        for incident in plain:
            assert incident.hash_key is not None
            incident.wrapped_key = keys.wrap(kek, incident.id, incident.hash_key)
            incident.key_id = keys.key_id(kek)
            incident.hash_key = None
        ids = [i.id for i in plain]
    compact(engine, ["incidents"])
    found = find_in_files(engine, old)
    if found is None:
        verified = "the database is on a server: its files cannot be read from here (incidents vacuumed full)"
    elif found:
        verified = f"NOT verified: {len(found)} of {len(old)} old keys still in {', '.join(sorted(found))}"
    else:
        verified = f"checked: none of the {len(old)} old keys is in the database file, its -wal or -shm"
    with session_scope(engine) as s:
        for iid in ids:
            add_timeline_event(
                s,
                iid,
                f"Hash key moved out of the database: only a copy wrapped under the key in "
                f"{source.describe()} is stored; {verified}",
                kind="key",
            )
    return KeyMove(ids, source.describe(), verified)


@dataclass(frozen=True)
class Rotation:
    incidents: int
    old_key_id: str
    new_key_id: str
    key_file: str


def rotate(engine: Engine, *, new_key_file: Path | None = None, author: str = "breachscope") -> Rotation:
    """Re-wrap every case key of the database under a new KEK and put the new key in place.

    With a key file: the new key is written beside it (``.new``), the database is re-wrapped in
    one transaction, then the file is replaced (a crash in between is finished on next use).
    With ``$BREACHSCOPE_KEY``: the new key goes to ``new_key_file``, whose content then replaces
    the variable's value.
    """
    new = secrets.token_bytes(keys.KEK_BYTES)
    with session_scope(engine) as s:
        old, source = keys.kek_for(s)
        if source.kind == "process":
            raise BreachscopeError("an in-memory case has no key to rotate", "")
        if source.kind == "env" and new_key_file is None:
            raise BreachscopeError(
                f"the key comes from ${keys.KEY_ENV}",
                "give --new-key-file PATH, then set the variable to the key in that file",
            )
        target = new_key_file or source.path
        assert target is not None
        pending = target if new_key_file is not None else target.with_name(target.name + ".new")
        if pending.exists():
            raise BreachscopeError(f"{pending} already exists", "move it away (an unfinished rotation?)")
        keys.write_key_file(pending, new, note=f"for {keys.url_of(s).render_as_string()}")
        count = 0
        for incident in s.scalars(select(Incident).where(Incident.wrapped_key.is_not(None))):
            assert incident.wrapped_key is not None
            key = keys.unwrap(old, incident.id, incident.wrapped_key)
            if key is None:
                pending.unlink()
                raise BreachscopeError(
                    f"incident {incident.id} is not wrapped by the current key; nothing was changed",
                    "use the key file that belongs to this database",
                )
            incident.wrapped_key = keys.wrap(new, incident.id, key)
            incident.key_id = keys.key_id(new)
            add_timeline_event(
                s,
                incident.id,
                f"Key-encryption key rotated (key id {keys.key_id(old)} -> {keys.key_id(new)}); "
                "hashes unchanged",
                author=author,
                kind="key",
            )
            count += 1
        for named in s.scalars(select(NamedKey)):
            plain = keys.unwrap_named(old, named.label, named.wrapped_key)
            if plain is None:
                pending.unlink()
                raise BreachscopeError(
                    f"the {named.label} key is not wrapped by the current key; nothing was changed",
                    "use the key file that belongs to this database",
                )
            named.wrapped_key = keys.wrap_named(new, named.label, plain)
            named.key_id = keys.key_id(new)
    if new_key_file is None:
        os.replace(pending, target)
    compact(engine, ["incidents", "named_keys"])
    return Rotation(count, keys.key_id(old), keys.key_id(new), str(target))

"""Browsing a scope page by page: organizations -> admins -> users, unmatched and review items,
and "is this email address in the leak?" - all keyset-paginated, so page N costs what page 1 does
on a case of millions (never ``OFFSET``, never a count of everything).

Email search hashes the typed address under the case key (HMAC, the same normal form as attach)
and looks the hash up in the indexed ``exposures.email_hash``: the leaked addresses are never
scanned and never compared in the clear. Emails are returned masked (``hashing.mask``); a caller
that may unmask reads the account itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from breachscope.case import api
from breachscope.case.models import Account, AffectedOrg, Exposure, Match
from breachscope.case.sealed import Sealer
from breachscope.hashing import keyed_hash, mask
from breachscope.identity.emails import normalise_email

PAGE = 50


@dataclass(frozen=True)
class Page:
    """One page of rows and the key to pass as ``after`` for the next page (``None``: last page)."""

    rows: list[dict[str, Any]]
    after: str | None = None
    notes: list[str] = field(default_factory=list)


def _id(after: str | None) -> int | None:
    """A page key of an id-ordered list (``None``: first page; anything not a number too)."""
    return int(after) if after is not None and after.isdigit() and len(after) < 19 else None


def _masked(sealer: Sealer | None, value: str | None) -> str | None:
    plain = api.open_value(sealer, "email", value)
    return mask(plain) if plain else None


def orgs(
    session: Session, incident_id: int, *, after: str | None = None, name: str = "", limit: int = PAGE
) -> Page:
    """Affected organizations in ``org_id`` order; ``name`` keeps those whose id or name starts with it."""
    stmt = select(AffectedOrg).where(AffectedOrg.incident_id == incident_id)
    if name:
        stmt = stmt.where(
            (AffectedOrg.org_id == name)
            | and_(AffectedOrg.org_name >= name, AffectedOrg.org_name < name + "\U0010ffff")
        )
    if after is not None:
        stmt = stmt.where(AffectedOrg.org_id > after)
    got = list(session.scalars(stmt.order_by(AffectedOrg.org_id).limit(limit + 1)))
    rows = [
        {
            "org_id": o.org_id,
            "org_name": o.org_name,
            "leaked_people": o.leaked_people,
            "affected_users": o.affected_users,
            "org_only_people": o.org_only_people,
            "admins": o.admins,
            "exposed_classes": list(o.exposed_classes),
        }
        for o in got[:limit]
    ]
    return Page(rows, got[limit - 1].org_id if len(got) > limit else None)


def org_accounts(
    session: Session,
    incident_id: int,
    org_id: str,
    *,
    admins: bool,
    after: str | None = None,
    limit: int = PAGE,
) -> Page:
    """The org's admins (``admins=True``) or its affected users, in account id order."""
    stmt = select(Account).where(Account.incident_id == incident_id, Account.org_id == org_id)
    stmt = stmt.where(Account.is_admin.is_(True)) if admins else stmt.where(Account.affected.is_(True))
    if (last := _id(after)) is not None:
        stmt = stmt.where(Account.id > last)
    got = list(session.scalars(stmt.order_by(Account.id).limit(limit + 1)))
    rows = [_account(a) for a in got[:limit]]
    return Page(rows, str(got[limit - 1].id) if len(got) > limit else None)


def affected_accounts(
    session: Session, incident_id: int, *, after: str | None = None, limit: int = PAGE
) -> Page:
    """Accounts whose own record leaked, across organizations, in account id order."""
    stmt = select(Account).where(Account.incident_id == incident_id, Account.affected.is_(True))
    if (last := _id(after)) is not None:
        stmt = stmt.where(Account.id > last)
    got = list(session.scalars(stmt.order_by(Account.id).limit(limit + 1)))
    rows = [_account(a) for a in got[:limit]]
    return Page(rows, str(got[limit - 1].id) if len(got) > limit else None)


def _account(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "user_id": a.user_id,
        "email_masked": mask(a.email) if a.email else None,
        "name": a.name,
        "org_id": a.org_id,
        "org_name": a.org_name,
        "role": a.role,
        "language": a.language,
        "country": a.country_code,
        "is_admin": a.is_admin,
        "own_record_leaked": a.affected,
    }


def find_email(session: Session, incident_id: int, email: str) -> dict[str, Any]:
    """Is ``email`` in the leak of this incident, and which accounts did it match? (by keyed hash)"""
    norm = normalise_email(email)
    if norm is None:
        return {"valid": False, "exposures": [], "accounts": []}
    digest = keyed_hash(api.case_key(session, incident_id), norm)
    found = list(
        session.scalars(
            select(Exposure).where(Exposure.email_hash == digest, api.settled(session, incident_id)).limit(20)
        )
    )
    ids = [e.id for e in found]
    accounts: list[dict[str, Any]] = []
    if ids:
        stmt = (
            select(Match, Account)
            .join(Account, Account.id == Match.account_id)
            .where(Match.incident_id == incident_id, Match.exposure_id.in_(ids))
        )
        for m, a in session.execute(stmt):
            accounts.append({**_account(a), "match_key": m.key, "ambiguous": m.ambiguous})
    return {
        "valid": True,
        "exposures": [_exposure(api.value_sealer(session, incident_id), e) for e in found],
        "accounts": accounts,
    }


def _exposure(sealer: Sealer | None, e: Exposure) -> dict[str, Any]:
    return {
        "exposure_id": e.id,
        "person_key_kind": e.person_key_kind,
        "email_masked": _masked(sealer, e.email),
        "jurisdiction": e.jurisdiction,
        "directory_jurisdiction": e.directory_jurisdiction,
        "exposed_classes": list(e.exposed_classes),
        "exposed_fields": list(e.exposed_fields),
    }


def unmatched(session: Session, incident_id: int, *, after: str | None = None, limit: int = PAGE) -> Page:
    """Leaked people matched to no account (ambiguous and look-alike candidates do not count)."""
    matched = exists().where(
        Match.incident_id == incident_id,
        Match.exposure_id == Exposure.id,
        Match.ambiguous.is_(False),
        Match.account_id.is_not(None),
    )
    stmt = select(Exposure).where(api.settled(session, incident_id), ~matched)
    if (last := _id(after)) is not None:
        stmt = stmt.where(Exposure.id > last)
    got = list(session.scalars(stmt.order_by(Exposure.id).limit(limit + 1)))
    sealer = api.value_sealer(session, incident_id)
    rows = [_exposure(sealer, e) for e in got[:limit]]
    return Page(rows, str(got[limit - 1].id) if len(got) > limit else None)


def review(session: Session, incident_id: int, *, after: str | None = None, limit: int = PAGE) -> Page:
    """Leaked people with ambiguous or look-alike candidates, each with its candidate accounts."""
    stmt = select(Match.exposure_id).where(Match.incident_id == incident_id, Match.ambiguous.is_(True))
    if (last := _id(after)) is not None:
        stmt = stmt.where(Match.exposure_id > last)
    ids = list(session.scalars(stmt.distinct().order_by(Match.exposure_id).limit(limit + 1)))
    page_ids = ids[:limit]
    rows: list[dict[str, Any]] = []
    if page_ids:
        exposures = {e.id: e for e in session.scalars(select(Exposure).where(Exposure.id.in_(page_ids)))}
        cands: dict[int, list[dict[str, Any]]] = {i: [] for i in page_ids}
        keys: dict[int, set[str]] = {i: set() for i in page_ids}
        stmt2 = (
            select(Match, Account)
            .outerjoin(Account, Account.id == Match.account_id)
            .where(
                Match.incident_id == incident_id, Match.exposure_id.in_(page_ids), Match.ambiguous.is_(True)
            )
        )
        for m, a in session.execute(stmt2):
            keys[m.exposure_id].add(m.key)
            if a is not None:
                cands[m.exposure_id].append({**_account(a), "match_key": m.key})
        sealer = api.value_sealer(session, incident_id)
        for i in page_ids:
            row = _exposure(sealer, exposures[i])
            row["reason"] = "look-alike" if "email_lookalike" in keys[i] else "ambiguous"
            row["match_keys"] = sorted(keys[i])
            row["candidates"] = cands[i]
            rows.append(row)
    return Page(rows, str(ids[limit - 1]) if len(ids) > limit else None)


__all__ = ["PAGE", "Page", "find_email", "org_accounts", "orgs", "review", "unmatched"]

"""Who gets told: the notice recipients and jurisdiction counts derived from a stored scope.

These read only the case database (accounts, matches, exposures written by ``scope``), so
``assess`` and ``notify`` never need the directory or the leaked file again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breachscope.case import api
from breachscope.case.models import Account, Exposure, Match
from breachscope.identity.jurisdiction import CHECKS, DIFFER, IMPLAUSIBLE, compare, count_keys
from breachscope.scope.rollup import org_rollup

#: Key used in :func:`jurisdiction_counts` for people whose location is unknown (CLDR's "Unknown Region").
UNKNOWN = "ZZ"


@dataclass(frozen=True)
class Recipient:
    """One account to notify. ``role`` is ``admin`` (of an affected org) or ``user`` (own record leaked).

    An admin whose own record also leaked appears once, as ``admin``, with ``own_record_leaked``
    set and their own ``exposed_classes``/``exposed_fields`` filled in.
    """

    role: str  # admin | user
    account_id: int  # accounts.id in the case
    user_id: str  # the directory's user id
    email: str | None
    name: str | None
    language: str | None
    org_id: str | None
    org_name: str | None
    country: str | None  # ISO 3166-1 alpha-2 of the jurisdiction
    region: str | None  # ISO 3166-2 subdivision code, e.g. "US-CA"
    jurisdiction: str | None  # region if known, else country
    jurisdiction_source: str | None  # leak_region | leak_country | directory_country
    own_record_leaked: bool
    #: Every jurisdiction code of the recipient, from the leak AND the directory (``("US-CA", "DE")``).
    jurisdictions: tuple[str, ...] = ()
    exposed_classes: tuple[str, ...] = ()
    exposed_fields: tuple[str, ...] = ()
    # Display values as they leaked (what the notice quotes back).
    city_display: str | None = None
    region_display: str | None = None
    country_display: str | None = None
    # Admins only: the organization's exposure.
    org_affected_users: int = 0
    org_exposed_classes: tuple[str, ...] = field(default_factory=tuple)


def _split(jurisdiction: str | None) -> tuple[str | None, str | None]:
    if not jurisdiction or jurisdiction == UNKNOWN:
        return None, None
    if "-" in jurisdiction:
        return jurisdiction.split("-", 1)[0], jurisdiction
    return jurisdiction, None


def jurisdiction_counts(session: Session, incident_id: int) -> dict[str, int]:
    """Leaked people per jurisdiction, keyed by ISO code.

    Every person counts once under their country (``"US"``, ``"DE"``, ``"ID"``) and, when the
    subdivision is known, also under it (``"US-CA"``, ``"CA-QC"``): subdivision counts are a
    subset of their country's. People with no known location count under ``"ZZ"``. Counts cover
    every leaked person (matched or not); ambiguous matches do not change a person's location.
    """
    stmt = (
        select(Exposure.jurisdiction, Exposure.directory_jurisdiction, func.count())
        .where(api.settled(session, incident_id))
        .group_by(Exposure.jurisdiction, Exposure.directory_jurisdiction)
    )
    return count_jurisdictions((a, b, n) for a, b, n in session.execute(stmt))


def count_jurisdictions(rows: Iterable[tuple[str | None, str | None, int]]) -> dict[str, int]:
    """:func:`jurisdiction_counts` from ``(jurisdiction, directory_jurisdiction, people)`` rows."""
    out: Counter[str] = Counter()
    for code, directory, n in rows:
        for key in count_keys(code, directory):
            out[key] += n
    return dict(sorted(out.items()))


#: How many differences (leak country -> directory country pairs) a scope summary lists.
TOP_DIFFERENCES = 20


def jurisdiction_checks(session: Session, incident_id: int) -> dict[str, Any]:
    """Leak location vs directory country, over every leaked person: how many agree, differ, are
    implausible (``AQ``: the directory's country is used), known from one side only, or unknown;
    plus the most common differences as ``"leak AQ / directory DE": n``."""
    stmt = (
        select(Exposure.country_code, Exposure.directory_jurisdiction, func.count())
        .where(api.settled(session, incident_id))
        .group_by(Exposure.country_code, Exposure.directory_jurisdiction)
    )
    return check_jurisdictions((a, b, n) for a, b, n in session.execute(stmt))


def check_jurisdictions(rows: Iterable[tuple[str | None, str | None, int]]) -> dict[str, Any]:
    """:func:`jurisdiction_checks` from ``(leaked country_code, directory_jurisdiction, people)`` rows."""
    counts: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for leak, directory, n in rows:
        check = compare(leak, directory)
        counts[check] += n
        if check in (DIFFER, IMPLAUSIBLE):
            pairs[f"leak {leak} / directory {directory or 'none'}"] += n
    return {
        **{c: counts.get(c, 0) for c in CHECKS},
        "differences": dict(pairs.most_common(TOP_DIFFERENCES)),
    }


def checks_sentence(checks: dict[str, Any]) -> str:
    """``"; leak and directory disagree for 3 people, 20,000 have an implausible leaked location
    (the directory's country is used)"`` or ``""`` when nothing disagrees."""
    parts = []
    if checks.get(DIFFER):
        parts.append(f"leak and directory countries differ for {checks[DIFFER]:,} people (both count)")
    if checks.get(IMPLAUSIBLE):
        parts.append(
            f"{checks[IMPLAUSIBLE]:,} people have an implausible leaked location "
            "(ignored; the directory's country is used)"
        )
    return ("; " + "; ".join(parts)) if parts else ""


def recipients(session: Session, incident_id: int) -> list[Recipient]:
    """Every account to notify after ``scope``: affected users, and admins of affected orgs.

    Ambiguous matches and unmatched leaked records are not recipients: they are listed by
    ``scope`` for review. Sorted by org, then admins first, then email.
    """
    exposures: dict[int, Exposure] = {}
    by_account: dict[int, list[int]] = defaultdict(list)
    stmt = (
        select(Match, Exposure)
        .join(Exposure, Exposure.id == Match.exposure_id)
        .where(Match.incident_id == incident_id, Match.ambiguous.is_(False), Match.account_id.is_not(None))
    )
    for match, exposure in session.execute(stmt):
        exposures[exposure.id] = exposure
        if match.account_id is not None:
            by_account[match.account_id].append(exposure.id)
    orgs = {o.org_id: o for o in org_rollup(session, incident_id)}  # computed once by scope
    out: list[Recipient] = []
    sealer = api.value_sealer(session, incident_id)  # sealed notice values are opened here
    accounts = session.scalars(select(Account).where(Account.incident_id == incident_id))
    for acc in accounts:
        own = [exposures[e] for e in by_account.get(acc.id, [])]
        if not own and not acc.is_admin:
            continue
        juris, source = _account_jurisdiction(acc, own)
        country, region = _split(juris)
        first = own[0] if own else None
        org = acc.org_id or ""
        admin_of_affected = acc.is_admin and org in orgs
        out.append(
            Recipient(
                role="admin" if acc.is_admin else "user",
                account_id=acc.id,
                user_id=acc.user_id,
                email=acc.email,
                name=acc.name,
                language=acc.language,
                org_id=acc.org_id,
                org_name=acc.org_name,
                country=country,
                region=region,
                jurisdiction=juris,
                jurisdiction_source=source,
                own_record_leaked=bool(own),
                jurisdictions=_all_jurisdictions(acc, own),
                exposed_classes=tuple(sorted({c for e in own for c in e.exposed_classes})),
                exposed_fields=tuple(sorted({f for e in own for f in e.exposed_fields})),
                city_display=api.open_value(sealer, "city", first.city) if first else None,
                region_display=api.open_value(sealer, "region", first.region) if first else None,
                country_display=api.open_value(sealer, "country", first.country) if first else None,
                org_affected_users=orgs[org].leaked_people if admin_of_affected else 0,
                org_exposed_classes=tuple(orgs[org].exposed_classes) if admin_of_affected else (),
            )
        )
    out.sort(key=lambda r: (r.org_id or "", r.role != "admin", r.email or "", r.account_id))
    return out


def _account_jurisdiction(acc: Account, own: list[Exposure]) -> tuple[str | None, str | None]:
    for exposure in own:
        if exposure.jurisdiction:
            return exposure.jurisdiction, exposure.jurisdiction_source
    if acc.country_code:
        return acc.country_code, "directory_country"
    return None, None


def _all_jurisdictions(acc: Account, own: list[Exposure]) -> tuple[str, ...]:
    """The leak's and the directory's codes, most specific first per country, no duplicates."""
    codes = [e.jurisdiction for e in own] + [e.directory_jurisdiction for e in own] + [acc.country_code]
    keys = count_keys(*codes)
    return tuple(k for k in keys if k != UNKNOWN and not any(o.startswith(k + "-") for o in keys))

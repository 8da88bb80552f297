"""The affected-organization roll-up: computed once from the stored matches, stored, then read.

An organization is affected when at least one leaked person is matched (not ambiguously) to it,
through an account of the org or through the org id alone. Per org: the leaked people, the
accounts whose own record leaked, the people known only by the org id, the org's admins, and
the union of the data classes its leaked people expose. ``run_scope`` stores it
(:func:`store_org_rollup`); the scope report and :func:`~breachscope.scope.recipients.recipients`
read it (:func:`org_rollup`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import cast as cast_type

from sqlalchemy import Table, Text, cast, delete, func, select
from sqlalchemy.orm import Session

from breachscope.case.bulk import insert_rows
from breachscope.case.models import Account, AffectedOrg, Exposure, Match


def store_org_rollup(session: Session, incident_id: int) -> int:
    """Compute the roll-up from the stored matches (in SQL) and replace the stored one; returns
    the number of affected organizations."""
    session.execute(delete(AffectedOrg).where(AffectedOrg.incident_id == incident_id))
    plain = (Match.incident_id == incident_id, Match.ambiguous.is_(False), Match.org_id.is_not(None))
    counts = session.execute(
        select(
            Match.org_id,
            func.count(func.distinct(Match.exposure_id)),
            func.count(func.distinct(Match.account_id)),
            func.count(func.distinct(Match.exposure_id)).filter(Match.account_id.is_(None)),
        )
        .where(*plain)
        .group_by(Match.org_id)
    ).all()
    classes: dict[str, set[str]] = defaultdict(set)
    class_sets = cast(Exposure.exposed_classes, Text)
    for org, text in session.execute(
        select(Match.org_id, class_sets)
        .join(Exposure, Exposure.id == Match.exposure_id)
        .where(*plain)
        .group_by(Match.org_id, class_sets)
    ):
        if org is not None:
            classes[org].update(json.loads(text) if text else [])
    admins = dict(
        session.execute(
            select(Account.org_id, func.count())
            .where(
                Account.incident_id == incident_id, Account.is_admin.is_(True), Account.org_id.is_not(None)
            )
            .group_by(Account.org_id)
        ).all()
    )
    names = dict(
        session.execute(
            select(Account.org_id, func.max(Account.org_name))
            .where(Account.incident_id == incident_id, Account.org_id.is_not(None))
            .group_by(Account.org_id)
        ).all()
    )
    rows = [
        {
            "incident_id": incident_id,
            "org_id": org,
            "org_name": names.get(org),
            "leaked_people": int(people),
            "affected_users": int(users),
            "org_only_people": int(org_only),
            "admins": int(admins.get(org, 0)),
            "exposed_classes": sorted(classes.get(org, ())),
        }
        for org, people, users, org_only in counts
        if org is not None
    ]
    session.flush()
    insert_rows(session, cast_type(Table, AffectedOrg.__table__), rows)
    return len(rows)


def org_rollup(session: Session, incident_id: int) -> list[AffectedOrg]:
    """The stored roll-up, most leaked people first (computed and stored now for a case scoped
    before the roll-up was stored)."""
    stmt = select(AffectedOrg).where(AffectedOrg.incident_id == incident_id)
    rows = list(session.scalars(stmt))
    if not rows and session.scalar(select(func.count()).where(Match.incident_id == incident_id)):
        store_org_rollup(session, incident_id)
        rows = list(session.scalars(stmt))
    return sorted(rows, key=lambda o: (-o.leaked_people, o.org_id))

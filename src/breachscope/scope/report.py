"""The stored scope as lists: affected orgs, admins, users, unmatched people, review items.

Built from the case alone (after ``scope`` ran), so exports can be written again at any time
without the directory. Leaked emails of people who matched no account are shown masked.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breachscope.case import api
from breachscope.case.models import Account, Exposure, Match
from breachscope.case.sealed import Sealer
from breachscope.errors import BreachscopeError
from breachscope.files import open_private, private_dir, write_private
from breachscope.hashing import mask
from breachscope.identity.jurisdiction import compare, count_keys
from breachscope.inert import csv_cell
from breachscope.scope.rollup import org_rollup

SCHEMA = "breachscope.scope/1"


@dataclass
class ScopeReport:
    incident_id: int
    summary: dict[str, Any]
    orgs: list[dict[str, Any]] = field(default_factory=list)
    admins: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    review: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "incident_id": self.incident_id,
            "summary": self.summary,
            "orgs": self.orgs,
            "admins": self.admins,
            "users": self.users,
            "unmatched": self.unmatched,
            "review": self.review,
        }


def _masked(sealer: Sealer | None, email: str | None) -> str | None:
    plain = api.open_value(sealer, "email", email)
    return mask(plain) if plain else None


def scope_report(session: Session, incident_id: int) -> ScopeReport:
    """The latest scope of an incident; an error if ``scope`` has not run."""
    run = api.latest_scope(session, incident_id)
    if run is None:
        raise BreachscopeError(
            f"incident {incident_id} has not been scoped yet",
            f"run: breachscope scope --incident {incident_id} --directory DIRECTORY",
        )
    accounts = {a.id: a for a in session.scalars(select(Account).where(Account.incident_id == incident_id))}
    sealer = api.value_sealer(session, incident_id)
    exposures = {e.id: e for e in session.scalars(select(Exposure).where(api.settled(session, incident_id)))}
    matches = list(session.scalars(select(Match).where(Match.incident_id == incident_id)))
    report = ScopeReport(incident_id, dict(run.summary))

    per_account: dict[int, list[Match]] = defaultdict(list)
    matched: set[int] = set()
    review: dict[int, list[Match]] = defaultdict(list)
    org_only: dict[int, str] = {}
    for m in matches:
        if m.ambiguous:
            review[m.exposure_id].append(m)
            continue
        if m.account_id is not None:
            per_account[m.account_id].append(m)
            matched.add(m.exposure_id)
        elif m.org_id:
            org_only[m.exposure_id] = m.org_id

    orgs = org_rollup(session, incident_id)  # computed once by scope, stored
    leaked_in_org = {o.org_id: o.leaked_people for o in orgs}
    for o in orgs:
        report.orgs.append(
            {
                "org_id": o.org_id,
                "org_name": o.org_name,
                "leaked_people": o.leaked_people,
                "affected_users": o.affected_users,
                "org_only_people": o.org_only_people,
                "admins": o.admins,
                "exposed_classes": list(o.exposed_classes),
            }
        )
    for acc in sorted(accounts.values(), key=lambda a: (a.org_id or "", a.email or "", a.id)):
        own = per_account.get(acc.id, [])
        own_exp = [exposures[m.exposure_id] for m in own]
        row = _account_row(acc, own_exp)
        if acc.is_admin:
            report.admins.append({**row, "org_leaked_people": leaked_in_org.get(acc.org_id or "", 0)})
        if own:
            best = max(own, key=lambda m: m.strength)
            report.users.append({**row, "match_key": best.key, "match_strength": best.strength})
    for eid in sorted(set(exposures) - matched):
        e = exposures[eid]
        report.unmatched.append(
            {
                "exposure_id": eid,
                "person_key_kind": e.person_key_kind,
                "email_masked": _masked(sealer, e.email),
                "jurisdiction": e.jurisdiction,
                "leak_country": e.country_code,
                "jurisdiction_check": compare(e.country_code, None),
                "exposed_classes": list(e.exposed_classes),
                "org_id": org_only.get(eid),
                "review": eid in review,
            }
        )
    for eid, items in sorted(review.items()):
        e = exposures[eid]
        report.review.append(
            {
                "exposure_id": eid,
                "reason": "lookalike" if items[0].key == "email_lookalike" else "ambiguous",
                "keys": sorted({m.key for m in items}),
                "email_masked": _masked(sealer, e.email),
                "candidates": sorted(
                    accounts[m.account_id].user_id for m in items if m.account_id is not None
                ),
            }
        )
    return report


def _account_row(acc: Account, own: list[Exposure]) -> dict[str, Any]:
    juris = next((e.jurisdiction for e in own if e.jurisdiction), None) or acc.country_code
    leak = next((e.country_code for e in own if e.country_code), None)
    directory = next((e.directory_jurisdiction for e in own if e.directory_jurisdiction), acc.country_code)
    codes = count_keys(*(e.jurisdiction for e in own), directory)
    return {
        "user_id": acc.user_id,
        "email": acc.email,
        "name": acc.name,
        "org_id": acc.org_id,
        "org_name": acc.org_name,
        "role": acc.role,
        "language": acc.language,
        "jurisdiction": juris,
        "jurisdictions": [c for c in codes if not any(o.startswith(c + "-") for o in codes)],
        "leak_country": leak,
        "directory_country": directory,
        "jurisdiction_check": compare(leak, directory) if own else None,
        "own_record_leaked": bool(own),
        "exposed_classes": sorted({c for e in own for c in e.exposed_classes}),
    }


def write_json(report: ScopeReport, path: Path) -> Path:
    write_private(path, json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    return path


_ACCOUNT: tuple[str, ...] = ("user_id", "email", "name", "org_id", "org_name", "role", "language")
_ACCOUNT += ("jurisdiction", "jurisdictions", "leak_country", "directory_country", "jurisdiction_check")
_ACCOUNT += ("own_record_leaked", "exposed_classes")
#: The columns of each CSV export (rows carry the same keys in this order).
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs": (
        "org_id",
        "org_name",
        "leaked_people",
        "affected_users",
        "org_only_people",
        "admins",
        "exposed_classes",
    ),
    "admins": (*_ACCOUNT, "org_leaked_people"),
    "users": (*_ACCOUNT, "match_key", "match_strength"),
    "unmatched": (
        "exposure_id",
        "person_key_kind",
        "email_masked",
        "jurisdiction",
        "leak_country",
        "jurisdiction_check",
        "exposed_classes",
        "org_id",
        "review",
    ),
    "review": ("exposure_id", "reason", "keys", "email_masked", "candidates"),
}


def write_csv_dir(report: ScopeReport, folder: Path) -> list[Path]:
    """``orgs.csv``, ``admins.csv``, ``users.csv``, ``unmatched.csv``, ``review.csv`` in ``folder``."""
    private_dir(folder)
    out = []
    for name in ("orgs", "admins", "users", "unmatched", "review"):
        rows: list[dict[str, Any]] = getattr(report, name)
        path = folder / f"{name}.csv"
        columns = list(rows[0]) if rows else list(CSV_COLUMNS[name])  # a header even when empty
        with open_private(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row[c]) for c in columns])
        out.append(path)
    return out


def _cell(value: Any) -> str:
    return csv_cell(value)

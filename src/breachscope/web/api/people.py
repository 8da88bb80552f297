"""Masking of personal data in API answers, and the audited way to see it unmasked.

Every list of people answers masked (``a***@***.com``, names shortened the same way). A caller
whose role holds ``unmask`` may add ``?unmask=true&reason=...`` (a stated reason of at least 10
characters): the page then carries the values, and an audit entry records who saw which
objects, when, from where and why.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from breachscope.case import api as case_api
from breachscope.case import audit
from breachscope.case.models import Account, Exposure
from breachscope.hashing import mask
from breachscope.web.audit import record
from breachscope.web.auth.principal import Principal
from breachscope.web.deps import client_address

MIN_REASON = 10


def check_unmask(who: Principal, unmask: bool, reason: str | None) -> bool:
    if not unmask:
        return False
    if not who.can("unmask"):
        raise HTTPException(403, f"the {who.role} role may not see unmasked personal data")
    if reason is None or len(reason.strip()) < MIN_REASON:
        raise HTTPException(
            422, f"say why you need the unmasked values (reason, at least {MIN_REASON} characters)"
        )
    return True


def mask_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        if row.get("name"):
            row["name"] = mask(str(row["name"]))
        for cand in row.get("candidates") or ():
            if cand.get("name"):
                cand["name"] = mask(str(cand["name"]))
    return rows


def reveal(db: Session, incident_id: int, rows: list[dict[str, Any]]) -> tuple[list[int], list[int]]:
    """Add the plain ``email`` (and ``name``) to rows of accounts (``id`` + ``user_id``) and of
    leaked people (``exposure_id``); returns the (account ids, exposure ids) seen, for the audit
    entry. Not audited here: the caller records the view (the API and the console pages)."""
    account_ids = [r["id"] for r in rows if "id" in r and "user_id" in r]
    exposure_ids = [r["exposure_id"] for r in rows if "exposure_id" in r]
    accounts = (
        {
            a.id: a
            for a in db.scalars(
                select(Account).where(Account.incident_id == incident_id, Account.id.in_(account_ids))
            )
        }
        if account_ids
        else {}
    )
    sealer = case_api.value_sealer(db, incident_id) if exposure_ids else None
    exposures = (
        {
            e.id: e
            for e in db.scalars(
                select(Exposure).where(Exposure.incident_id == incident_id, Exposure.id.in_(exposure_ids))
            )
        }
        if exposure_ids
        else {}
    )
    for row in rows:
        if "user_id" in row and row.get("id") in accounts:
            a = accounts[row["id"]]
            row["email"], row["name"] = a.email, a.name
        if row.get("exposure_id") in exposures:
            row["email"] = case_api.open_value(sealer, "email", exposures[row["exposure_id"]].email)
    return account_ids, exposure_ids


def unmask_rows(
    db: Session,
    request: Request,
    who: Principal,
    incident_id: int,
    rows: list[dict[str, Any]],
    reason: str,
    what: str,
) -> list[dict[str, Any]]:
    """Add the plain ``email`` (and ``name``) to the rows of a page; audited."""
    account_ids, exposure_ids = reveal(db, incident_id, rows)
    record(
        db,
        actor=who.actor,
        action=audit.VIEW_ACTION,  # the same entry as case/audit.record_view, with the ids seen
        object_type=what,
        incident_id=incident_id,
        details={"reason": reason.strip(), "accounts": account_ids, "exposures": exposure_ids},
        source=client_address(request),
    )
    return rows

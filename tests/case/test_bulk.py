"""``case.bulk.insert_rows`` stores exactly what the ORM stores (JSON, booleans, NULLs), on
SQLite (the driver's executemany) and PostgreSQL (a Core bulk insert)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, select

from breachscope.case import api
from breachscope.case.bulk import insert_rows
from breachscope.case.db import session_scope
from breachscope.case.models import Account, AffectedOrg

ORGS: list[dict[str, Any]] = [
    {"org_id": "o1", "org_name": "Acme", "leaked_people": 3, "affected_users": 2, "org_only_people": 1,
     "admins": 1, "exposed_classes": ["email", "person_name"]},
    {"org_id": "o2", "org_name": None, "leaked_people": 1, "affected_users": 0, "org_only_people": 1,
     "admins": 0, "exposed_classes": []},
]  # fmt: skip
ACCOUNTS: list[dict[str, Any]] = [
    {"user_id": "u1", "email": "a@example.com", "name": None, "org_id": "o1", "org_name": "Acme",
     "role": "admin", "language": "id", "country": "Indonesia", "country_code": "ID", "created": None,
     "is_admin": True, "affected": False},
]  # fmt: skip


@pytest.mark.parametrize(("model", "rows"), [(AffectedOrg, ORGS), (Account, ACCOUNTS)])
def test_bulk_rows_read_back_as_orm_rows(engine: Engine, model: Any, rows: list[dict[str, Any]]) -> None:
    with session_scope(engine) as s:
        bulk, orm = api.create_incident(s, "bulk").id, api.create_incident(s, "orm").id
    with session_scope(engine) as s:
        insert_rows(s, cast(Table, model.__table__), [{**r, "incident_id": bulk} for r in rows])
        s.add_all(model(**r, incident_id=orm) for r in rows)
    names = list(rows[0])
    with session_scope(engine) as s:
        got = {
            iid: [tuple(getattr(o, n) for n in names) for o in s.scalars(
                select(model).where(model.incident_id == iid).order_by(model.id)
            )]
            for iid in (bulk, orm)
        }  # fmt: skip
    assert got[bulk] == got[orm] == [tuple(r[n] for n in names) for r in rows]

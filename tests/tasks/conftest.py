"""An incident with a real assessment (bundled rules): people in ID, US-CA, DE and unknown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.rules.loader import load_rules
from breachscope.rules.schema import RuleSet

DETECTED = datetime(2025, 11, 9, 0, 0, tzinfo=UTC)
TOLD = datetime(2025, 11, 25, 0, 0, tzinfo=UTC)
NOW = datetime(2025, 11, 26, 9, 0, tzinfo=UTC)
PRESENT = ["person_name", "email", "coarse_location", "device", "internal_id"]
ABSENT = ["password", "password_hash", "secret", "private_key", "payment_card", "card_security_code",
          "bank_account", "government_id", "chat_content"]  # fmt: skip
SCAN = {
    "classes": {**{c: {"status": "present"} for c in PRESENT}, **{c: {"status": "absent"} for c in ABSENT}},
    "totals": {"values_checked": 90_000},
}
PEOPLE = [("ID", 6), ("US-CA", 3), ("DE", 2), (None, 1)]


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules()


def make_incident(engine: Engine) -> int:
    with session_scope(engine) as s:
        inc = api.create_incident(
            s, "Mixpanel leak", vendor="Mixpanel", vendor_detected_at=DETECTED, vendor_notified_us_at=TOLD
        )
        ds = api.attach_dataset(
            s, inc.id, file_name="people.csv", sha256="0" * 64, size_bytes=1, format="csv", scan=SCAN
        )
        records, n = [], 0
        for code, count in PEOPLE:
            for _ in range(count):
                n += 1
                records.append(
                    api.ExposureRecord(
                        person_key_hash=f"{n:032x}",
                        person_key_kind="row",
                        exposed_classes=PRESENT,
                        jurisdiction=code,
                    )
                )
        api.store_exposures(s, inc.id, ds.id, records)
        return inc.id

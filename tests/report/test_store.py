"""Dated public-page updates a person writes (``breachscope report update``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.cli import cli
from breachscope.clock import FixedClock
from breachscope.errors import InputError
from breachscope.notify.config import from_mapping
from breachscope.report import gather
from breachscope.report.public import public_html
from breachscope.report.store import add_update, updates

from .test_report import _text

CLOCK = FixedClock(datetime(2025, 12, 1, 8, 0, tzinfo=UTC))
CONFIG = from_mapping(
    {"notify": {"company": "Example Corp", "official_domain": "example.com", "from": "security@example.com"}},
    check_key=False,
)


def test_update_is_stored_shown_in_both_languages_and_migrated(engine: Engine) -> None:
    """On SQLite and PostgreSQL: the table matches its model, an update round-trips to the page."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from breachscope.case.base import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if "public_updates" in repr(d)] == []
    with session_scope(engine) as s:
        incident = api.create_incident(s, "x", vendor="Mixpanel").id
        add_update(
            s,
            incident,
            en="The vendor confirmed no other data was taken.",
            id_="Vendor memastikan tidak ada data lain yang diambil.",
            by="rina",
            clock=CLOCK,
        )
    with session_scope(engine) as s:
        stored = updates(s, incident)
        events = [e.kind for e in api.timeline(s, incident)]
    assert [u.text["en"] for u in stored] == ["The vendor confirmed no other data was taken."]
    assert "public-update" in events
    data = gather(engine, incident, clock=CLOCK)
    assert "2025-12-01: The vendor confirmed no other data was taken." in _text(
        public_html(data, CONFIG, "en")
    )
    assert "2025-12-01: Vendor memastikan tidak ada data lain yang diambil." in _text(
        public_html(data, CONFIG, "id")
    )


@pytest.fixture(scope="module")
def one_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, int]]:
    engine = open_case_db(f"sqlite:///{tmp_path_factory.mktemp('upd') / 'case.db'}", create=True)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "x").id
    yield engine, incident
    engine.dispose()


@pytest.mark.parametrize(
    ("en", "id_", "by", "message"),
    [
        ("", "Teks.", "rina", "--en is empty"),
        ("Text.", "  ", "rina", "--id is empty"),
        ("See https://evil.example/x", "Lihat.", "rina", "link-like"),
        ("Check status.example.com", "Periksa.", "rina", "link-like"),
        ("Mail help@example.com", "Surel.", "rina", "link-like"),
        ("Text.", "Teks \u202e terbalik.", "rina", "control characters"),
        ("x" * 501, "Teks.", "rina", "longer than 500"),
        ("Text.", "Teks.", " ", "who is writing"),
    ],
)
def test_bad_updates_are_refused(
    one_case: tuple[Engine, int], en: str, id_: str, by: str, message: str
) -> None:
    engine, incident = one_case
    with pytest.raises(InputError, match=message), session_scope(engine) as s:
        add_update(s, incident, en=en, id_=id_, by=by)
    with session_scope(engine) as s:
        assert updates(s, incident) == []


def test_cli_update(one_case: tuple[Engine, int]) -> None:
    engine, incident = one_case
    res = CliRunner().invoke(
        cli,
        ["report", "update", "--db", str(engine.url), "--incident", str(incident), "--en", "Done.",
         "--id", "Selesai.", "--author", "rina"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "write the page again to publish it" in res.output
    with session_scope(engine) as s:
        assert [u.text["id"] for u in updates(s, incident)] == ["Selesai."]

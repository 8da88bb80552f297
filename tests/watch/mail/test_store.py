"""Migration 0068 creates exactly the reported-mail tables the models describe; the phrases file loads."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import breachscope.watch.mail.store  # noqa: F401  (registers the tables)
from breachscope.case.base import Base
from breachscope.errors import BreachscopeError
from breachscope.watch.mail.signs import categories, find_signs, fold, parse_phrases
from tests.notify.test_migration import _tables

MAIL_TABLES = {"mail_checks", "mail_lookalike_hits", "mail_mailboxes"}


def test_mail_migration_matches_models(any_engine: Engine) -> None:
    assert MAIL_TABLES <= set(inspect(any_engine).get_table_names())
    with any_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if _tables(d) & MAIL_TABLES] == []


GOOD: dict[str, Any] = {"label": "x", "severity": "weak", "citation": "c", "en": ["a"], "id": ["b"]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**GOOD, "severity": "loud"}, "severity must be one of"),
        ({**GOOD, "id": []}, "needs phrases in 'id'"),
        ({**GOOD, "en": ["(unclosed"]}, "phrase '\\(unclosed'"),
        ({k: v for k, v in GOOD.items() if k != "citation"}, "needs 'citation'"),
    ],
)
def test_a_broken_phrases_file_names_what_is_wrong(body: dict[str, Any], message: str) -> None:
    with pytest.raises(BreachscopeError, match=message):
        parse_phrases({"categories": {"cat": body}})


@pytest.mark.parametrize(
    ("text", "category", "found"),
    [
        ("Please confirm your pаssword", "credentials", True),  # Cyrillic "а"
        ("Kirim kode OTP Anda sekarang", "credentials", True),
        ("We will never ask for your password.", "credentials", False),
        ("Passwords were not in the dataset.", "credentials", False),
        ("Your password was not leaked, but confirm your password here", "credentials", True),
        ("Transfer the fee by wire transfer", "payment", True),
        ("Lakukan pembayaran hari ini", "payment", True),
        ("Your account will be suspended", "urgency", True),
        ("Akun Anda akan diblokir dalam 24 jam", "urgency", True),
        ("Kebocoran data di vendor kami", "incident", True),
        ("Our winter sale starts Monday", "urgency", False),
    ],
)
def test_phrases(text: str, category: str, found: bool) -> None:
    assert (category in find_signs(fold(text))) is found
    assert set(categories()) == {"credentials", "payment", "urgency", "incident"}

"""'What was not involved' says how it was established in people's words: records, not values;
a class the scan did not check never appears there."""

from __future__ import annotations

from dataclasses import replace

import pytest

from breachscope.notify.render import NoticeFrom, Renderer

from .conftest import user_ctx

RENDERER = Renderer(NoticeFrom("Example Corp", "example.com"))


@pytest.mark.parametrize(
    ("language", "records", "files", "complete", "sentence"),
    [
        ("en", 20_000, 1, True, "We checked all 20,000 records in the file. None of them contained:"),
        ("en", 41_000, 2, True, "We checked all 41,000 records in the 2 files. None of them contained:"),
        (
            "en",
            19_500,
            1,
            False,
            "We checked the 19,500 records that could be read in the file. None of them contained:",
        ),
        ("en", 0, 0, True, "We checked every record in the dataset. None of them contained:"),
        (
            "id",
            20_000,
            1,
            True,
            "Kami memeriksa seluruh 20.000 catatan di dalam berkas tersebut. Tidak satu pun berisi:",
        ),
        (
            "id",
            19_500,
            1,
            False,
            "Kami memeriksa 19.500 catatan yang dapat dibaca di dalam berkas tersebut. "
            "Tidak satu pun berisi:",
        ),
    ],
)
def test_not_involved_sentence(
    language: str, records: int, files: int, complete: bool, sentence: str
) -> None:
    ctx = replace(
        user_ctx(1, language=language),
        checked_records=records,
        checked_files=files,
        checked_complete=complete,
    )
    rendered = RENDERER.render(ctx, phrase="a b c d", reference="R-1")
    assert sentence in rendered.text
    assert sentence in rendered.html
    assert "values" not in rendered.text and "nilai" not in rendered.text


def test_nothing_is_said_not_involved_without_absent_classes() -> None:
    ctx = replace(user_ctx(1), absent_classes=(), checked_records=20_000, checked_files=1)
    text = (
        Renderer(NoticeFrom("Example Corp", "example.com"))
        .render(ctx, phrase="a b c d", reference="R-1")
        .text
    )
    assert "WHAT WAS NOT INVOLVED" not in text and "None of them contained" not in text


@pytest.mark.parametrize("accepted", [False, True])
def test_incomplete_dataset_is_not_said_not_involved_until_accepted(engine, accepted: bool) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from breachscope import taxonomy
    from breachscope.case import api
    from breachscope.case.db import session_scope
    from breachscope.notify.sources import load_case
    from breachscope.rules import load_rules
    from breachscope.rules.case_facts import run_assessment

    present = {"email", "person_name"}
    scan = {
        "complete": False,
        "rows_examined": 19_500,
        "unread": {"records": 500, "bytes": 0, "notes": []},
        "classes": {
            dc.id: {"status": "present" if dc.id in present else "absent"} for dc in taxonomy.DATA_CLASSES
        },
    }
    with session_scope(engine) as s:
        ds = api.attach_dataset(
            s, 1, file_name="p.csv", sha256="2" * 64, size_bytes=1, format="csv", scan=scan
        )
        if accepted:
            api.accept_incomplete(s, 1, ds.id, why="the 500 rows are test data", author="rina")
        run_assessment(s, 1, load_rules(), now=datetime(2025, 11, 26, tzinfo=UTC))
        case = load_case(s, 1)
    if accepted:
        assert "password" in case.absent and case.checked_records == 19_500 and not case.checked_complete
        assert any("the 19,500 records that could be read" in n.text["en"] for n in case.not_needed)
    else:
        assert case.absent == () and case.not_needed == ()


@pytest.mark.parametrize(
    ("language", "absent", "records", "expected", "forbidden"),
    [
        ("en", ("password",), 20_000, "Not involved (we checked all 20,000 records in the file):", None),
        ("id", ("password",), 20_000, "Tidak terlibat (kami memeriksa seluruh 20.000 catatan", None),
        # a class that was not checked is never named as not involved
        ("en", (), 20_000, None, "Not involved"),
        ("id", (), 20_000, None, "Tidak terlibat"),
    ],
)
def test_regulator_draft_names_only_absent_classes_in_records(
    language: str, absent: tuple[str, ...], records: int, expected: str | None, forbidden: str | None
) -> None:
    from breachscope.notify.context import DutyInfo, NoticeContext

    from .conftest import INCIDENT

    ctx = NoticeContext(
        kind="regulator",
        recipient_key="d1",
        email="",
        name="",
        language=language,
        incident=INCIDENT,
        exposed_classes=("email", "person_name"),
        absent_classes=absent,
        checked_records=records,
        checked_files=1,
        duty=DutyInfo(
            id="d1",
            jurisdiction="ID",
            recipient="Regulator",
            citation="Law 1",
            required_content=("data_classes",),
            affected_people=4,
            language=language,
        ),
    )
    text = (
        Renderer(NoticeFrom("Example Corp", "example.com"))
        .render(ctx, phrase="a b c d", reference="R-1")
        .text
    )
    flat = " ".join(text.split())
    if expected:
        assert expected in flat
    if forbidden:
        assert forbidden not in flat
    assert "values" not in flat and "nilai" not in flat

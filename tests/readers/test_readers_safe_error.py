"""Error messages in reports never carry the leaked values that caused them (``safe_error``).

Python's own errors quote the value (``invalid literal for int()``), pyarrow appends the row after
a colon; a report, the case and the console show these messages, and the values they would quote
are exactly what must stay out (a key, a token, an id).
"""

from __future__ import annotations

import pytest

from breachscope.readers.table import safe_error

KEY = "sk-proj-Zx81kPq2LmN7vB4cR9tYw3Hj6Ks5Dg0Fa2Qe8"

CASES = [
    # (case, the exception, what the message must still say)
    (
        "python_quotes_the_value",
        ValueError(f"invalid literal for int() with base 10: '{KEY}'"),
        "invalid literal",
    ),
    ("double_quoted", ValueError(f'"{KEY}" is not a field'), "is not a field"),
    (
        "pyarrow_appends_the_row",
        ValueError(f"CSV parse error: Expected 3 columns, got 2: 7,{KEY}"),
        "Expected 3",
    ),
    ("unquoted_token", RuntimeError(f"cannot decode {KEY} as a date"), "as a date"),
    ("second_line", ValueError(f"bad value\n{KEY}"), "bad value"),
]


@pytest.mark.parametrize(("exc", "kept"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_value_quoted_by_an_error_is_not_in_its_message(exc: BaseException, kept: str) -> None:
    message = safe_error(exc)
    assert KEY not in message and "Zx81kPq2" not in message
    assert kept in message


@pytest.mark.parametrize("text", ["Invalid UTF8 payload", "Expected 3 columns, got 2", "out of range"])
def test_plain_messages_are_kept_as_they_are(text: str) -> None:
    assert safe_error(ValueError(text)) == text

from __future__ import annotations

import pytest

from breachscope.hashing import keyed_hash, mask, new_key


def test_keyed_hash_depends_on_key_and_value() -> None:
    k1, k2 = new_key(), new_key()
    assert keyed_hash(k1, "a@example.com") == keyed_hash(k1, "a@example.com")
    assert keyed_hash(k1, "a@example.com") != keyed_hash(k2, "a@example.com")
    assert keyed_hash(k1, "a@example.com") != keyed_hash(k1, "b@example.com")
    assert len(keyed_hash(k1, "x")) == 32


@pytest.mark.parametrize(
    ("value", "must_not_contain"),
    [
        ("alice.smith@example.com", "alice"),
        ("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghij"),
        ("4111111111111111", "411111111111"),
        ("3201234567890001", "1234567890"),
    ],
)
def test_mask_hides_the_value(value: str, must_not_contain: str) -> None:
    m = mask(value)
    assert must_not_contain not in m
    assert len(m) <= 24
    assert "*" in m


def test_mask_is_one_safe_line() -> None:
    assert "\n" not in mask("evil\nheader: x")
    assert mask("") == ""

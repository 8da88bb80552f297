"""The honeytoken has no real provider's shape; addresses and domains are checked."""

from __future__ import annotations

import random
import re

import pytest

from breachscope.canary.mint import check_domain, honeytoken, mint
from breachscope.detectors import DETECTORS
from breachscope.errors import InputError

#: detectors that recognise a value by itself as a secret (not by its column name or keyword)
_VALUE_SECRETS = [d for d in DETECTORS if d.data_class == "secret" and d.pattern and not d.requires_hint]


@pytest.mark.parametrize("seed", range(20))
def test_no_provider_format_matches_the_honeytoken(seed: int) -> None:
    token = honeytoken(random.Random(seed))
    for d in _VALUE_SECRETS:
        if d.name in {"generic_secret", "secret_by_column"}:
            continue  # keyword/column-driven: a token in an `api_key` column is meant to be seen
        assert not re.search(d.pattern or "", token), d.name


@pytest.mark.parametrize(
    ("domain", "ok"),
    [
        ("canary.example.com", True),
        ("Canary.Example.COM.", True),
        ("xn--bcher-kva.example", True),
        ("example", False),
        ("bad domain.com", False),
        ("a'b.com", False),
        ("bücher.example", False),
        ("-x.example.com", False),
    ],
)
def test_domains(domain: str, ok: bool) -> None:
    if ok:
        assert check_domain(domain) == domain.lower().rstrip(".")
    else:
        with pytest.raises(InputError):
            check_domain(domain)


def test_canary_values_are_never_numbers_or_dates() -> None:
    rng = random.Random(3)
    for n in range(200):
        c = mint(n, "canary.example.com", rng, with_token=True)
        for v in c.unique_values().values():
            assert v.isascii() and re.search(r"[a-z]", v, re.I)
            assert not re.fullmatch(r"[0-9.+-]+|\d{4}-\d\d-\d\d.*|true|false", v)

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from breachscope.identity.jurisdiction import resolve, resolve_country, resolve_region


@pytest.mark.parametrize(
    ("country", "region", "fallback", "expected"),
    [
        # Georgia: the country in a country column, the state as a US region, nothing without context
        ("Georgia", None, None, ("GE", None, "leak_country")),
        ("GE", "Tbilisi", None, ("GE", "GE-TB", "leak_region")),
        ("US", "Georgia", None, ("US", "US-GA", "leak_region")),
        (None, "Georgia", None, (None, None, None)),
        (None, "Georgia", "DE", ("DE", None, "directory_country")),
        # CA: Canada as a country, California as a US region, unresolved alone
        ("CA", None, None, ("CA", None, "leak_country")),
        ("US", "CA", None, ("US", "US-CA", "leak_region")),
        ("CA", "QC", None, ("CA", "CA-QC", "leak_region")),
        ("CA", "Québec", None, ("CA", "CA-QC", "leak_region")),
        ("CA", "Quebec", None, ("CA", "CA-QC", "leak_region")),
        (None, "CA", None, (None, None, None)),
        ("CA", "California", None, ("CA", None, "leak_country")),  # not a Canadian province
        # names, codes, aliases, case and spacing
        ("us", "california", None, ("US", "US-CA", "leak_region")),
        ("USA", "  New   York ", None, ("US", "US-NY", "leak_region")),
        ("United States", "US-TX", None, ("US", "US-TX", "leak_region")),
        (None, "California", None, ("US", "US-CA", "leak_region")),
        ("ID", "Jakarta", None, ("ID", "ID-JK", "leak_region")),
        ("Indonesia", "West Java", None, ("ID", "ID-JB", "leak_region")),
        ("ID", "Jawa Barat", None, ("ID", "ID-JB", "leak_region")),
        ("DE", "Bavaria", None, ("DE", "DE-BY", "leak_region")),
        ("UK", None, None, ("GB", None, "leak_country")),
        ("Deutschland", None, "FR", ("FR", None, "directory_country")),  # unknown name -> fallback
        ("", "", "Indonesia", ("ID", None, "directory_country")),
        ("ZZ", None, None, (None, None, None)),
        (None, None, None, (None, None, None)),
        ("\x00\u202e", "\ufeff", "??", (None, None, None)),  # hostile input never raises
    ],
)
def test_resolve(
    country: str | None,
    region: str | None,
    fallback: str | None,
    expected: tuple[str | None, str | None, str | None],
) -> None:
    j = resolve(country, region, fallback_country=fallback)
    assert (j.country, j.region, j.source) == expected
    assert j.code == (expected[1] or expected[0])


@pytest.mark.parametrize(
    ("value", "code"), [("gb", "GB"), ("GBR", "GB"), ("Türkiye", "TR"), ("nowhere", None)]
)
def test_resolve_country(value: str, code: str | None) -> None:
    assert resolve_country(value) == code


def test_resolve_region_is_scoped_to_the_country() -> None:
    assert resolve_region("US", "WA") == "US-WA"
    assert resolve_region("AU", "WA") == "AU-WA"
    assert resolve_region("DE", "WA") is None


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=30)), st.one_of(st.none(), st.text(max_size=30)))
def test_resolve_never_raises_and_only_returns_iso_codes(country: str | None, region: str | None) -> None:
    import pycountry

    j = resolve(country, region, fallback_country=region)
    if j.country is not None:
        assert pycountry.countries.get(alpha_2=j.country) is not None
    if j.region is not None:
        assert j.region.startswith(f"{j.country}-")
        assert pycountry.subdivisions.get(code=j.region) is not None

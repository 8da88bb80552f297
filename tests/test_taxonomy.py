from __future__ import annotations

import pytest

from breachscope import taxonomy
from breachscope.taxonomy import Tier


def test_ids_are_unique_and_snake_case() -> None:
    ids = [dc.id for dc in taxonomy.DATA_CLASSES]
    assert len(ids) == len(set(ids))
    assert all(i.isidentifier() and i == i.lower() for i in ids)


@pytest.mark.parametrize(
    ("class_id", "tier", "hibp"),
    [
        ("password", Tier.CRITICAL, "Passwords"),
        ("secret", Tier.CRITICAL, "Auth tokens"),
        ("payment_card", Tier.CRITICAL, "Credit cards"),
        ("government_id", Tier.CRITICAL, "Government issued IDs"),
        ("chat_content", Tier.CRITICAL, "Chat logs"),
        ("ip_address", Tier.HIGH, "IP addresses"),
        ("date_of_birth", Tier.HIGH, "Dates of birth"),
        ("email", Tier.MODERATE, "Email addresses"),
        ("person_name", Tier.MODERATE, "Names"),
        ("coarse_location", Tier.LOW, "Geographic locations"),
        ("user_agent", Tier.LOW, "Browser user agent details"),
        ("internal_id", Tier.LOW, None),
    ],
)
def test_tiers_and_hibp_names(class_id: str, tier: Tier, hibp: str | None) -> None:
    dc = taxonomy.get(class_id)
    assert dc.tier is tier
    assert dc.hibp == hibp


def test_unknown_id_names_known_ones() -> None:
    with pytest.raises(KeyError, match="known: .*email"):
        taxonomy.get("emails")


def test_every_tier_is_populated() -> None:
    for tier in Tier:
        assert taxonomy.by_tier(tier)

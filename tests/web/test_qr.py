"""web/qr.py: the QR code of an otpauth:// URI, read back by zbarimg from a bitmap drawn from
the SVG path alone (so the path, not segno's own matrix, is what is proven to hold the URI)."""

from __future__ import annotations

import pytest

from breachscope.case.accounts import new_totp_secret
from breachscope.web import qr
from tests.web.qr_decode import decode, path_to_pbm

URIS = [
    ("short", "otpauth://totp/breachscope:a%40b.org?secret=JBSWY3DPEHPK3PXP&issuer=breachscope"),
    ("made by accounts", new_totp_secret("responder@team.example")[1]),
    ("long address", new_totp_secret(("x" * 60) + "@" + ("sub." * 30) + "example.org")[1]),
    ("non-ASCII address", new_totp_secret("zoë.đặng@bücher.example")[1]),
]


@pytest.mark.parametrize(("name", "uri"), URIS, ids=[name for name, _ in URIS])
def test_the_path_reads_back_as_the_uri(name: str, uri: str) -> None:
    picture = qr.picture(uri)
    assert picture.size >= 21 + 2 * qr.QUIET_ZONE
    assert decode(path_to_pbm(picture.size, picture.path), ".pbm") == [uri]


def test_the_path_needs_no_escaping_and_keeps_the_quiet_zone() -> None:
    picture = qr.picture(URIS[1][1])
    assert set(picture.path) <= set("0123456789 Mhvz-")
    assert picture.path.startswith(f"M{qr.QUIET_ZONE} {qr.QUIET_ZONE}h7")  # the finder pattern's top row


def test_a_different_uri_is_a_different_picture() -> None:
    first, other = qr.picture(URIS[0][1]), qr.picture(URIS[0][1].replace("JBSW", "KBSW"))
    assert first.path != other.path
    assert decode(path_to_pbm(other.size, other.path), ".pbm") != [URIS[0][1]]

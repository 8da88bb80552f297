"""Planted true positives ("needles") with a ground truth, so scans can be held to 100% recall.

Every needle is built to pass the validator a correct detector applies: Luhn for cards,
mod-97 for IBANs, a real province code and birth date for NIKs, SSA rules for SSNs, the
``T3BlbkFJ`` marker for OpenAI keys. Values are random, so they are nobody's real secrets.
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

NOTES = "notes"
_B64URL = string.ascii_letters + string.digits + "-_"
_ALNUM = string.ascii_letters + string.digits
_B32 = string.ascii_uppercase + "234567"
_BCRYPT = "./" + string.ascii_letters + string.digits


@dataclass(frozen=True)
class Needle:
    row: int  # 1-based record number in people.csv / .jsonl / .parquet
    column: str
    data_class: str  # taxonomy id
    kind: str  # what the value is, e.g. "openai_project_key", "visa"
    needle: str  # the sensitive token itself
    value: str  # the whole cell as written

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def luhn_complete(prefix: str, length: int, rng: np.random.Generator) -> str:
    body = prefix + "".join(str(d) for d in rng.integers(0, 10, length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return total % 10 == 0


def iban(country: str, bban: str) -> str:
    moved = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in moved))
    return f"{country}{98 - number % 97:02d}{bban}"


def iban_ok(value: str) -> bool:
    v = value.replace(" ", "")
    return int("".join(str(int(c, 36)) for c in v[4:] + v[:4])) % 97 == 1


def _pick(rng: np.random.Generator, alphabet: str, n: int) -> str:
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), n))


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def _group(s: str, size: int, sep: str = " ") -> str:
    return sep.join(s[i : i + size] for i in range(0, len(s), size))


def _b64url(obj: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()


def _nik(rng: np.random.Generator, female: bool) -> str:
    province, regency = ("31", "71") if not female else ("35", "78")  # DKI Jakarta, Kota Surabaya
    district = f"{int(rng.integers(1, 10)):02d}"
    day = int(rng.integers(1, 29)) + (40 if female else 0)
    month, year = int(rng.integers(1, 13)), int(rng.integers(70, 100))
    serial = int(rng.integers(1, 10000))
    return f"{province}{regency}{district}{day:02d}{month:02d}{year:02d}{serial:04d}"


def _ssn(rng: np.random.Generator) -> str:
    area = int(rng.integers(1, 900))
    while area == 666 or area == 78:
        area = int(rng.integers(1, 900))
    return f"{area:03d}-{int(rng.integers(1, 100)):02d}-{int(rng.integers(1, 10000)):04d}"


CHAT = (
    "Hi team, I'm writing again about my account because the invoice for last month was charged twice "
    "and I still haven't heard back. I tried to update the card on the billing page but it kept failing, "
    "so I am pasting the details you asked for below. Could someone please call me back this week? "
    "Also my colleague said she can't log in since the password reset, can you check that too. Thanks!"
)


def _phone(rng: np.random.Generator, make: Callable[[], str]) -> str:
    """A number libphonenumber accepts as valid (ranges are sparse, so draw until one is)."""
    import phonenumbers

    while True:
        candidate = make()
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate, "ID")):
            return candidate


def make_needles(rng: np.random.Generator) -> list[tuple[str, str, str, str, str]]:
    """(column, data_class, kind, needle, cell value) for every needle; rows are chosen later."""
    openai = f"sk-proj-{_pick(rng, _B64URL, 74)}T3BlbkFJ{_pick(rng, _B64URL, 74)}"
    svc = f"sk-svcacct-{_pick(rng, _B64URL, 58)}T3BlbkFJ{_pick(rng, _B64URL, 58)}"
    aws = "AKIA" + _pick(rng, _B32, 16)
    ghp = "ghp_" + _pick(rng, _ALNUM, 36)
    ghp2 = "ghp_" + _pick(rng, _ALNUM, 36)
    stripe = "sk_live_" + _pick(rng, _ALNUM, 24)
    jwt = ".".join(
        (
            _b64url({"alg": "HS256", "typ": "JWT"}),
            _b64url({"sub": "user-" + _pick(rng, _ALNUM, 24), "iat": 1762646400, "scope": "api.write"}),
            _pick(rng, _B64URL, 43),
        )
    )
    key_body = base64.b64encode(rng.integers(0, 256, 600, dtype=np.uint8).tobytes()).decode()
    pem = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        + "\n".join(key_body[i : i + 64] for i in range(0, len(key_body), 64))
        + "\n-----END RSA PRIVATE KEY-----"
    )
    visa = luhn_complete("4", 16, rng)
    mc2 = luhn_complete(str(int(rng.integers(2221, 2721))), 16, rng)
    amex = luhn_complete(str(rng.choice(["34", "37"])), 15, rng)
    visa2 = luhn_complete("4", 16, rng)
    mangled = f"{int(rng.integers(51, 56)) / 10:.1f}" + _digits(rng, 4) + "E+15"  # Excel's 5.54563E+15
    nik_m, nik_f = _nik(rng, False), _nik(rng, True)
    ssn = _ssn(rng)
    iban_de = iban("DE", _digits(rng, 18))
    iban_gb = iban("GB", "NWBK" + _digits(rng, 14))
    password = "hunter2" + _pick(rng, string.ascii_lowercase, 3) + _digits(rng, 2)
    bcrypt = "$2b$12$" + _pick(rng, _BCRYPT, 53)
    phone_id = _phone(rng, lambda: "+62 812-" + _digits(rng, 4) + "-" + _digits(rng, 4))
    phone_e164 = _phone(rng, lambda: "+447" + _digits(rng, 9))
    phone_08 = _phone(rng, lambda: "0813" + _digits(rng, 8))
    visa_text, amex_text, iban_text = (
        _group(visa, 4),
        f"{amex[:4]}-{amex[4:10]}-{amex[10:]}",
        _group(iban_de, 4),
    )
    return [
        (NOTES, "secret", "openai_project_key", openai, f"customer pasted key {openai} in chat"),
        (NOTES, "secret", "openai_service_account_key", svc, svc),
        (NOTES, "secret", "aws_access_key_id", aws, f"aws_access_key_id={aws}"),
        (NOTES, "secret", "github_token", ghp, ghp),
        (NOTES, "secret", "stripe_live_key", stripe, f"stripe: {stripe}"),
        (NOTES, "secret", "jwt", jwt, f"Authorization: Bearer {jwt}"),
        (NOTES, "private_key", "pem_private_key", pem, pem),
        (NOTES, "payment_card", "visa", visa_text, f"card {visa_text} exp 09/27"),
        (NOTES, "payment_card", "mastercard_2_series", mc2, mc2),
        (NOTES, "payment_card", "amex", amex_text, f"amex {amex_text}"),
        (NOTES, "payment_card", "card_mangled", mangled, mangled),
        (NOTES, "government_id", "nik_male", nik_m, f"NIK {nik_m}"),
        (NOTES, "government_id", "nik_female", nik_f, nik_f),
        (NOTES, "government_id", "us_ssn", ssn, f"SSN: {ssn}"),
        (NOTES, "bank_account", "iban_de", iban_text, f"refund to {iban_text}"),
        (NOTES, "bank_account", "iban_gb", iban_gb, iban_gb),
        (NOTES, "password", "plaintext_password", password, f"password: {password}"),
        (NOTES, "password_hash", "bcrypt", bcrypt, bcrypt),
        (NOTES, "phone", "phone_id_mobile", phone_id, f"call me at {phone_id}"),
        (NOTES, "phone", "phone_e164", phone_e164, phone_e164),
        (NOTES, "phone", "phone_id_national", phone_08, f"WA {phone_08}"),
        (NOTES, "chat_content", "chat_paragraph", CHAT, CHAT),
        (
            NOTES,
            "postal_address",
            "street_address_id",
            "Jl. Melati No. 12",
            "kirim ke Jl. Melati No. 12, Bandung",
        ),
        (NOTES, "postal_address", "street_address_en", "42 Baker Street", "ship to 42 Baker Street, London"),
        (NOTES, "date_of_birth", "dob_in_text", "17-08-1990", "tanggal lahir 17-08-1990"),
        (
            "$initial_referrer",
            "secret",
            "github_token",
            ghp2,
            f"https://app.example.com/callback?token={ghp2}",
        ),
        ("$name", "payment_card", "visa", visa2, visa2),
        ("$city", "government_id", "nik_male", nik_m, nik_m),
    ]


def place(rows: int, seed: int) -> list[Needle]:
    """The needles of one seed, each at a distinct random row (``rows`` >= number of needles)."""
    rng = np.random.default_rng([seed, 0x6E656564])
    specs = make_needles(rng)
    positions = rng.choice(rows, size=len(specs), replace=False)
    out = [
        Needle(int(p) + 1, column, data_class, kind, needle, value)
        for p, (column, data_class, kind, needle, value) in zip(positions, specs, strict=True)
    ]
    return sorted(out, key=lambda n: (n.row, n.column))

"""True and false cases for every registered detector (the table the detector tests run).

Secrets are built from pieces at import time so that no complete key-shaped string sits in the
repository (secret scanners on this repository should not fire on its own tests).
"""

from __future__ import annotations

import base64
import json


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


_BODY = "Zx81kPq2LmN7vB4cR9tYw3Hj6Ks5Dg0Fa2Qe8Ui4Op1Ly7Tr3Mn9Bc5Xv0Ws6Az2"
_HEX32 = "9f86d081884c7d659a2feaa0c55ad015"
JWT = (
    _b64({"alg": "HS256", "typ": "JWT"}) + "." + _b64({"sub": "1234567890"}) + ".SflKxwRJSMeKKF2QT4fwpMeJf36"
)
OPENAI_PROJECT = "sk-" + "proj-" + _BODY[:40] + "T3Blbk" + "FJ" + _BODY[:40]
OPENAI_LEGACY = "sk-" + _BODY[:20] + "T3Blbk" + "FJ" + _BODY[20:40]
OPENAI_SVCACCT = "sk-" + "svcacct-" + _BODY[:58]
ANTHROPIC = "sk-" + "ant-api03-" + (_BODY * 2)[:93] + "AA"
AWS = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB = "gh" + "p_" + _BODY[:36]
GITHUB_FINE = "github" + "_pat_" + (_BODY * 2)[:82]
STRIPE = "sk" + "_live_" + _BODY[:24]
SLACK = "xo" + "xb-1234567890-1234567890123-" + _BODY[:24]
GOOGLE = "AI" + "za" + _BODY[:35]
TWILIO = "S" + "K" + _HEX32
SENDGRID = "S" + "G." + _BODY[:22] + "." + _BODY[:43]
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + _BODY
BCRYPT = "$2b$12$" + (_BODY * 2)[:53].replace("0", "x")

#: detector name -> (values it must find, values it must not find)
CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "openai_key": (
        (OPENAI_PROJECT, OPENAI_LEGACY, OPENAI_SVCACCT, "customer pasted key " + OPENAI_PROJECT),
        ("sk-short", "task-proj-list", "sk-" + "proj-abc"),
    ),
    "anthropic_key": ((ANTHROPIC, "key=" + ANTHROPIC), ("sk-ant-api03-short", "ant-api")),
    "aws_access_key_id": (
        (AWS, "aws_access_key_id=" + AWS),
        ("AKIA1234", "AKIA" + "A" * 16, "akiaiosfodnn7example"),
    ),
    "github_token": (
        (GITHUB, GITHUB_FINE, "https://x.example/cb?token=" + GITHUB),
        ("ghp_short", "gh_" + _BODY[:36]),
    ),
    "stripe_key": (
        (STRIPE, "sk" + "_test_" + _BODY[:30]),
        ("sk_live_", "sk_live_abc", "pk_live_" + _BODY[:24]),
    ),
    "slack_token": ((SLACK, "https://hooks.slack.com/services/" + _BODY[:44]), ("xoxb-abc", "slack token")),
    "google_api_key": ((GOOGLE,), ("AIza123", "AIzaSy")),
    "twilio_key": ((TWILIO, "AC" + _HEX32), ("SK123", "SK" + "g" * 32)),
    "sendgrid_key": ((SENDGRID,), ("SG.abc.def", "SG." + _BODY[:10])),
    "jwt": (
        (JWT, "Authorization: Bearer " + JWT),
        ("eyJub3Q.eyJqc29u.x", "eyJ" + "a" * 20 + ".eyJ" + "b" * 20 + ".c"),
    ),
    "private_key": (
        (PEM, "-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----"),
        ("-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----", "private key"),
    ),
    "generic_secret": (
        ("api_key=" + _BODY[:20], "token: " + _BODY[5:30], 'SECRET_KEY = "' + _BODY[10:40] + '"'),
        (
            "api_key=788ecef2-e346-4b67-ae32-77b139f01b8a",
            "token=" + _HEX32,
            "secret: short",
            "password reset requested",
        ),
    ),
    "secret_by_column": (
        (_BODY[:24], "Bearer " + _BODY[:30]),
        (_HEX32, "788ecef2-e346-4b67-ae32-77b139f01b8a", "a" * 24, "short", "1234567890123456789"),
    ),
    "password_hash": (
        (
            BCRYPT,
            "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
            "$6$rounds=5000$saltsalt$" + (_BODY * 2)[:86],
            "$1$abcdefgh$" + _BODY[:22],
            "pbkdf2_sha256$260000$salt$" + _BODY[:44],
        ),
        ("$2b$12$short", "$5$", "costs $12 and $15", "pbkdf2"),
    ),
    "password_digest": (
        ("5f4dcc3b5aa765d61d8327deb882cf99", "a" * 3 + "b" * 37, _HEX32 * 2),
        ("5f4dcc3b5aa765d61d8327deb882cf9", "hunter2", "g" * 32),
    ),
    "password_plain": (
        ("hunter2", "P@ssw0rd!", "correcthorsebatterystaple"),
        # boolean flags (``has_password_set = true``) are no passwords
        ("has space", "abc", "", "true", "FALSE", "yes", "Enabled"),
    ),
    "password_in_text": (
        ("password: hunter2npd83", "pwd=S3cret!", "my kata sandi: rahasia123"),
        ("password reset requested", "forgot my password", "passwordless login"),
    ),
    "payment_card": (
        (
            "4111111111111111",
            "5555555555554444",
            "2223003122003222",
            "378282246310005",
            "6011111111111117",
            "3530111333300000",
            "4111 1111 1111 1111",
            "card 4899 5179 3718 1450 exp 09/27",
            "amex 3707-413868-10916",
        ),
        (
            "4111111111111112",
            "1700000000000",
            "1732527600123",
            "1234567890123456",
            "41111111111111111111111",
            "order 12345",
            "0000000000000000",
        ),
    ),
    "card_mangled": (
        ("5.54563E+15", "4.27181E+15", "3.70741E+14"),
        ("1.5E+3", "3.14159", "9.99E+15", "5.5E+20"),
    ),
    "card_security_code": (("123", "4567", " 999 "), ("12", "12345", "abc")),
    "iban": (
        ("GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "refund to DE46 5110 9662 2786 4985 60"),
        ("GB82WEST12345698765433", "XX82WEST12345698765432", "DE8937040044053201300"),
    ),
    "bank_account": (("1234567890", "123-456-7890"), ("12", "abc", "12345")),
    "nik": (
        (
            "3171040505848982",
            "3578015205973796",
            "NIK 3171040505848982",
            # grouped as people write them
            "3171 0405 0584 8982",
            "3171-0405-0584-8982",
            "317104 050584 8982",
            "31.71.04.050584.8982",
            "nik: 3171 0405 0584 8982.",
        ),
        (
            "3171043205848982",
            "9971040505848982",
            "3171040505840000",
            "1700000000000000",
            "31710405058489821",
            "3171 0432 0584 8982",
            "4111 1111 1111 1111",
        ),
    ),
    "npwp": (
        ("01.234.567.4-901.234", "012345674901234", "0012345674901234", "01 234 567 4 901 234"),
        ("01.234.567.5-901.234", "000000000000000"),
    ),
    "ssn": (
        ("536-22-8704", "SSN: 876-93-3917", "536 22 8704"),
        (
            "000-12-3456",
            "666-12-3456",
            "912-34-5678",
            "123-00-4567",
            "123-45-0000",
            "078-05-1120",
            "2024-05-01",
        ),
    ),
    "ssn_bare": (("536228704", "536-22-8704"), ("000228704", "123456789", "12345")),
    "passport": (("A1234567", "X12345678", "B 1234567".replace(" ", "")), ("12", "passport", "ABCDEFGHIJ")),
    "free_text": (
        (
            "Hi team, I'm writing again about my account because the invoice for last month was wrong.",
            "Tolong bantu saya karena akun saya tidak bisa masuk sejak kemarin malam ya kak",
        ),
        (
            "enterprise pilot",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
            "https://www.google.com/search?q=how+to+reset+password+for+my+account+please+help",
            "a b c d e f g h i j k l m n o p q r s t",
        ),
    ),
    "phone_e164": (
        ("+14155552671", "+62 812-3456-7890", "+44 20 7946 0958", "call +447911291279 now"),
        ("+1234", "2024-05-01T10:00:00+07:00", "+999 123 456", "+0812345678"),
    ),
    "phone_id": (
        ("081234567890", "0812-3456-7890", "6281234567890", "WA 081347919056"),
        ("0712345678", "08123", "a0812345678901b", "788ecef2-0812-3456-7890-77b139f01b8a"),
    ),
    "phone_national": (
        ("(415) 555-2671", "0812 3456 7890", "+14155552671"),
        ("12345", "000-000-0000", "phone"),
    ),
    "ipv4": (
        ("192.168.1.1", "8.8.8.8", "ip=203.0.113.7", "http://10.0.0.1/admin", "from 93.74.108.30"),
        (
            "999.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "version 1.2.3.400",
            # browser user agents: product versions, not addresses
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/142.0.0.0 Safari/537.36",
            "Version/17.1.2.3 Mobile",
        ),
    ),
    "ipv6": (
        ("2001:db8::1", "fe80::1ff:fe23:4567:890a", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
        ("12:30:45", "ab:cd", "2024-05-01T12:00:00"),
    ),
    "date_of_birth": (
        ("1990-05-17", "17/05/1990", "19900517", "1990-05-17T00:00:00"),
        ("2024-13-01", "hello", "1990"),
    ),
    "date_of_birth_text": (
        (
            "born 1990-05-17",
            "DOB: 17/05/1990",
            "d.o.b. 17.05.1990",
            "Date of birth: May 17, 1990",
            "she was born on 17 May 1990",
            "tanggal lahir 17 Agustus 1990",
            "Tgl Lahir: 17-08-1990",
            "Tempat/Tgl Lahir: Jakarta, 17-08-1990",
            "lahir di Bandung, 1 mei 1985",
            '{"dob": "1990-05-17"}',
            "Birthday: March 3rd, 1988",
            "born in Jakarta on 17 May 1990",
        ),
        (
            "1990-05-17",
            "born to run",
            "created 2024-01-01",
            "birthday party 2024",
            "lahir",
            "DOB",
            "reborn 2020-01-01",
            "adobe 2020-01-01",
            "born 2024-13-45",
        ),
    ),
    "timestamp": (
        (
            "2024-05-01T12:00:00Z",
            "01/02/2024",
            "2021-04-30T21:51:00",
            "met on 2023-12-24",
            "CSV Import - 2023-02-13 13:36:22 UTC",
        ),
        (
            "12:00",
            "2024",
            "v1.2.3",
            "3171040505848982",
            # dates inside identifiers
            "google-ad-1234567-2023-08-24",
            "txn_2023-08-24",
            "2023-08-24-promo",
        ),
    ),
    "epoch_timestamp": (
        ("1700000000", "1700000000000", "1700000000.5"),
        ("170000", "2024-01-01", "2700000000"),
    ),
    "country": (("ID", "US", "IDN", "indonesia", " de "), ("XX", "Atlantis", "")),
    "region_city": (
        ("Jakarta", "North Sumatra", "São Paulo", "Pacific Time (US & Canada)"),
        ("12345", "", "@@@", "open", "Published", "UTC", "gmt"),
    ),
    "timezone": (
        ("Asia/Jakarta", "America/New_York", "tz=Europe/Berlin"),
        ("Jakarta", "UTC", "Mars/Olympus"),
    ),
    "latlong": (("-6.2088, 106.8456", "loc 51.50735,-0.12776"), ("6.2, 106.8", "1.5, 2.5")),
    "coordinate": (("-6.208800", "106.845600"), ("6", "abc", "12.5")),
    "postal_address": (("Jl. Sudirman No. 1, Jakarta", "10110"), ("", "---")),
    "postal_address_text": (
        (
            "Jl. Sudirman No. 1, Jakarta",
            "kirim ke Jl. Merdeka Barat 12",
            "Jalan Gatot Subroto No. 5",
            "Gg. Mawar II",
            "Gang Kenari 3, Bandung",
            "RT 03/RW 05 Kel. Menteng",
            "RT.003/RW.005",
            "I live at 12 Baker Street, London",
            "ship to 221B Baker St., London NW1",
            "1600 Pennsylvania Ave NW, Washington",
            "42 Wallaby Way, Sydney",
            "Postal code 12190",
            "kode pos: 12190",
            "ZIP 94105-1234",
        ),
        (
            "",
            "---",
            "Samsung 860 EVO Drive",
            "External 2 TB Hard Drive",
            "Mario Kart 8 Rainbow Road",
            "St. Louis Cardinals",
            "I have 2 dogs on the Road, then",
            "jalan-jalan ke mall",
            "Gang violence in 2020",
            "zip file 12345 bytes",
            "postal service",
            "RT @user: hello",
            "Street Fighter 2",
            "10110",
        ),
    ),
    "email": (
        ("budi.santoso@example.co.id", "x+tag@sub.example.com", "contact: a.b@example.org please"),
        ("budi@localhost", "not an email", "@example.com", "name@"),
    ),
    "person_name": (
        (
            "Budi Santoso",
            "Jennifer Lefèvre",
            "O'Brien",
            "Siti",
            "山田太郎",
            "山田 太郎",
            "山田\u3000太郎",
            "Дмитрий Иванов",
            "สมชาย ใจดี",
            "محمد علي",
            "राहुल शर्मा",
            "김민준",
            "ヤマダ・タロウ",
            "Nguyễn Văn An",
            "Γιώργος Παπαδόπουλος",
        ),
        ("user123", "a@b.com", "12345", "", "山田太郎123", "@@@", "٣٤٥"),
    ),
    "username": (("budi_s", "@jlefevre", "user.name-1"), ("has space here", "x", "")),
    "url": (
        ("https://example.com/path?q=1", "www.example.org", "see http://a.example/x"),
        (
            "example",
            "mailto:x@example.com",
            "https://",
            "$direct",
            # a REST record's own address, stored with the record by a connector
            "https://fivetran1813.zendesk.com/api/v2/users/403958466973.json",
        ),
    ),
    "referring_domain": (
        ("google.com", "news.ycombinator.com", "www.bing.com"),
        ("$direct", "not a domain", "localhost"),
    ),
    "user_agent": (
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36", "okhttp/4.9.0", "curl/8.1.2"),
        ("Chrome", "Mozilla", "Firefox 120"),
    ),
    "device": (("Mac OS X", "Chrome", "iPhone 15", "132"), ("", "x" * 100, "<script>")),
    "uuid": (
        ("788ecef2-e346-4b67-ae32-77b139f01b8a", "id 0B5FD428-27B2-44E4-AE58-BC67BC6241EC"),
        ("788ecef2e3464b67", "not-a-uuid"),
    ),
    "prefixed_id": (
        ("org-dD4mwU5QT1Y5U8HdvpS83lCe", "user-EU7PYVQtFPkxGqEU2ahfoy6i", "cus_" + _BODY[:14]),
        ("org-123", "sk-proj-abcdefghijklmnop", "organization"),
    ),
    "hashed_id": (
        (
            _HEX32,
            "pabACwVFlKUUrFX3+yMBSg==",
            "k4G7CSSjxr2mRtBxpVCxKHx+E8c=",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
        (
            "integration-test@airbyte.io",
            "Jared Rhizor",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "0" * 32,
            "==" * 12,
        ),
    ),
    "distinct_id": (
        ("abc123", "$device:1234", "788ecef2-e346-4b67-ae32-77b139f01b8a"),
        ("has spaces in it", ""),
    ),
}

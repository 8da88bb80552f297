"""Passwords: hashes in Modular Crypt / PHC formats anywhere, bare hex digests and plaintext
passwords in columns named like a password.
"""

from __future__ import annotations

from breachscope.detectors.base import Detector

_PW_HINTS = (
    r"passw",
    r"^pass$",
    r"_pass$",
    r"^pwd",
    r"_pwd$",
    r"passwd",
    r"^pw$",
    r"_pw$",
    r"kata_?sandi",
    r"sandi",
)

PASSWORD_HASH = Detector(
    name="password_hash",
    version=1,
    data_class="password_hash",
    pattern=(
        r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}"
        r"|\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+"
        r"|\$scrypt\$[^$\s]+\$[^$\s]+\$[^$\s]+|\$7\$[./A-Za-z0-9]{11,}\$[./A-Za-z0-9]{43}"
        r"|\$[156]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}"
        r"|pbkdf2_sha(?:1|256|512)\$\d+\$[^$\s]+\$[A-Za-z0-9+/=]{20,}"
    ),
    column_hints=_PW_HINTS + (r"hash",),
    family="crypt",
    anchor=r"\$(?:2[abxy]?|argon2(?:id|i|d)|scrypt|7|[156])\$|pbkdf2_sha",
    description="bcrypt, argon2, scrypt, crypt(3) $1$/$5$/$6$ and Django pbkdf2 hashes.",
)

BARE_DIGEST = Detector(
    name="password_digest",
    version=1,
    data_class="password_hash",
    pattern=r"^\s*(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128})\s*$",
    column_hints=_PW_HINTS,
    requires_hint=True,
    description="Unsalted md5/sha1/sha256/sha512 hex digests in a password-like column.",
)

#: Values of a flag column (``has_password_set``, ``password_enabled``): never a password.
FLAG_VALUES = frozenset(
    {"true", "false", "yes", "no", "t", "f", "y", "n", "0", "1", "on", "off", "enabled", "disabled"}
)


def not_a_flag(value: str) -> bool:
    """False for boolean-like values (``true``, ``FALSE``, ``yes``, ``0``)."""
    return value.strip().lower() not in FLAG_VALUES


PASSWORD_PLAIN = Detector(
    name="password_plain",
    version=2,
    data_class="password",
    pattern=r"^\S{4,}$",
    validate=not_a_flag,
    column_hints=_PW_HINTS,
    requires_hint=True,
    excludes=("password_hash", "password_digest"),
    anti_hints=(
        r"hash",
        r"reset",
        r"_at$",
        r"changed",
        r"expir",
        r"policy",
        r"strength",
        r"length",
        # flags about a password (``has_password_set``, ``is_password_enabled``, ``password_set``)
        r"^(has|is|can|should|needs?)_",
        r"_set$",
        r"enabled",
        r"_flag$",
        r"required",
        r"count",
    ),
    description="Any non-blank value without spaces in a column named like a password.",
)


PASSWORD_ASSIGNED = Detector(
    name="password_in_text",
    version=1,
    data_class="password",
    pattern=r"(?i:password|passwd|pwd|passcode|kata ?sandi)\s*(?:is|[:=])\s*[\"']?[^\s\"']{4,}",
    column_hints=_PW_HINTS,
    family="password_kw",
    anchor=r"(?i:passw|pwd|passcode|sandi)",
    excludes=("password_hash",),
    description="'password: ...' / 'pwd=...' written into any value.",
)

DETECTORS: tuple[Detector, ...] = (PASSWORD_HASH, BARE_DIGEST, PASSWORD_PLAIN, PASSWORD_ASSIGNED)

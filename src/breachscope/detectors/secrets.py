"""Secrets: vendor API keys with self-identifying formats, JWTs, PEM private keys, and
high-entropy tokens next to a secret keyword (in the value or in the column name).

Formats from gitleaks/TruffleHog/detect-secrets (see detection-formats.md 5.2). UUIDs, git SHAs
and other pure-hex ids are never reported as secrets.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from breachscope.detectors._checks import is_repetitive, looks_like_id_not_secret, shannon_entropy
from breachscope.detectors.base import Detector


def _key(name: str, pattern: str, anchor: str, description: str, **kw: object) -> Detector:
    return Detector(
        name=name,
        version=1,
        data_class="secret",
        pattern=pattern,
        family="secret",
        anchor=anchor,
        description=description,
        column_hints=_SECRET_HINTS,
        **kw,  # type: ignore[arg-type]
    )


_SECRET_HINTS = (r"api_?key", r"secret", r"token", r"access_?key", r"credential", r"bearer", r"auth")

OPENAI = _key(
    "openai_key",
    r"sk-(?:(?:proj|svcacct|admin|service)-)?[A-Za-z0-9_-]{10,}T3BlbkFJ[A-Za-z0-9_-]{10,}"
    r"|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}",
    r"sk-",
    "OpenAI keys: sk-, sk-proj-, sk-svcacct-, sk-admin- (T3BlbkFJ marker or long project form).",
)
ANTHROPIC = _key(
    "anthropic_key",
    r"sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}",
    r"sk-ant-",
    "Anthropic API and admin keys (sk-ant-api03-..., sk-ant-admin01-...).",
)
AWS = _key(
    "aws_access_key_id",
    r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}",
    r"A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA",
    "AWS access key ids (AKIA long-term, ASIA session).",
    validate=lambda v: not is_repetitive(re.sub(r"^(?:A3T.|AKIA|ASIA|ABIA|ACCA)", "", v.strip())[:16]),
)
GITHUB = _key(
    "github_token",
    r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,}",
    r"gh[pousr]_|github_pat_",
    "GitHub classic and fine-grained tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_).",
)
STRIPE = _key(
    "stripe_key",
    r"(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,}",
    r"[sr]k_(?:live|test|prod)_",
    "Stripe secret and restricted keys.",
)
SLACK = _key(
    "slack_token",
    r"xox[abposer]-(?:\d+-)+[A-Za-z0-9-]{8,}|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+"
    r"|hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{20,}",
    r"xox[abposer]-|xapp-|hooks\.slack\.com/",
    "Slack bot/user/app tokens and webhook URLs.",
)
GOOGLE = _key(
    "google_api_key",
    r"AIza[0-9A-Za-z_-]{35}",
    r"AIza",
    "Google API keys (AIza...).",
)
TWILIO = _key(
    "twilio_key",
    r"\b(?:SK|AC)[0-9a-fA-F]{32}\b",
    r"(?:SK|AC)[0-9a-fA-F]{4}",
    "Twilio API key SIDs (SK...) and account SIDs (AC...).",
)
SENDGRID = _key(
    "sendgrid_key",
    r"SG\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{39,}",
    r"SG\.",
    "SendGrid API keys (SG.xxx.yyy).",
)


def _b64json(segment: str) -> object:
    pad = "=" * (-len(segment) % 4)
    try:
        return json.loads(base64.urlsafe_b64decode(segment + pad))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


_JWT_RX = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")


def valid_jwt(value: str) -> bool:
    """Header and payload decode to JSON objects and the header names an ``alg``."""
    for m in _JWT_RX.finditer(value):
        head, body = m.group(0).split(".")[:2]
        header, payload = _b64json(head), _b64json(body)
        if isinstance(header, dict) and "alg" in header and isinstance(payload, dict):
            return True
    return False


JWT = _key(
    "jwt",
    r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
    r"eyJ",
    "JSON Web Tokens, structurally decoded (header with alg, JSON payload).",
    validate=valid_jwt,
)

PRIVATE_KEY = Detector(
    name="private_key",
    version=1,
    data_class="private_key",
    pattern=(
        r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[A-Za-z0-9+/=\s:,.-]*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)?"
    ),
    column_hints=(r"private_?key", r"pem", r"ssh_?key"),
    family="secret",
    anchor=r"-----BEGIN",
    description="PEM/OpenSSH/PGP private key headers.",
)

_KEYWORD = r"(?i:api[_-]?key|secret|token|passw(?:or)?d|pwd|access[_-]?key|auth|bearer|credential)"
_ASSIGNED_RX = re.compile(
    _KEYWORD + r"[\w-]*[\"']?\s*(?:[:=]|=>|:=)\s*[\"']?(?i:bearer\s+)?(?P<token>[A-Za-z0-9_./+=-]{16,})"
)


def _high_entropy_token(token: str) -> bool:
    token = token.strip("\"' ")
    if len(token) < 16 or looks_like_id_not_secret(token) or is_repetitive(token):
        return False
    has_mix = any(c.isdigit() for c in token) and any(c.isalpha() for c in token)
    return has_mix and shannon_entropy(token) >= 3.5


def valid_assigned_secret(value: str) -> bool:
    return any(_high_entropy_token(m.group("token")) for m in _ASSIGNED_RX.finditer(value))


GENERIC_ASSIGNED = Detector(
    name="generic_secret",
    version=1,
    data_class="secret",
    pattern=_ASSIGNED_RX.pattern,
    validate=valid_assigned_secret,
    tags=("generic",),
    family="secret",
    anchor=_KEYWORD,
    description="A high-entropy token assigned to a secret keyword (api_key=..., token: ...).",
)

HINTED_TOKEN = Detector(
    name="secret_by_column",
    version=1,
    data_class="secret",
    pattern=r"^\s*(?i:bearer\s+)?(?P<token>[A-Za-z0-9_./+=-]{16,})\s*$",
    tags=("generic",),
    validate=lambda v: _high_entropy_token(re.sub(r"(?i)^\s*bearer\s+", "", v).strip()),
    column_hints=_SECRET_HINTS,
    requires_hint=True,
    anti_hints=(r"token_?type", r"auth_?method", r"auth_?provider", r"_at$", r"expir"),
    description="High-entropy tokens in a column named like a secret (api_key, token, secret).",
)

DETECTORS: tuple[Detector, ...] = (
    OPENAI,
    ANTHROPIC,
    AWS,
    GITHUB,
    STRIPE,
    SLACK,
    GOOGLE,
    TWILIO,
    SENDGRID,
    JWT,
    PRIVATE_KEY,
    GENERIC_ASSIGNED,
    HINTED_TOKEN,
)

"""Notify settings: who we send as, how we sign, how we reach the SMTP server.

Read from a TOML file (``--config`` or ``$BREACHSCOPE_NOTIFY_CONFIG``) with a ``[notify]`` table,
then overridden by environment variables (``BREACHSCOPE_SMTP_PASSWORD`` and friends, see
:data:`ENV_OVERRIDES`). Passwords and the verification key are wrapped in :class:`Secret`, whose
``repr`` and ``str`` are masked, so a settings object can be logged or printed safely.

Everything a notice's authenticity depends on is checked here, before anything is rendered:
From and Reply-To must be on the official domain (or a subdomain of it), the DKIM domain must be
aligned with it, and the DKIM key must be a readable RSA key of at least 1024 bits.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal

from breachscope.errors import BreachscopeError

CONFIG_ENV = "BREACHSCOPE_NOTIFY_CONFIG"
MIN_RSA_BITS = 1024

Security = Literal["starttls", "ssl", "none"]

#: Environment variables that override (or supply) settings: variable -> (table, key).
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "BREACHSCOPE_SMTP_HOST": ("smtp", "host"),
    "BREACHSCOPE_SMTP_PORT": ("smtp", "port"),
    "BREACHSCOPE_SMTP_SECURITY": ("smtp", "security"),
    "BREACHSCOPE_SMTP_USERNAME": ("smtp", "username"),
    "BREACHSCOPE_SMTP_PASSWORD": ("smtp", "password"),
    "BREACHSCOPE_DKIM_KEY_FILE": ("dkim", "private_key_file"),
    "BREACHSCOPE_NOTIFY_VERIFICATION_KEY": ("notify", "verification_key"),
}


class Secret:
    """A string that does not show itself in ``repr``/``str`` (logs, tracebacks, rich output)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


#: At most this many SMTP connections (each also holds a case-database connection).
MAX_CONNECTIONS = 8


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password: Secret | None = None
    timeout_s: float = 30.0
    #: Messages per connection before a polite QUIT and reconnect (many servers cap this).
    max_per_connection: int = 500
    #: Connections used at the same time, each reused (the server's replies are waited for in
    #: parallel; most relays accept several, Postfix 20 per client by default). 1-8.
    connections: int = 4
    #: Messages per second, at most (0 = unlimited).
    rate_per_second: float = 50.0
    #: Attempts per notice before a temporary failure becomes ``failed``.
    max_attempts: int = 5
    #: Backoff after the n-th temporary failure: base * 2**(n-1), capped.
    backoff_base_s: float = 60.0
    backoff_max_s: float = 3600.0
    #: How long one run waits for deferred notices to become due before it stops (they stay queued).
    linger_s: float = 120.0


@dataclass(frozen=True)
class DkimSettings:
    selector: str
    domain: str
    private_key_file: Path

    def private_key(self) -> bytes:
        return self.private_key_file.read_bytes()


@dataclass(frozen=True)
class NotifyConfig:
    """Everything notify needs besides the case database."""

    company: str
    official_domain: str
    from_address: Address
    reply_to: Address | None = None
    #: Regulator notice drafts go here (your own legal/privacy team) for review and filing.
    drafts_to: Address | None = None
    support_phone: str = ""
    #: The name of the page in your product where a notice can be checked ("Settings > Security
    #: notices"); without it (and without a recorded ``help-page`` fact) notices name no page.
    help_page: str = ""
    #: How the official domain appears in notices: "brackets" (example[.]com) or "words".
    domain_style: Literal["brackets", "words"] = "brackets"
    #: Show the leaked coarse location value ("Jakarta, Indonesia") to the user it belongs to.
    show_location: bool = True
    verification_key: Secret = field(default_factory=lambda: Secret(""))
    dkim: DkimSettings | None = None
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    templates: Path | None = None
    #: What a resumed run does with notices whose final "." was sent but no reply was read.
    unconfirmed: Literal["presume-sent", "resend"] = "presume-sent"
    #: Worker processes for rendering (queue) and DKIM signing (send); 0 = all in this process.
    workers: int = 0

    def with_templates(self, path: Path | None) -> NotifyConfig:
        return self if path is None else replace(self, templates=path)


def _err(message: str, hint: str | None = None) -> BreachscopeError:
    return BreachscopeError(f"notify config: {message}", hint)


def _address(raw: str, what: str) -> Address:
    if any(ch in raw for ch in "\r\n"):
        raise _err(f"{what} contains a line break")
    name, addr = parseaddr(raw)
    if "@" not in addr:
        raise _err(
            f"{what} is not an email address: {raw!r}", 'write e.g. "Example Security <security@example.com>"'
        )
    local, _, domain = addr.rpartition("@")
    try:
        return Address(display_name=name, username=local, domain=domain.lower())
    except (ValueError, IndexError) as exc:
        raise _err(f"{what} is not a valid address: {raw!r} ({exc})") from exc


def on_domain(domain: str, official: str) -> bool:
    """True for the official domain itself or one of its subdomains (DMARC relaxed alignment)."""
    d, o = domain.lower().rstrip("."), official.lower().rstrip(".")
    return d == o or d.endswith("." + o)


def _check_domain(addr: Address, what: str, official: str) -> None:
    if not on_domain(addr.domain, official):
        raise _err(
            f"{what} {addr.addr_spec} is not on the official domain {official}",
            "notices must come from your established domain, never a new or lookalike one",
        )


def check_dkim_key(path: Path) -> int:
    """Return the RSA key size in bits; raise a clear error for a missing, unreadable or weak key."""
    from dkim.crypto import UnparsableKeyError, parse_pem_private_key

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _err(
            f"cannot read the DKIM key {path}: {exc.strerror}", "set [notify.dkim] private_key_file"
        ) from exc
    try:
        key = parse_pem_private_key(data)
    except (UnparsableKeyError, ValueError, IndexError) as exc:
        raise _err(f"{path} is not a PEM RSA private key", "create one: breachscope notify dkim-key") from exc
    bits = int(key["modulus"]).bit_length()
    if bits < MIN_RSA_BITS:
        raise _err(f"the DKIM key {path} has {bits} bits; at least {MIN_RSA_BITS} are required (RFC 8301)")
    return bits


def _table(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise _err(f"[{name}] must be a table")
    return dict(value)


def from_mapping(
    data: Mapping[str, Any], base_dir: Path | None = None, check_key: bool = True
) -> NotifyConfig:
    """Build and check a config from a ``{"notify": {..., "dkim": {...}, "smtp": {...}}}`` mapping."""
    notify = _table(data, "notify")
    dkim_raw = _table(notify, "dkim") if "dkim" in notify else None
    smtp_raw = _table(notify, "smtp")
    base = base_dir or Path.cwd()
    official = str(notify.get("official_domain", "")).strip().lower().rstrip(".")
    if not official or "." not in official:
        raise _err("official_domain is missing", 'set official_domain = "example.com" in [notify]')
    for required in ("company", "from"):
        if not str(notify.get(required, "")).strip():
            raise _err(f"{required} is missing", f"set {required} in [notify]")
    from_addr = _address(str(notify["from"]), "from")
    _check_domain(from_addr, "from", official)
    reply_to = _address(str(notify["reply_to"]), "reply_to") if notify.get("reply_to") else None
    if reply_to is not None:
        _check_domain(reply_to, "reply_to", official)
    drafts_to = _address(str(notify["drafts_to"]), "drafts_to") if notify.get("drafts_to") else None
    if drafts_to is not None:
        _check_domain(drafts_to, "drafts_to", official)
    dkim = None
    if dkim_raw is not None:
        selector, ddomain = str(dkim_raw.get("selector", "")), str(dkim_raw.get("domain", official)).lower()
        if not selector or not selector.replace("-", "").replace(".", "").isalnum():
            raise _err("[notify.dkim] selector is missing or not a DNS label", 'e.g. selector = "notice2025"')
        if not (on_domain(from_addr.domain, ddomain) and on_domain(ddomain, official)):
            raise _err(
                f"DKIM domain {ddomain} is not aligned with From {from_addr.domain} on {official}",
                "DMARC needs d= to be the From domain or its parent on the official domain",
            )
        key_file = Path(str(dkim_raw.get("private_key_file", "")))
        if not str(key_file) or str(key_file) == ".":
            raise _err("[notify.dkim] private_key_file is missing")
        key_file = key_file if key_file.is_absolute() else base / key_file
        if check_key:
            check_dkim_key(key_file)
        dkim = DkimSettings(selector=selector, domain=ddomain, private_key_file=key_file)
    smtp = _smtp(smtp_raw)
    templates = notify.get("templates")
    style = str(notify.get("domain_style", "brackets"))
    if style not in ("brackets", "words"):
        raise _err("domain_style must be brackets or words")
    unconfirmed = str(notify.get("unconfirmed", "presume-sent"))
    if unconfirmed not in ("presume-sent", "resend"):
        raise _err("unconfirmed must be presume-sent or resend")
    return NotifyConfig(
        company=str(notify["company"]).strip(),
        official_domain=official,
        from_address=from_addr,
        reply_to=reply_to,
        drafts_to=drafts_to,
        support_phone=str(notify.get("support_phone", "")).strip(),
        help_page=str(notify.get("help_page", "")).strip(),
        domain_style=style,  # type: ignore[arg-type]
        show_location=bool(notify.get("show_location", True)),
        verification_key=Secret(str(notify.get("verification_key", ""))),
        dkim=dkim,
        smtp=smtp,
        templates=(base / str(templates)) if templates else None,
        unconfirmed=unconfirmed,  # type: ignore[arg-type]
        workers=_int(notify.get("workers", 0), "workers"),
    )


def _int(value: Any, what: str) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError) as exc:
        raise _err(f"{what} must be a whole number") from exc


def _smtp(raw: dict[str, Any]) -> SmtpSettings:
    defaults = SmtpSettings()
    security = str(raw.get("security", defaults.security))
    if security not in ("starttls", "ssl", "none"):
        raise _err("[notify.smtp] security must be starttls, ssl or none")
    try:
        return SmtpSettings(
            host=str(raw.get("host", defaults.host)),
            port=int(raw.get("port", 465 if security == "ssl" else defaults.port)),
            security=security,  # type: ignore[arg-type]
            username=str(raw["username"]) if raw.get("username") else None,
            password=Secret(str(raw["password"])) if raw.get("password") else None,
            timeout_s=float(raw.get("timeout_s", defaults.timeout_s)),
            max_per_connection=int(raw.get("max_per_connection", defaults.max_per_connection)),
            connections=max(1, min(MAX_CONNECTIONS, int(raw.get("connections", defaults.connections)))),
            rate_per_second=float(raw.get("rate_per_second", defaults.rate_per_second)),
            max_attempts=max(1, int(raw.get("max_attempts", defaults.max_attempts))),
            backoff_base_s=float(raw.get("backoff_base_s", defaults.backoff_base_s)),
            backoff_max_s=float(raw.get("backoff_max_s", defaults.backoff_max_s)),
            linger_s=float(raw.get("linger_s", defaults.linger_s)),
        )
    except (TypeError, ValueError) as exc:
        raise _err(f"[notify.smtp] has a value of the wrong type: {exc}") from exc


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    notify = data.setdefault("notify", {})
    for var, (table, key) in ENV_OVERRIDES.items():
        if env.get(var):
            target = notify if table == "notify" else notify.setdefault(table, {})
            target[key] = env[var]
    return data


def load_config(
    path: Path | None = None, env: Mapping[str, str] | None = None, check_key: bool = True
) -> NotifyConfig:
    """Load ``path`` (else ``$BREACHSCOPE_NOTIFY_CONFIG``), apply env overrides, check, return."""
    env = os.environ if env is None else env
    if path is None and env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    if path is None:
        raise _err(
            "no notify config given",
            f"pass --config notify.toml or set {CONFIG_ENV}; see docs/notify.md for an example",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _err(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise _err(f"{path} is not valid TOML: {exc}") from exc
    return from_mapping(_apply_env(data, env), base_dir=path.parent, check_key=check_key)

"""Posting JSON to a URL (Slack-compatible incoming webhooks and any JSON receiver), shared by stages.

One function, :func:`post_json`, on the standard library (``urllib``): a POST of a JSON body
with a timeout per attempt, retries of what may succeed later (network errors and timeouts,
HTTP 429 and 5xx; a ``Retry-After`` is honoured up to :data:`MAX_RETRY_AFTER_S`), and a
:class:`PostResult` listing every attempt instead of raising: a webhook that cannot be reached
never stops the stage that posts it (the stage records the result). A Slack incoming webhook
reads the ``text`` key (and ``blocks``); other receivers get the whole document.

Only ``http`` and ``https`` URLs are accepted; redirects are not followed (a 3xx is reported),
so a payload never goes to a host the operator did not name. A webhook URL is a secret (Slack's
carries its token in the path): nothing here prints, logs or returns it; :func:`redact_url`
(scheme and host) is what callers may show and store.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from breachscope.errors import InputError

__all__ = ["Attempt", "PostResult", "WebhookResult", "check_url", "post_json", "redact_url", "valid_url"]

USER_AGENT = "breachscope-webhook/1"
MAX_RETRY_AFTER_S = 30.0
MAX_BODY = 1_000_000


@dataclass(frozen=True)
class Attempt:
    """One try: the HTTP status (None when no answer came), a short error, how long it took."""

    status: int | None
    error: str
    elapsed_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "elapsed_s": round(self.elapsed_s, 3)}


@dataclass
class PostResult:
    """Every attempt of one post; ``ok`` when the last one got a 2xx answer."""

    target: str  # redacted: scheme://host[:port]/…
    tries: list[Attempt] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def status(self) -> int | None:
        """HTTP status of the last attempt, None when no answer came."""
        return self.tries[-1].status if self.tries else None

    @property
    def error(self) -> str:
        return self.tries[-1].error if self.tries else "not attempted"

    @property
    def attempts(self) -> int:
        return len(self.tries)

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "delivered": self.ok, "attempts": [a.to_dict() for a in self.tries]}


#: The name the first users of this module (canary) know the result by.
WebhookResult = PostResult


def redact_url(url: str) -> str:
    """``https://hooks.slack.com/services/T0/B0/secret`` -> ``https://hooks.slack.com/…``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparsable URL)"
    return f"{parts.scheme}://{host}{port}/…"


def valid_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        return False


def check_url(url: str) -> str:
    """``url`` if it can be posted to, else an :class:`InputError` (for options and settings)."""
    if not valid_url(url):
        raise InputError(
            f"not a webhook URL: {redact_url(url)}",
            "give an http:// or https:// URL (e.g. a Slack incoming webhook)",
        )
    return url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _retry_after(headers: Any, default: float) -> float:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(value))) if value is not None else default
    except ValueError:
        return default


def post_json(
    url: str,
    payload: Any,
    *,
    timeout: float = 5.0,
    attempts: int = 3,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> PostResult:
    """POST ``payload`` as JSON; up to ``attempts`` tries, waiting ``backoff * 2**n`` (or the
    receiver's ``Retry-After``) between them. Never raises for a failed delivery."""
    result = PostResult(redact_url(url))
    if not valid_url(url):
        result.tries.append(Attempt(None, "not an http(s) URL", 0.0))
        return result
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    if len(body) > MAX_BODY:
        result.tries.append(Attempt(None, f"payload of {len(body):,} bytes is over {MAX_BODY:,}", 0.0))
        return result
    for n in range(max(1, attempts)):
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
        )
        started = time.monotonic()
        wait = backoff * (2**n)
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                response.read(65536)
                result.tries.append(Attempt(int(response.status), "", time.monotonic() - started))
                return result
        except urllib.error.HTTPError as exc:
            result.tries.append(Attempt(exc.code, f"HTTP {exc.code}", time.monotonic() - started))
            if not (exc.code == 429 or exc.code >= 500):
                return result  # 3xx (not followed) and other 4xx: retrying will not help
            wait = _retry_after(exc.headers, wait)
        except (urllib.error.URLError, OSError, ValueError) as exc:  # refused, timeout, DNS
            reason = getattr(exc, "reason", exc)
            # the reason names the host at most; never let the URL (and its secret path) through
            said = str(reason).replace(url, result.target)[:200]
            result.tries.append(Attempt(None, f"{type(reason).__name__}: {said}", time.monotonic() - started))
        if n + 1 < max(1, attempts):
            sleep(wait)
    return result

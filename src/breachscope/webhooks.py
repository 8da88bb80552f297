"""Posting JSON to a URL (Slack-compatible incoming webhooks and any JSON receiver), shared by stages.

One small function, :func:`post_json`, on the standard library (``urllib``): a POST of a JSON
body with a timeout, a bounded number of attempts on network errors and 5xx answers, and a
:class:`WebhookResult` that says what happened instead of raising: a webhook that cannot be
reached never stops the stage that posts it (the stage records the result). A Slack incoming
webhook reads the ``text`` key; other receivers get the whole document. Only ``http`` and
``https`` URLs are accepted; redirects are not followed (a 3xx is reported), so a payload never
goes to a host the operator did not name.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

USER_AGENT = "breachscope-webhook/1"


@dataclass(frozen=True)
class WebhookResult:
    ok: bool
    status: int | None  # HTTP status of the last attempt, None when no answer came
    attempts: int
    error: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def post_json(
    url: str, payload: dict[str, Any], *, timeout: float = 5.0, attempts: int = 3, backoff: float = 0.5
) -> WebhookResult:
    """POST ``payload`` as JSON; up to ``attempts`` tries on network errors and 5xx answers."""
    if not valid_url(url):
        return WebhookResult(False, None, 0, "not an http(s) URL")
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    status: int | None = None
    error = ""
    for attempt in range(1, max(1, attempts) + 1):
        req = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
        )
        try:
            with _OPENER.open(req, timeout=timeout) as resp:
                status = int(resp.status)
                resp.read(65536)
            return WebhookResult(True, status, attempt)
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
            if exc.code < 500:
                return WebhookResult(False, status, attempt, error)
        except (urllib.error.URLError, OSError, ValueError) as exc:  # refused, timeout, DNS, bad URL
            status, error = None, str(getattr(exc, "reason", exc))[:200]
        if attempt < attempts:
            time.sleep(backoff * attempt)
    return WebhookResult(False, status, max(1, attempts), error)

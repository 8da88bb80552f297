"""Security headers on every response of the console (a pure ASGI middleware).

The Content-Security-Policy allows scripts, styles and fonts from our own origin only: no inline
script, no inline style, no ``eval``, no plug-ins, no framing, forms post only to us. Templates
therefore carry no ``onclick=`` or ``style=`` attribute; a test renders every page in chromium and
fails on any CSP report. Pages that may show personal data are never cached (``no-store``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

#: Sent with every response; ``Cache-Control`` only where the response did not set its own.
HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    # same-origin, not no-referrer: with no-referrer chromium sends "Origin: null" on a form post,
    # and the server refuses a state change whose Origin is not ours. same-origin still sends no
    # referrer to any other site (and the pages link to no other site).
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)


class SecurityHeaders:
    """Add :data:`HEADERS` to every HTTP response; ``no-store`` unless the app chose a cache policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                raw: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in raw}
                for name, value in HEADERS:
                    if name.encode() not in present:
                        raw.append((name.encode(), value.encode()))
                if b"cache-control" not in present:
                    raw.append((b"cache-control", b"no-store"))
                message["headers"] = raw
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # an unhandled error: Starlette's last-resort 500 is sent outside this middleware,
            # without these headers; send it here (no detail) and let the error be logged.
            if not started:
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                    }
                )
                await send_with_headers({"type": "http.response.body", "body": b"Internal Server Error"})
            raise

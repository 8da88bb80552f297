"""A cap on request bodies read into memory (a pure ASGI middleware).

FastAPI reads a JSON or form body whole before the endpoint (and before pydantic's
``max_length`` checks) runs, and the gate reads a form body for its CSRF field before it knows
who is asking: without a cap, one anonymous ``POST /api/v1/auth/login`` with a 300 MB body held
~2 GB of memory for minutes. Every body is therefore cut at :data:`MAX_BODY_BYTES` (413),
except the two streamed uploads (datasets, directory files), which
:func:`breachscope.web.uploads.receive` writes to disk under its own ``max_upload_bytes``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: JSON and form bodies (decisions, facts, drafts, sign-in) are far smaller than this.
MAX_BODY_BYTES = 1024 * 1024
#: The streamed uploads: raw bodies written to disk by ``uploads.receive`` under their own cap.
STREAMED = re.compile(r"^/api/v1/incidents/[^/]+/(?:datasets|scope/directory)$")


def _too_large() -> HTTPException:
    return HTTPException(413, f"request bodies are limited to {MAX_BODY_BYTES:,} bytes (uploads excepted)")


class BodyLimit:
    """Refuse (413) a request whose body passes :data:`MAX_BODY_BYTES`, by its declared
    ``Content-Length`` or by the bytes actually received (chunked bodies declare none)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"] == "POST" and STREAMED.match(scope["path"])):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        over = declared.isdigit() and int(declared) > MAX_BODY_BYTES
        size = 0

        async def limited() -> Message:
            nonlocal size
            if over:  # raised inside the app, so the error handlers and security headers apply
                raise _too_large()
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > MAX_BODY_BYTES:
                    raise _too_large()
            return message

        await self.app(scope, limited, send)

"""Mailers: the injected objects that deliver a signed message (SMTP, .eml folder, memory).

A mailer's :meth:`Mailer.send` calls ``before_final_dot()`` at the last moment before the
message becomes the server's responsibility (for SMTP: after the body, before the closing
``"."``). The sender uses it to record that the outcome may now be "accepted", which is what
makes resuming after a crash exact (see docs/notify.md, "Exactly once").
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from breachscope.files import write_private

#: The causes ``notify status`` names (the start of an attempt's detail).
CUT_BEFORE_DOT = (
    "connection lost before the server read the final dot (re-queued: it cannot have the message)"
)
CUT_AFTER_DOT = "connection lost after the final dot was written, before the reply"


class DeliveryError(Exception):
    """The server (or the mailer) refused or could not take a message."""

    permanent = False

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}".strip())
        self.code = code
        self.message = message


class TemporaryFailure(DeliveryError):
    """4xx or a broken connection before the final dot: retry later."""


class ServerUnavailable(TemporaryFailure):
    """The server cannot be reached at all: the run stops instead of burning retries."""


class PermanentFailure(DeliveryError):
    """5xx: the server will never take this message for this recipient."""

    permanent = True


class UnconfirmedDelivery(DeliveryError):
    """The final dot was sent but no reply arrived: the server may or may not have the message."""


@dataclass(frozen=True)
class Outgoing:
    key: str
    message_id: str
    envelope_from: str
    to: str
    data: bytes


class Mailer(Protocol):
    def send(self, mail: Outgoing, before_final_dot: Callable[[], None]) -> str:
        """Deliver ``mail``; returns the server's acceptance text or raises :class:`DeliveryError`."""
        ...

    def close(self) -> None: ...


@dataclass
class MemoryMailer:
    """Keeps messages in a list (tests, previews). ``fail`` maps an address to an error to raise."""

    sent: list[Outgoing] = field(default_factory=list)
    fail: dict[str, DeliveryError] = field(default_factory=dict)

    def send(self, mail: Outgoing, before_final_dot: Callable[[], None]) -> str:
        if mail.to in self.fail:
            raise self.fail[mail.to]
        before_final_dot()
        self.sent.append(mail)
        return "250 kept in memory"

    def close(self) -> None:
        pass


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class EmlDirectoryMailer:
    """Writes each message to ``<dir>/<kind>/<key>.eml`` instead of sending (``--dry-run DIR``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.written = 0

    def path_for(self, mail: Outgoing) -> Path:
        parts = mail.key.split(":", 2)
        kind = _UNSAFE.sub("_", parts[1]) if len(parts) == 3 else "notice"
        name = _UNSAFE.sub("_", parts[-1])[:80] or "recipient"
        digest = mail.message_id.strip("<>").split("@", 1)[0][-12:]
        return self.directory / kind / f"{name}-{digest}.eml"

    def send(self, mail: Outgoing, before_final_dot: Callable[[], None]) -> str:
        path = self.path_for(mail)
        tmp = write_private(path.with_suffix(".tmp"), mail.data)
        before_final_dot()
        os.replace(tmp, path)
        self.written += 1
        return f"250 written to {path}"

    def close(self) -> None:
        pass

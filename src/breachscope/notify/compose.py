"""Turning outbox rows into signed messages, in this process or in a pool of worker processes.

DKIM signing with RSA-2048 in dkimpy costs a few milliseconds of CPU per message (pure-Python
modular exponentiation), more than the SMTP exchange itself. With ``sign_workers > 0`` the
sender hands each claimed batch to a process pool and sends message N while the workers sign
N+1, N+2, ... . Composing is a pure function of the row, so it cannot affect what the outbox
records or how a crash is recovered.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

from breachscope.notify.address import normalise
from breachscope.notify.mailer import Outgoing
from breachscope.notify.message import DkimSigner, build_message, serialise
from breachscope.notify.outbox import unpack_body

#: The row columns composing needs (plain values, so they can be sent to a worker process).
FIELDS = (
    "idempotency_key",
    "message_id",
    "subject",
    "body",
    "to_addr",
    "to_name",
    "language",
    "reference",
    "in_reply_to",
)


def _address(raw: str) -> Address:
    name, addr = parseaddr(raw)
    local, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


@dataclass(frozen=True)
class Composer:
    """Everything needed to compose a message besides the row; picklable primitives only."""

    from_address: str
    reply_to: str = ""
    dkim_selector: str = ""
    dkim_domain: str = ""
    dkim_key: bytes = b""

    def __repr__(self) -> str:
        return (
            f"Composer(from={self.from_address!r}, dkim={self.dkim_selector}._domainkey.{self.dkim_domain})"
        )

    def signer(self) -> DkimSigner | None:
        if not self.dkim_key:
            return None
        return DkimSigner(self.dkim_selector, self.dkim_domain, self.dkim_key)

    def compose(self, row: dict[str, Any], date: datetime, signer: DkimSigner | None) -> Outgoing:
        text, html = unpack_body(row["body"])
        from_address = _address(self.from_address)
        to_addr = normalise(row["to_addr"])  # the envelope form: IDN domain as its A-label
        data = build_message(
            subject=row["subject"],
            text=text,
            html=html,
            to_addr=to_addr,
            to_name=row["to_name"],
            from_address=from_address,
            reply_to=_address(self.reply_to) if self.reply_to else None,
            message_id=row["message_id"],
            date=date,
            language=row["language"],
            reference=row["reference"],
            in_reply_to=row.get("in_reply_to"),
        )
        return Outgoing(
            key=row["idempotency_key"],
            message_id=row["message_id"],
            envelope_from=from_address.addr_spec,
            to=to_addr,
            data=serialise(data, signer),
        )


_WORKER: tuple[Composer, DkimSigner | None] | None = None


def _init_worker(composer: Composer) -> None:
    global _WORKER
    _WORKER = (composer, composer.signer())


def _compose_in_worker(args: tuple[dict[str, Any], datetime]) -> Outgoing | str:
    assert _WORKER is not None
    composer, signer = _WORKER
    try:
        return composer.compose(args[0], args[1], signer)
    except (ValueError, TypeError) as exc:
        return f"cannot build the message: {exc}"


class ComposePool:
    """Composes rows in order, locally (``workers == 0``) or in ``workers`` processes."""

    def __init__(self, composer: Composer, workers: int = 0) -> None:
        self.composer = composer
        self.workers = workers
        self._signer = composer.signer() if workers == 0 else None
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            self._pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(composer,))

    def compose(self, rows: Sequence[dict[str, Any]], date: datetime) -> Iterator[Outgoing | str]:
        """One result per row, in order: the message, or why it could not be built."""
        if self._pool is None:
            for row in rows:
                try:
                    yield self.composer.compose(row, date, self._signer)
                except (ValueError, TypeError) as exc:
                    yield f"cannot build the message: {exc}"
            return
        chunk = max(1, len(rows) // (self.workers * 4))
        yield from self._pool.map(_compose_in_worker, [(row, date) for row in rows], chunksize=chunk)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def row_fields(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIELDS}

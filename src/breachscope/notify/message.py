"""Building the email: headers that cannot be injected, text + HTML parts, DKIM signature.

Headers are built with :mod:`email.headerregistry` objects under ``policy.SMTP``; every value
that could come from leaked or directory data is first put on one line (:func:`one_line`), and
the recipient address must be a plain addr-spec, so a name such as ``"Bob\\r\\nBcc: x@evil"``
stays inside the encoded display name and never becomes a header. Bodies are quoted-printable,
so lines stay short and 7-bit and the DKIM body hash survives relays.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from breachscope.notify.safety import one_line

#: A conservative addr-spec: what we agree to send to (no quotes, comments or whitespace).
_ADDR = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)

#: Headers the DKIM signature covers (From is over-signed by dkimpy by default).
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"reply-to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"content-language",
    b"auto-submitted",
)


def valid_address(addr: str) -> bool:
    return bool(_ADDR.match(addr)) and ".." not in addr and not addr.startswith(".")


def message_id_for(idempotency_key: str, domain: str) -> str:
    """A Message-ID derived from the idempotency key: a resent notice has the same one."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<notice.{digest}@{domain}>"


def build_message(
    *,
    subject: str,
    text: str,
    html: str,
    to_addr: str,
    to_name: str,
    from_address: Address,
    reply_to: Address | None,
    message_id: str,
    date: datetime,
    language: str,
    reference: str,
) -> EmailMessage:
    """The notice as a multipart/alternative message; raises ``ValueError`` for a bad address."""
    if not valid_address(to_addr):
        raise ValueError("recipient address is not a plain addr-spec")
    local, _, domain = to_addr.rpartition("@")
    msg = EmailMessage(policy=SMTP)
    msg["From"] = from_address
    msg["To"] = Address(display_name=one_line(to_name, 80), username=local, domain=domain)
    if reply_to is not None:
        msg["Reply-To"] = reply_to
    msg["Subject"] = one_line(subject, 200)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Notice-Reference"] = one_line(reference, 40)
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # after add_alternative: it moves Content-* headers into the first part
    msg["Content-Language"] = one_line(language, 20)
    return msg


class DkimSigner:
    """Signs serialised messages with dkimpy (rsa-sha256, relaxed/relaxed, no ``l=``)."""

    def __init__(self, selector: str, domain: str, private_key: bytes) -> None:
        self.selector = selector.encode()
        self.domain = domain.encode()
        self._key = private_key

    def __repr__(self) -> str:
        return f"DkimSigner(selector={self.selector!r}, domain={self.domain!r}, key=<hidden>)"

    def sign(self, data: bytes) -> bytes:
        import dkim

        present = {
            line.split(b":", 1)[0].strip().lower() for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        }
        headers = [h for h in SIGNED_HEADERS if h in present]
        signature = dkim.sign(
            data,
            self.selector,
            self.domain,
            self._key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=headers,
            length=False,
        )
        return bytes(signature) + data


def serialise(msg: EmailMessage, signer: DkimSigner | None = None) -> bytes:
    """The message as CRLF bytes ready for SMTP DATA, DKIM-signed when a signer is given."""
    data = msg.as_bytes(policy=SMTP)
    return signer.sign(data) if signer is not None else data

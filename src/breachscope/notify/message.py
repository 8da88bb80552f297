"""Building the email: headers that cannot be injected, text + HTML parts, DKIM signature.

Headers are built with :mod:`email.headerregistry` objects under ``policy.SMTP``; every value
that could come from leaked or directory data is first put on one line (:func:`one_line`), and
the recipient address must be a plain addr-spec (:mod:`breachscope.notify.address`: an IDN
domain becomes its A-label), so a name such as ``"Bob\\r\\nBcc: x@evil"`` stays inside the
encoded display name and never becomes a header. A recipient whose local part is not ASCII
(EAI) gets a To header in UTF-8 (RFC 6532, ``utf8=True``): RFC 2047 encoded-words are not
allowed in an addr-spec. Bodies are quoted-printable, so lines stay short and 7-bit and the
DKIM body hash survives relays.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from datetime import datetime
from email.headerregistry import Address
from email.policy import SMTP
from email.utils import format_datetime

from breachscope.notify import address, dkim_rsa
from breachscope.notify.safety import one_line

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
    b"in-reply-to",
    b"references",
)


def valid_address(addr: str) -> bool:
    """Whether we send to ``addr`` (see :func:`breachscope.notify.address.normalise`)."""
    return address.is_valid(addr)


def message_id_for(idempotency_key: str, domain: str) -> str:
    """A Message-ID derived from the idempotency key: a resent notice has the same one."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<notice.{digest}@{domain}>"


#: Lines up to 200 characters (RFC 5322 allows 998): the stdlib folds a subject just over 78
#: characters by breaking right after "Subject:", which some clients show as a leading space.
_POLICY = SMTP.clone(max_line_length=200)
#: RFC 6532 headers (raw UTF-8), only for the To header of a recipient with a Unicode local part.
_POLICY_UTF8 = _POLICY.clone(utf8=True)


def _header(name: str, value: object) -> bytes:
    """One header line (folded, RFC 2047-encoded where needed) by the stdlib's SMTP policy."""
    hname, hvalue = _POLICY.header_store_parse(name, value)
    return str(_POLICY.fold(hname, hvalue)).encode("ascii")


def _utf8_header(name: str, value: object) -> bytes:
    hname, hvalue = _POLICY_UTF8.header_store_parse(name, value)
    return str(_POLICY_UTF8.fold(hname, hvalue)).encode("utf-8")


def _qp(text: str) -> bytes:
    """UTF-8 quoted-printable with CRLF line ends (7-bit, lines <= 76: relay-proof for DKIM)."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return binascii.b2a_qp(normalised.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


_FIXED: dict[tuple[str, str], bytes] = {}


def _fixed_headers(from_address: Address, reply_to: Address | None) -> bytes:
    """From and Reply-To come from the (checked) config: folded once, then reused."""
    key = (str(from_address), str(reply_to or ""))
    out = _FIXED.get(key)
    if out is None:
        out = _header("From", from_address) + (_header("Reply-To", reply_to) if reply_to is not None else b"")
        _FIXED[key] = out
    return out


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
    in_reply_to: str | None = None,
) -> bytes:
    """The notice as multipart/alternative CRLF bytes; raises ``ValueError`` for a bad address.

    ``to_addr`` is normalised first (IDN domain -> A-label); a Unicode local part makes the To
    header UTF-8 (the message then needs SMTPUTF8, see :func:`address.needs_smtputf8`).

    Headers go through the stdlib's header registry (``policy.SMTP``), so values are parsed,
    encoded and folded, never pasted; every varying value is put on one line first. The MIME
    skeleton around them is fixed, which keeps this fast enough for 100,000 notices.
    """
    try:
        to_addr = address.normalise(to_addr)
    except address.InvalidAddress as exc:
        raise ValueError(f"recipient address refused: {exc.reason}") from None
    local, _, domain = to_addr.rpartition("@")
    to_header = _header if to_addr.isascii() else _utf8_header
    boundary = "=_notice_" + hashlib.sha256(message_id.encode()).hexdigest()[:24]
    head = b"".join(
        (
            _fixed_headers(from_address, reply_to),
            to_header("To", Address(display_name=one_line(to_name, 80), username=local, domain=domain)),
            _header("Subject", one_line(subject, 200)),
            b"Date: " + format_datetime(date).encode("ascii") + b"\r\n",
            _header("Message-ID", one_line(message_id, 200)),
            _thread(in_reply_to),
            b"Auto-Submitted: auto-generated\r\n",
            _header("X-Notice-Reference", one_line(reference, 40)),
            _header("Content-Language", one_line(language, 20)),
            b"MIME-Version: 1.0\r\n",
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'.encode("ascii"),
        )
    )
    b = boundary.encode("ascii")
    part = b'Content-Type: text/%s; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    return b"".join(
        (
            head,
            b"\r\n--" + b + b"\r\n",
            part % b"plain",
            _qp(text),
            b"\r\n--" + b + b"\r\n",
            part % b"html",
            _qp(html),
            b"\r\n--" + b + b"--\r\n",
        )
    )


_MSGID = re.compile(r"<[!-;=?-~]{1,190}@[A-Za-z0-9.-]{1,120}>")


def _thread(in_reply_to: str | None) -> bytes:
    """In-Reply-To and References of a follow-up (RFC 5322 3.6.4): the first notice's Message-ID,
    so mail clients show the update under it. Only a well-formed msg-id is written."""
    if not in_reply_to or not _MSGID.fullmatch(in_reply_to):
        return b""
    value = in_reply_to.encode("ascii")
    return b"In-Reply-To: " + value + b"\r\nReferences: " + value + b"\r\n"


class DkimSigner:
    """Signs serialised messages with dkimpy (rsa-sha256, relaxed/relaxed, no ``l=``)."""

    def __init__(self, selector: str, domain: str, private_key: bytes) -> None:
        self.selector = selector.encode()
        self.domain = domain.encode()
        self._key = private_key
        #: the RSA step through OpenSSL when the key is RSA (see notify/dkim_rsa.py), else dkimpy's
        self._rsa_key = dkim_rsa.load_rsa_key(private_key)

    @property
    def private_key(self) -> bytes:
        return self._key

    def __repr__(self) -> str:
        return f"DkimSigner(selector={self.selector!r}, domain={self.domain!r}, key=<hidden>)"

    def sign(self, data: bytes) -> bytes:
        import dkim

        present = {
            line.split(b":", 1)[0].strip().lower() for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        }
        headers = [h for h in SIGNED_HEADERS if h in present]
        if self._rsa_key is not None:
            signer = dkim_rsa.OpenSslDkim(data, self._rsa_key)
            return signer.sign_with_key(self.selector, self.domain, headers) + data
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


def serialise(data: bytes, signer: DkimSigner | None = None) -> bytes:
    """The message ready for SMTP DATA, DKIM-signed when a signer is given."""
    return signer.sign(data) if signer is not None else data

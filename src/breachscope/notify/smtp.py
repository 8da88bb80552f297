"""SMTP delivery with smtplib: one reused connection, STARTTLS or SSL, AUTH, two-phase DATA.

``DATA`` is sent in two steps: the body first, then (after ``before_final_dot()`` has recorded
that the outcome may now be "accepted") the closing ``"."``. A server only takes responsibility
for a message when it has read that dot, so a crash before it can never leave a delivered
message unrecorded. Reply codes map to :class:`TemporaryFailure` (4xx, dropped connections
before the dot), :class:`PermanentFailure` (5xx) and :class:`UnconfirmedDelivery` (connection
lost after the dot, before the reply). A session the server refuses (unreachable, greeting,
STARTTLS or AUTH answered 4xx/5xx) is :class:`ServerUnavailable`: the run stops, no notice is
charged an attempt.

A message to a Unicode local part (EAI) is sent with ``MAIL FROM ... SMTPUTF8`` (RFC 6531) when
the server's EHLO offers it; otherwise it is a permanent failure for that notice ("server does
not support SMTPUTF8"): there is no ASCII form of such an address to fall back to.
"""

from __future__ import annotations

import re
import select
import smtplib
import socket
import ssl
from collections.abc import Callable

from breachscope.notify.config import SmtpSettings
from breachscope.notify.mailer import (
    CUT_AFTER_DOT,
    CUT_BEFORE_DOT,
    DeliveryError,
    Outgoing,
    PermanentFailure,
    ServerUnavailable,
    TemporaryFailure,
    UnconfirmedDelivery,
)

_LEADING_DOT = re.compile(rb"(?m)^\.")


def _reset(exc: BaseException) -> bool:
    """Whether a lost connection was a reset (RST), not an orderly close (FIN), anywhere in the chain."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, ConnectionResetError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _peer_gone(sock: socket.socket | None) -> bool:
    """Whether the server has closed (or spoken on) the connection, without blocking.

    In the middle of DATA a live server says nothing until the final dot. A readable socket
    therefore means EOF, a reset or an unsolicited reply (a 421 before hanging up): the message
    cannot be accepted on this connection. For TLS, bytes that are only a TLS record (a 1.3
    session ticket) are not application data: reading gives SSLWantReadError, the peer is live.
    """
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    if not readable:
        return False
    timeout = sock.gettimeout()
    try:
        if isinstance(sock, ssl.SSLSocket):
            sock.setblocking(False)
            sock.recv(1)  # application data or EOF: either way this DATA is over
        else:
            sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        return True
    except (ssl.SSLWantReadError, BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True
    finally:
        try:
            sock.settimeout(timeout)
        except OSError:
            pass


def _error(code: int, reply: bytes | str) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    if 500 <= code < 600:
        return PermanentFailure(code, text)
    return TemporaryFailure(code, text)


class SmtpMailer:
    """Delivers over one SMTP connection, reconnecting when needed."""

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        local_hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.local_hostname = local_hostname
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._conn: smtplib.SMTP | None = None
        self._count = 0
        self.connections = 0

    def __repr__(self) -> str:
        s = self.settings
        return f"SmtpMailer({s.host}:{s.port}, security={s.security}, user={s.username!r})"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            conn: smtplib.SMTP
            if s.security == "ssl":
                conn = smtplib.SMTP_SSL(
                    s.host,
                    s.port,
                    local_hostname=self.local_hostname,
                    timeout=s.timeout_s,
                    context=self.ssl_context,
                )
            else:
                conn = smtplib.SMTP(s.host, s.port, local_hostname=self.local_hostname, timeout=s.timeout_s)
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=self.ssl_context)
                conn.ehlo()
            if s.username:
                conn.login(s.username, s.password.reveal() if s.password else "")
        # A refused session (greeting, STARTTLS or AUTH answered 4xx/5xx) says nothing about the
        # notice: it stops the run like an unreachable server, instead of bouncing or deferring
        # every notice in turn (and using up their attempts).
        except smtplib.SMTPAuthenticationError as exc:
            raise ServerUnavailable(exc.smtp_code, f"authentication failed: {exc.smtp_error!r}") from exc
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else exc.smtp_error
            )
            raise ServerUnavailable(exc.smtp_code, f"{s.host}:{s.port} refused the session: {text}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(0, f"cannot connect to {s.host}:{s.port}: {exc}") from exc
        if conn.sock is not None:
            # the body and the final "." are two writes: without this, Nagle + delayed ACK
            # stall every message ~40 ms waiting for the reply
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections += 1
        self._count = 0
        return conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def send(self, mail: Outgoing, before_final_dot: Callable[[], None]) -> str:
        if self._conn is not None and self._count >= self.settings.max_per_connection:
            self.close()
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        options = self._options(conn, mail)
        try:
            code, reply = conn.mail(mail.envelope_from, options)
            if code != 250:
                self._reset()
                raise _error(code, reply)
            code, reply = conn.rcpt(mail.to)
            if code not in (250, 251):
                self._reset()
                raise _error(code, reply)
            code, reply = conn.docmd("DATA")
            if code != 354:
                self._reset()
                raise _error(code, reply)
            body = _LEADING_DOT.sub(b"..", mail.data)
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            conn.send(body)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise TemporaryFailure(0, f"{CUT_BEFORE_DOT}: {exc}") from exc
        if _peer_gone(conn.sock):  # the body fit in the socket buffer of a connection already cut
            self._drop()
            raise TemporaryFailure(0, f"{CUT_BEFORE_DOT}: the server closed the connection during DATA")
        try:
            before_final_dot()
        except BaseException:
            self._drop()  # inside DATA: a later QUIT or MAIL would be read as lines of the message
            raise
        try:
            if _peer_gone(conn.sock):
                raise smtplib.SMTPServerDisconnected("the server closed the connection during DATA")
            conn.send(b".\r\n")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # The dot was not written (or the peer had already reset): the server cannot have
            # read it, so it cannot have accepted the message. The sender re-queues it.
            self._drop()
            raise TemporaryFailure(0, f"{CUT_BEFORE_DOT}: {exc}") from exc
        try:
            code, reply = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            if _reset(exc):
                # A reset (RST) means the server closed with data it had not read; the dot was
                # the last thing written, so it was unread: the message cannot have been taken.
                raise TemporaryFailure(0, f"{CUT_BEFORE_DOT}: reset after the dot was written") from exc
            raise UnconfirmedDelivery(0, f"{CUT_AFTER_DOT}: {exc}") from exc
        self._count += 1
        if code != 250:
            raise _error(code, reply)
        return f"{code} {reply.decode('utf-8', 'replace')}"

    @staticmethod
    def _options(conn: smtplib.SMTP, mail: Outgoing) -> tuple[str, ...]:
        """MAIL FROM parameters: SMTPUTF8 (+ BODY=8BITMIME) for a non-ASCII envelope."""
        if mail.to.isascii() and mail.envelope_from.isascii():
            return ()
        if not conn.has_extn("smtputf8"):
            raise PermanentFailure(
                0, "server does not support SMTPUTF8, needed for a non-ASCII (EAI) address; not sent"
            )
        return ("SMTPUTF8", "BODY=8BITMIME") if conn.has_extn("8bitmime") else ("SMTPUTF8",)

    def _reset(self) -> None:
        try:
            if self._conn is not None:
                self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                try:
                    conn.close()
                except OSError:
                    pass

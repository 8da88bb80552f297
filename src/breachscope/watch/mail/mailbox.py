"""Watched mailboxes of the company's "report phishing" address: a Maildir folder or an IMAP folder.

- **Maildir** (``new/`` and ``cur/``): every regular file is read (at most the message budget
  plus one byte: a bigger one is checked as "too large"); nothing in the folder is changed. A
  message checked before (same bytes) is not counted again.
- **IMAP** (stdlib ``imaplib``, ``imap://`` with STARTTLS when offered, or ``imaps://``): the
  folder is opened read-only, messages with a UID above the last one read are fetched with
  ``BODY.PEEK[]`` (they stay unread for people), a message over the budget only up to the budget.
  The folder's ``UIDVALIDITY`` and the last UID are kept in ``mail_mailboxes``; a new
  UIDVALIDITY (the folder was recreated) reads the folder again (the SHA-256 keeps counts right).
  The password comes from ``BREACHSCOPE_IMAP_PASSWORD``, never from the command line or the case.
"""

from __future__ import annotations

import imaplib
import os
import re
import ssl
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from breachscope.errors import BreachscopeError, InputError
from breachscope.inert import terminal_text

PASSWORD_ENV = "BREACHSCOPE_IMAP_PASSWORD"
MAX_MESSAGES = 100_000
_FETCH_UID = re.compile(rb"UID (\d+)")


def maildir_messages(root: Path, max_bytes: int) -> Iterator[tuple[str, bytes]]:
    """(``new/name`` or ``cur/name``, bytes) of every message file, sorted by name."""
    if not (root / "cur").is_dir() and not (root / "new").is_dir():
        raise InputError(
            f"{terminal_text(root)} is not a Maildir (no cur/ or new/ folder)",
            "give the folder that holds cur/, new/ and tmp/",
        )
    count = 0
    for sub in ("new", "cur"):
        folder = root / sub
        if not folder.is_dir():
            continue
        for name in sorted(os.listdir(folder)):
            if name.startswith("."):
                continue
            path = folder / name
            try:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
            except OSError:
                continue  # a symlink, gone meanwhile or unreadable: not a message of this folder
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    continue
                with os.fdopen(fd, "rb", closefd=False) as f:
                    data = f.read(max_bytes + 1)
            finally:
                os.close(fd)
            count += 1
            if count > MAX_MESSAGES:
                return
            yield f"{sub}/{terminal_text(name, 200)}", data


@dataclass(frozen=True)
class ImapTarget:
    host: str
    port: int
    user: str
    folder: str
    tls: str  # ssl | starttls | none

    @property
    def location(self) -> str:
        scheme = "imaps" if self.tls == "ssl" else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def parse_imap_url(url: str, folder: str | None, *, allow_plain: bool = False) -> ImapTarget:
    """``imap[s]://user@host[:port]`` (+ ``--folder``) -> target; a password in the URL is refused."""
    try:
        parts = urlsplit(url.strip())
        port_given = parts.port
    except ValueError:
        raise InputError(
            f"IMAP URL {terminal_text(url, 80)!r} is not valid", "imaps://user@host:993"
        ) from None
    if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
        raise InputError(
            f"IMAP URL {terminal_text(url, 80)!r} needs imap:// or imaps://, a user and a host",
            "for example imaps://report-phishing@mail.example.com",
        )
    if parts.password:
        raise InputError(
            "the IMAP URL contains a password", f"remove it and set {PASSWORD_ENV} in the environment instead"
        )
    tls = "ssl" if parts.scheme == "imaps" else ("none" if allow_plain else "starttls")
    box = folder or unquote(parts.path.lstrip("/")) or "INBOX"
    if any(ord(ch) < 32 for ch in box) or len(box) > 200:
        raise InputError("the IMAP folder name has control characters or is too long")
    return ImapTarget(
        parts.hostname, port_given or (993 if tls == "ssl" else 143), unquote(parts.username), box, tls
    )


class ImapReader:
    """One read-only session on one folder."""

    def __init__(self, target: ImapTarget, password: str | None, timeout: float = 30.0) -> None:
        if not password:
            raise InputError("no IMAP password", f"set {PASSWORD_ENV} in the environment")
        self.target = target
        try:
            if target.tls == "ssl":
                self.imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    target.host, target.port, ssl_context=ssl.create_default_context(), timeout=timeout
                )
            else:
                self.imap = imaplib.IMAP4(target.host, target.port, timeout=timeout)
                if target.tls == "starttls":
                    self.imap.starttls(ssl.create_default_context())
            self.imap.login(target.user, password)
            typ, data = self.imap.select(self._quoted(target.folder), readonly=True)
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            raise BreachscopeError(
                f"IMAP {target.host}:{target.port}: {terminal_text(exc, 160)}",
                "check the URL, the folder and the password (BREACHSCOPE_IMAP_PASSWORD)",
            ) from None
        if typ != "OK":
            raise BreachscopeError(
                f"IMAP folder {terminal_text(target.folder)!r} cannot be opened: {data!r:.100}"
            )
        validity = self.imap.response("UIDVALIDITY")[1]
        self.uidvalidity = int(validity[0]) if validity and validity[0] else None

    @staticmethod
    def _quoted(folder: str) -> str:
        return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def uids_after(self, last_uid: int) -> list[int]:
        typ, data = self.imap.uid("SEARCH", f"UID {last_uid + 1}:*")
        if typ != "OK":
            raise BreachscopeError(f"IMAP search failed: {terminal_text(data, 100)}")
        uids = sorted(int(x) for x in (data[0] or b"").split() if x.isdigit())
        return [u for u in uids if u > last_uid][:MAX_MESSAGES]  # "N:*" always returns the last one

    def fetch(self, uid: int, max_bytes: int) -> bytes | None:
        typ, data = self.imap.uid("FETCH", str(uid), "(RFC822.SIZE)")
        size = None
        if typ == "OK" and data and isinstance(data[0], bytes):
            m = re.search(rb"RFC822\.SIZE (\d+)", data[0])
            size = int(m.group(1)) if m else None
        part = "BODY.PEEK[]" if size is not None and size <= max_bytes else f"BODY.PEEK[]<0.{max_bytes + 1}>"
        typ, data = self.imap.uid("FETCH", str(uid), f"({part})")
        if typ != "OK":
            return None
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def close(self) -> None:
        try:
            self.imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass

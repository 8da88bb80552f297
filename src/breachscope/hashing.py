"""Keyed hashes and masked previews: how breachscope refers to a leaked value without storing it.

A finding or an exposure never stores the raw leaked value. It stores
``keyed_hash(key, value)`` (HMAC-SHA256, hex, truncated to 32 chars) so that the same value can
be recognised again by whoever holds the case key, and ``mask(value)`` for people to read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from pathlib import Path

KEY_BYTES = 32


def new_key() -> bytes:
    """A fresh random key for one scan or one case."""
    return secrets.token_bytes(KEY_BYTES)


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 of the UTF-8 value under ``key``; 128 bits in hex."""
    return hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def mask(value: str, keep: int = 2) -> str:
    """A preview that shows the shape but not the value.

    Keeps at most ``keep`` leading and trailing characters (fewer for short values), keeps an
    email's domain's top level, replaces the rest with ``*`` and never returns more than 24
    characters. Control characters are shown as ``?`` so a preview is always one safe line.
    """
    v = "".join(ch if ch.isprintable() else "?" for ch in value.strip())
    if not v:
        return ""
    if "@" in v and v.count("@") == 1:
        local, domain = v.split("@")
        tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
        head = local[:1] if local else ""
        return f"{head}***@***" + (f".{tld[:6]}" if tld else "")
    n = len(v)
    k = min(keep, max(0, (n - 2) // 4))
    middle = min(n - 2 * k, 24 - 2 * k)
    return v[:k] + "*" * max(middle, 1) + (v[n - k :] if k else "")


class FileDigest:
    """The SHA-256 of a regular file on disk, computed in a background thread from creation on
    (``hashlib`` releases the GIL while it hashes); ``result()`` waits for it. None for anything
    that is not a regular file (a FIFO is never read twice) or cannot be read.

    The scan report carries each input file's digest; the CLI starts it before it imports the
    scan stage, so a large file is hashed on the second core during start-up."""

    def __init__(self, path: Path | None) -> None:
        self.value: str | None = None
        self._thread: threading.Thread | None = None
        if path is not None and path.is_file():
            self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
            self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            with path.open("rb") as fh:
                self.value = hashlib.file_digest(fh, "sha256").hexdigest()
        except OSError:
            self.value = None

    @classmethod
    def known(cls, value: str) -> FileDigest:
        """A digest the caller has already computed (``case attach`` hashes the file first, to
        refuse one attached before): nothing is hashed again."""
        done = cls(None)
        done.value = value
        return done

    def result(self) -> str | None:
        if self._thread is not None:
            self._thread.join()
        return self.value

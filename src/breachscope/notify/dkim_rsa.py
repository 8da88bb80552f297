"""The RSA step of DKIM signing through OpenSSL, everything else through dkimpy.

dkimpy canonicalises, hashes and builds the ``DKIM-Signature`` header, then computes the
RSASSA-PKCS1-v1_5 signature with Python's ``pow`` on 1024-bit numbers: about 6 ms of CPU per
message for a 2048-bit key, which caps a signing sender near 150 messages/s per core. The
``cryptography`` package (OpenSSL) does the same operation in well under a millisecond.

:func:`register` hands one private key to OpenSSL. dkimpy looks up its module-level
``RSASSA_PKCS1_v1_5_sign`` at call time; :func:`install` puts a dispatcher there that signs
with OpenSSL when the key's modulus is a registered one and the digest is SHA-256, and
otherwise calls dkimpy's own function unchanged. The output is byte-for-byte the same signature
(PKCS#1 v1.5 is deterministic), which the tests check against dkimpy's own signer and verifier.
dkimpy also parses the PEM key (base64 + ASN.1 in Python) on every call; a registered key is
parsed once, by dkimpy's own parser, and the result reused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

_KEYS: dict[int, rsa.RSAPrivateKey] = {}
_PARSED: dict[bytes, Any] = {}  # registered PEM -> dkimpy's parsed key (it re-parses every call)
_LOCK = threading.Lock()
_original: Callable[[Any, dict[str, int]], bytes] | None = None
_original_parse: Callable[[bytes], Any] | None = None


def _dispatch(hash_obj: Any, private_key: dict[str, int]) -> bytes:
    key = _KEYS.get(private_key.get("modulus", 0))
    if key is not None and getattr(hash_obj, "name", "") == "sha256":
        return key.sign(hash_obj.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    assert _original is not None
    return _original(hash_obj, private_key)


def _parse(pem: bytes) -> Any:
    parsed = _PARSED.get(pem)
    if parsed is not None:
        return parsed
    assert _original_parse is not None
    return _original_parse(pem)


def install() -> None:
    """Put the dispatcher in front of dkimpy's RSA signing, and a cache in front of its PEM
    parser for registered keys (idempotent)."""
    global _original, _original_parse
    import dkim

    with _LOCK:
        if _original is None:
            _original = dkim.RSASSA_PKCS1_v1_5_sign
            dkim.RSASSA_PKCS1_v1_5_sign = _dispatch
        if _original_parse is None:
            _original_parse = dkim.parse_pem_private_key
            dkim.parse_pem_private_key = _parse


def register(pem: bytes) -> bool:
    """Let OpenSSL sign for this PEM private key. False if it is not an RSA key OpenSSL reads."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        return False
    if not isinstance(key, rsa.RSAPrivateKey):
        return False
    install()
    assert _original_parse is not None
    parsed = _original_parse(pem)  # dkimpy's own parse, once: the same dict it would build per call
    with _LOCK:
        _KEYS[key.private_numbers().public_numbers.n] = key
        _PARSED[pem] = parsed
    return True

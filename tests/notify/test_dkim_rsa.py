"""The OpenSSL RSA step gives the same DKIM signature as dkimpy's own, and it verifies."""

from __future__ import annotations

import base64
import hashlib

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from breachscope.notify import dkim_rsa
from breachscope.notify.message import DkimSigner

MESSAGE = (
    b"From: Example Security <security@example.com>\r\n"
    b"To: someone@example.org\r\n"
    b"Subject: About the analytics vendor incident\r\n"
    b"Date: Wed, 25 Nov 2026 19:00:00 +0000\r\n"
    b"Message-ID: <abc@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + b"Your name and email address were exposed.\r\n" * 20
)


def _rsa_pem(bits: int = 2048) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


@pytest.mark.parametrize("bits", [1024, 2048])
def test_openssl_signature_equals_dkimpy_signature_and_verifies(bits: int) -> None:
    pem, txt = _rsa_pem(bits)
    signed = DkimSigner("sel", "example.com", pem).sign(MESSAGE)
    assert dkim.RSASSA_PKCS1_v1_5_sign is dkim_rsa._dispatch
    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: txt)
    # PKCS#1 v1.5 is deterministic: OpenSSL's bytes equal dkimpy's pure-Python bytes.
    pk = dkim.crypto.parse_pem_private_key(pem)
    assert pk["modulus"] in dkim_rsa._KEYS  # the OpenSSL path, not the fallback
    assert dkim_rsa._original is not None
    for data in (b"", b"header data", MESSAGE):
        assert dkim_rsa._dispatch(hashlib.sha256(data), pk) == dkim_rsa._original(hashlib.sha256(data), pk)


def test_unregistered_key_still_signs_through_dkimpy() -> None:
    registered, _ = _rsa_pem()
    DkimSigner("sel", "example.com", registered)
    other, txt = _rsa_pem()  # never registered: the dispatcher must fall back to dkimpy
    signed = bytes(dkim.sign(MESSAGE, b"sel", b"example.com", other)) + MESSAGE
    assert dkim.verify(signed, dnsfunc=lambda name, timeout=5: txt)


def test_non_rsa_or_garbage_keys_are_not_registered() -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert dkim_rsa.register(ec_pem) is False
    assert dkim_rsa.register(b"not a key") is False


def test_registered_key_is_parsed_once_and_signatures_are_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    pem, txt = _rsa_pem()
    signer = DkimSigner("sel", "example.com", pem)
    assert dkim.parse_pem_private_key is dkim_rsa._parse
    calls: list[bytes] = []
    original = dkim_rsa._original_parse
    assert original is not None
    monkeypatch.setattr(dkim_rsa, "_original_parse", lambda p: calls.append(p) or original(p))
    first, second = signer.sign(MESSAGE), signer.sign(MESSAGE)
    assert calls == []  # the cached parse, not base64 + ASN.1 per message
    assert first == second and dkim.verify(first, dnsfunc=lambda name, timeout=5: txt)
    assert dkim_rsa._PARSED[pem] == dkim.crypto.parse_pem_private_key(pem)  # dkimpy's own parse
    other, _ = _rsa_pem()  # an unregistered key still goes through dkimpy's parser
    dkim.sign(MESSAGE, b"sel", b"example.com", other)
    assert calls == [other]

"""The OpenSSL RSA step gives the same DKIM signature as dkimpy's own, and it verifies."""

from __future__ import annotations

import base64

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from breachscope.notify import dkim_rsa
from breachscope.notify.message import SIGNED_HEADERS, DkimSigner

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


def _dkimpy_signed(pem: bytes, message: bytes = MESSAGE) -> bytes:
    """The same message signed by dkimpy alone (pure-Python RSA), as the reference."""
    present = {line.split(b":", 1)[0].lower() for line in message.split(b"\r\n\r\n", 1)[0].split(b"\r\n")}
    headers = [h for h in SIGNED_HEADERS if h in present]
    sig = dkim.sign(
        message, b"sel", b"example.com", pem, canonicalize=(b"relaxed", b"relaxed"), include_headers=headers
    )
    return bytes(sig) + message


@pytest.mark.parametrize("bits", [1024, 2048])
def test_openssl_signature_equals_dkimpy_signature_and_verifies(bits: int) -> None:
    pem, txt = _rsa_pem(bits)
    signer = DkimSigner("sel", "example.com", pem)
    for _ in range(3):  # t= is in whole seconds: retry if the clock ticked between the two
        ours, reference = signer.sign(MESSAGE), _dkimpy_signed(pem)
        if ours == reference:
            break
    assert ours == reference  # PKCS#1 v1.5 is deterministic: OpenSSL's bytes are dkimpy's bytes
    assert dkim.verify(ours, dnsfunc=lambda name, timeout=5: txt)


def test_signing_leaves_dkimpy_unpatched() -> None:
    pem, txt = _rsa_pem()
    DkimSigner("sel", "example.com", pem).sign(MESSAGE)
    assert dkim.RSASSA_PKCS1_v1_5_sign is dkim.crypto.RSASSA_PKCS1_v1_5_sign
    assert dkim.parse_pem_private_key is dkim.crypto.parse_pem_private_key
    other, other_txt = _rsa_pem()  # any other key still signs and verifies through dkimpy alone
    assert dkim.verify(_dkimpy_signed(other), dnsfunc=lambda name, timeout=5: other_txt)


def test_only_rsa_keys_go_to_openssl() -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert dkim_rsa.load_rsa_key(ec_pem) is None
    assert dkim_rsa.load_rsa_key(b"not a key") is None
    assert dkim_rsa.load_rsa_key(_rsa_pem()[0]) is not None


def test_the_from_header_must_be_signed() -> None:
    key = dkim_rsa.load_rsa_key(_rsa_pem()[0])
    assert key is not None
    with pytest.raises(dkim.ParameterError):
        dkim_rsa.OpenSslDkim(MESSAGE, key).sign_with_key(b"sel", b"example.com", [b"to", b"subject"])

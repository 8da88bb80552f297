"""DKIM signing with the RSA step through OpenSSL: dkimpy builds the header, OpenSSL signs.

dkimpy canonicalises, hashes and builds the ``DKIM-Signature`` header, then computes the
RSASSA-PKCS1-v1_5 signature with Python's ``pow`` on 1024-bit numbers (about 6 ms of CPU per
message for a 2048-bit key) after parsing the PEM key in Python on every call. The
``cryptography`` package (OpenSSL) does the same operation in well under a millisecond.

:class:`OpenSslDkim` is a dkimpy signer whose RSA step is the private key it is given: nothing
in dkimpy is patched and no key is kept anywhere but in the signer that holds it. Its header
building is dkimpy's ``DKIM.sign`` / ``DomainSigner.gen_header`` for ``rsa-sha256`` with the
signature computed by the key passed in. PKCS#1 v1.5 is deterministic, so the output is byte for
byte what dkimpy's own signer produces; the tests check it against dkimpy's signer and verifier.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence

import dkim
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils


def load_rsa_key(pem: bytes) -> rsa.RSAPrivateKey | None:
    """The PEM's RSA private key as OpenSSL reads it; None for other or unreadable keys."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, rsa.RSAPrivateKey) else None


class OpenSslDkim(dkim.DKIM):  # type: ignore[misc]  # dkimpy is untyped
    """One message's ``rsa-sha256`` DKIM signature, signed by ``key`` (OpenSSL)."""

    def __init__(self, message: bytes, key: rsa.RSAPrivateKey) -> None:
        super().__init__(message, signature_algorithm=b"rsa-sha256")
        self._rsa_key = key

    def sign_with_key(
        self,
        selector: bytes,
        domain: bytes,
        include_headers: Sequence[bytes],
        canonicalize: tuple[bytes, bytes] = (b"relaxed", b"relaxed"),
    ) -> bytes:
        """The ``DKIM-Signature:`` header line (``\\r\\n``-terminated), as ``dkim.sign`` returns
        it for the same key with ``length=False`` and no identity."""
        canon_policy = dkim.CanonicalizationPolicy.from_c_value(b"/".join(canonicalize))
        include = tuple(x.lower() for x in include_headers)
        self.include_headers = include
        if b"from" not in include:
            raise dkim.ParameterError("The From header field MUST be signed")
        for x in set(include).intersection(self.should_not_sign):
            raise dkim.ParameterError(f"The {x!r} header field SHOULD NOT be signed")
        body = canon_policy.canonicalize_body(self.body)
        self.hasher = dkim.HASH_ALGORITHMS[self.signature_algorithm]
        bodyhash = base64.b64encode(self.hasher(body).digest())
        sigfields = [
            (b"v", b"1"),
            (b"a", self.signature_algorithm),
            (b"c", canon_policy.to_c_value()),
            (b"d", domain),
            (b"i", b"@" + domain),
            (b"q", b"dns/txt"),
            (b"s", selector),
            (b"t", str(int(time.time())).encode("ascii")),
            (b"h", b" : ".join(include)),
            (b"bh", bodyhash),
            (b"b", b"0" * 60),  # forces b= onto its own line, as dkimpy does
        ]
        res = self.gen_header(sigfields, include, canon_policy, b"DKIM-Signature", None)
        self.domain, self.selector, self.signature_fields = domain, selector, dict(sigfields)
        return b"DKIM-Signature: " + bytes(res)

    def gen_header(
        self,
        fields: list[tuple[bytes, bytes]],
        include_headers: tuple[bytes, ...],
        canon_policy: object,
        header_name: bytes,
        pk: object,
        standardize: bool = False,
    ) -> bytes:
        """dkimpy's ``gen_header`` for ``rsa-sha256``, the signature made by :attr:`_rsa_key`."""
        header_value = b"; ".join(b"=".join(x) for x in fields)
        header_value = dkim.fold(header_value, namelen=len(header_name), linesep=b"\r\n")
        header_value = dkim.RE_BTAG.sub(b"\\1", header_value)
        header = (header_name, b" " + header_value)
        h = dkim.HashThrough(self.hasher(), self.debug_content)
        headers = canon_policy.canonicalize_headers(self.headers)  # type: ignore[attr-defined]
        self.signed_headers = dkim.hash_headers(
            h, canon_policy, headers, include_headers, header, dict(fields)
        )
        sig = self._rsa_key.sign(h.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        idx = [i for i in range(len(fields)) if fields[i][0] == b"b"][0]
        fields[idx] = (b"b", base64.b64encode(sig))
        header_value = b"; ".join(b"=".join(x) for x in fields) + self.linesep
        return bytes(dkim.fold(header_value, namelen=len(header_name), linesep=self.linesep))

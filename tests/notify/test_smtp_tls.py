"""SMTP delivery over STARTTLS and implicit TLS with AUTH, against aiosmtpd with a test certificate."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from breachscope.notify.config import Secret, SmtpSettings
from breachscope.notify.mailer import Outgoing, ServerUnavailable

from .conftest import Recorder, free_port


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(crt),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"notices",
        b"s3cret",
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture(params=["starttls", "ssl"])
def tls_server(
    request: pytest.FixtureRequest, cert: tuple[Path, Path]
) -> Iterator[tuple[str, int, Recorder]]:
    crt, key = cert
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(crt, key)
    recorder = Recorder()
    port = free_port()
    kwargs: dict[str, Any] = {
        "authenticator": _auth,
        "auth_require_tls": True,
        "auth_exclude_mechanism": ["LOGIN"],
    }
    if request.param == "starttls":
        kwargs.update(tls_context=server_ctx, require_starttls=True)
    else:
        kwargs.update(ssl_context=server_ctx, auth_require_tls=False)  # aiosmtpd cannot tell implicit TLS
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield request.param, port, recorder
    finally:
        controller.stop()


MAIL = Outgoing(
    "1:user:u1", "<m@example.com>", "security@example.com", "u1@example.org", b"Subject: x\r\n\r\nhello\r\n"
)


@pytest.mark.parametrize(("password", "ok"), [("s3cret", True), ("wrong", False)])
def test_tls_and_auth(
    tls_server: tuple[str, int, Recorder], cert: tuple[Path, Path], password: str, ok: bool
) -> None:
    from breachscope.notify.smtp import SmtpMailer

    security, port, recorder = tls_server
    settings = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security=security,
        username="notices",
        password=Secret(password),  # type: ignore[arg-type]
    )
    mailer = SmtpMailer(settings, ssl_context=ssl.create_default_context(cafile=str(cert[0])))
    assert "s3cret" not in repr(mailer) and "s3cret" not in repr(settings)
    if ok:
        for _ in range(3):
            mailer.send(MAIL, lambda: None)
        mailer.close()
        assert len(recorder.messages) == 3 and mailer.connections == 1
    else:
        with pytest.raises(ServerUnavailable, match="authentication failed"):
            mailer.send(MAIL, lambda: None)
        assert recorder.messages == []

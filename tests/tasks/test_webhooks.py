"""webhooks.post_json against a real local HTTP receiver: delivery, retries, timeouts, no secrets."""

from __future__ import annotations

import socket

import pytest

from breachscope.errors import InputError
from breachscope.webhooks import check_url, post_json, redact_url
from tests.tasks.receiver import receiver

SECRET = "s3cr3tT0ken"


def _no_sleep(_: float) -> None:
    pass


@pytest.mark.parametrize(
    ("script", "ok", "tries", "statuses"),
    [
        ([200], True, 1, [200]),
        ([204], True, 1, [204]),
        ([500, 503, 200], True, 3, [500, 503, 200]),
        ([(429, {"Retry-After": "0"}), 200], True, 2, [429, 200]),
        ([500], False, 3, [500, 500, 500]),
        ([404], False, 1, [404]),  # a client error is not retried
        ([(302, {"Location": "http://127.0.0.1:9/elsewhere"})], False, 1, [302]),  # redirects not followed
    ],
)
def test_post_json_answers(script: list[object], ok: bool, tries: int, statuses: list[int]) -> None:
    with receiver(script) as r:
        result = post_json(r.url, {"text": "hello"}, attempts=3, sleep=_no_sleep)
        assert result.ok is ok
        assert [a.status for a in result.tries] == statuses and result.attempts == tries
        assert len(r.requests) == tries
        assert r.bodies()[0] == {"text": "hello"}
        assert r.requests[0]["headers"]["Content-Type"].startswith("application/json")
    assert (
        SECRET not in str(result.to_dict())
        and result.target == f"http://127.0.0.1:{r.url.split(':')[2].split('/')[0]}/…"
    )


def test_timeouts_and_refused_connections_are_retried_and_reported() -> None:
    with receiver([("sleep", 1.0), 200]) as r:
        result = post_json(r.url, {"text": "x"}, timeout=0.3, attempts=2, sleep=_no_sleep)
        assert [a.status for a in result.tries] == [None, 200] and "timed out" in result.tries[0].error
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook/{SECRET}"
    waits: list[float] = []
    result = post_json(url, {"text": "x"}, attempts=3, backoff=0.5, sleep=waits.append)
    assert not result.ok and result.attempts == 3 and waits == [0.5, 1.0]
    assert SECRET not in str(result.to_dict())


def test_urls_are_checked_and_redacted() -> None:
    assert redact_url(f"https://hooks.slack.com/services/T0/B0/{SECRET}") == "https://hooks.slack.com/…"
    for bad in ("ftp://x.org/a", "file:///etc/passwd", "not a url", "http://"):
        assert not post_json(bad, {}).ok
        with pytest.raises(InputError):
            check_url(bad)

"""Attack: bodies read whole into memory are capped (web/limits.py), before anyone signs in.

Found by the attacker review: one anonymous ``POST /api/v1/auth/login`` with a 300 MB JSON body
held ~2 GB of server memory for minutes (and the 422 echoed it back); an anonymous 200 MB form
to any gated route was parsed whole by the gate's CSRF-field lookup before the 401. Now every
non-upload body past 1 MiB is refused with 413 (declared or chunked), with the security headers;
the streamed uploads keep their own cap and still meet the gate first.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from breachscope.web.limits import MAX_BODY_BYTES
from tests.web.server import TeamServer

OVER = MAX_BODY_BYTES + 64 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
RAW = "application/octet-stream"
TIMELINE = "/api/v1/incidents/{mine}/timeline"
UPLOAD = "/api/v1/incidents/{mine}/datasets?file_name=a.csv"


def _json_body(n: int) -> bytes:
    return b'{"email":"a@b.example","password":"' + b"x" * n + b'"}'


def _form_body(n: int) -> bytes:
    return b"email=a%40b.example&password=" + b"x" * n


def _chunked(data: bytes) -> Iterator[bytes]:
    for i in range(0, len(data), 64 * 1024):
        yield data[i : i + 64 * 1024]


# (what, path ({mine} = an incident id), content type, body, chunked, expected status)
CASES = [
    ("login JSON, declared length", "/api/v1/auth/login", JSON, _json_body(OVER), False, 413),
    ("login JSON, chunked", "/api/v1/auth/login", JSON, _json_body(OVER), True, 413),
    ("console sign-in form", "/sign-in", FORM, _form_body(OVER), False, 413),
    ("gated route, form read by the gate", TIMELINE, FORM, _form_body(OVER), False, 413),
    ("gated route, chunked form", TIMELINE, FORM, _form_body(OVER), True, 413),
    ("public notice check", "/check", FORM, b"reference=" + b"x" * OVER, False, 413),
    ("login JSON as octet-stream", "/api/v1/auth/login", RAW, _json_body(OVER), False, 413),
    # the streamed upload is not cut here (its own cap), and the gate still answers first
    ("dataset upload, anonymous", UPLOAD, RAW, b"x" * OVER, False, 401),
    # under the cap: the request goes on to its ordinary answer
    ("login under the cap", "/api/v1/auth/login", JSON, _json_body(MAX_BODY_BYTES // 2), False, 422),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "path", "ctype", "body", "chunked", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_bodies_are_capped_before_sign_in(
    team: TeamServer, what: str, path: str, ctype: str, body: bytes, chunked: bool, expected: int
) -> None:
    client = team.client()
    content = _chunked(body) if chunked else body
    answer = client.post(path.format(mine=team.mine), content=content, headers={"content-type": ctype})
    assert answer.status_code == expected, (what, answer.status_code, answer.text[:200])
    assert "content-security-policy" in answer.headers
    if expected == 413:
        assert "limited" in answer.text
        assert b"xxxxxxxx" not in answer.content  # the body is not echoed back

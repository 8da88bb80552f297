"""Property tests: no payload or capture, however mangled, makes the HAR path raise.

Derandomized by default (CI cannot flake); ``BREACHSCOPE_FUZZ_EXAMPLES=2000`` runs more, random.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from breachscope.errors import InputError
from breachscope.inventory.decode import DecodeLimits, decode_request
from breachscope.inventory.har import HarLimits, read_har
from breachscope.inventory.observe import classify

EXAMPLES = int(os.environ.get("BREACHSCOPE_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="BREACHSCOPE_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
    database=None,
)
SMALL = DecodeLimits(max_depth=8, max_fields=50, max_messages=20, max_layers=3, max_body_bytes=4096)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


def _wrap(kind: int, raw: bytes) -> bytes:
    if kind == 1:
        return gzip.compress(raw)
    if kind == 2:
        return b"data=" + base64.b64encode(raw)
    if kind == 3:
        return base64.urlsafe_b64encode(gzip.compress(raw))[:-3]  # truncated
    if kind == 4:
        return raw[: len(raw) // 2]
    return raw


@FUZZ
@given(
    value=json_values,
    junk=st.binary(max_size=200),
    kind=st.integers(0, 4),
    query=st.lists(st.tuples(st.text(max_size=6), st.text(max_size=30)), max_size=4),
    mime=st.sampled_from(["", "application/json", "application/x-www-form-urlencoded", "text/plain"]),
)
def test_decode_never_raises(
    value: Any, junk: bytes, kind: int, query: list[tuple[str, str]], mime: str
) -> None:
    for raw in (json.dumps(value).encode(), junk):
        out = decode_request(query, _wrap(kind, raw), mime, SMALL)
        assert all(len(m) <= SMALL.max_fields for m in out.messages)


har_entries = st.lists(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "request": st.fixed_dictionaries(
                    {
                        "url": st.sampled_from(
                            [
                                "https://api.segment.io/v1/t",
                                "https://api-js.mixpanel.com/track/",
                                "https://x.example/p.gif?a=1",
                                "::",
                                5,
                            ]
                        ),
                        "postData": st.one_of(
                            json_values,
                            st.fixed_dictionaries(
                                {
                                    "text": st.one_of(st.text(max_size=60), json_values),
                                    "encoding": st.sampled_from(["", "base64", 3]),
                                }
                            ),
                        ),
                        "headers": st.one_of(
                            json_values, st.just([{"name": "Referer", "value": "https://shop.example.com/"}])
                        ),
                    }
                ),
                "response": json_values,
                "pageref": json_values,
            }
        ),
    ),
    max_size=6,
)


@FUZZ
@given(entries=har_entries, pages=json_values)
def test_read_har_never_raises_on_content(tmp_path_factory: Any, entries: list[Any], pages: Any) -> None:
    path = Path(tmp_path_factory.mktemp("har")) / "x.har"
    path.write_text(json.dumps({"log": {"pages": pages, "entries": entries}}))
    try:
        cap = read_har(path, HarLimits(decode=SMALL))
    except InputError:  # only for a file that is not a HAR at all
        return
    classify(cap)

"""The hostile-input corpus uploaded through the API: the same readers and budgets as the CLI.

Every crafted file (tests/readers/hostile_corpus.py, small sizes) goes up as a dataset upload;
each attach job ends ``done`` (with the read issues reported: an incomplete read is flagged,
never "clean") or ``failed`` with a message, never an internal error, and the server keeps
answering. Special files (FIFOs, /dev/zero) cannot be uploaded and are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from breachscope.clock import FixedClock
from tests.readers.hostile_corpus import CASES
from tests.web.server import TeamServer, team_server, upload, wait_job

#: One or more per format family (text/CSV, JSON lines, JSON, Avro, xlsx) of the cases that take
#: under 2 s here; the whole corpus runs through the CLI (tests/readers, ``make corpus``), and
#: an upload ends in the same ``attach_file`` call.
THROUGH_API = {
    "utf32_bom",
    "jsonl_one_deep_line",
    "jsonl_deep_20000",
    "jsonl_deep_first_line",
    "json_deep_document",
    "avro_recursive",
    "avro_array_of_null",
    "avro_many_empty_records",
    "xlsx_formulas",
}
FILES = [c for c in CASES if c.name in THROUGH_API]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'case.db'}"
    with team_server(url, FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))) as server:
        yield server


@pytest.mark.parametrize("case", FILES, ids=[c.name for c in FILES])
def test_hostile_upload(served: TeamServer, case: object, tmp_path: Path) -> None:
    path = case.make(tmp_path, False)  # type: ignore[attr-defined]
    r = served.session("responder")
    answer = upload(r, f"/api/v1/incidents/{served.mine}/datasets", path.read_bytes(), file_name=path.name)
    assert answer.status_code == 202, answer.text
    job = wait_job(r, served.mine, answer.json()["id"])
    assert job["state"] in ("done", "failed"), job
    if job["state"] == "failed":
        assert "internal error" not in job["error"], job["error"]
    else:
        result = job["result"]
        if case.kinds:  # type: ignore[attr-defined]
            assert result["issues"] > 0 or not result["complete"], result
    assert r.get("/api/v1/health").status_code == 200

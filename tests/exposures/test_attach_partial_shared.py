"""A batch-by-batch attach that is cut short removes the people first seen in it; a person
another attach found again in it meanwhile (merged into its row) stays, first seen there."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.models import Dataset, DatasetPerson, Exposure
from breachscope.clock import FixedClock
from breachscope.exposures.attach import AttachResult, attach_file
from breachscope.hashing import keyed_hash


class Stop(BaseException):
    """Cuts the first attach short, as Ctrl-C would (a reader reports an ``Exception`` from its
    progress as an unreadable part and reads on)."""


class AttachMeanwhile:
    """A progress that, once the first attach has committed people, attaches ``other`` (a
    second file of the incident, as a second job or a CLI attach would) and then stops the first."""

    def __init__(self, engine: Engine, incident_id: int, other: Path, clock: FixedClock, batch: bool) -> None:
        self.engine, self.incident_id, self.other, self.clock, self.batch = (
            engine,
            incident_id,
            other,
            clock,
            batch,
        )
        self.extracting = False
        self.result: AttachResult | None = None

    def start(self, description: str, total: float | None = None) -> None:
        self.extracting = description.startswith("Extracting")

    def advance(self, amount: float = 1) -> None:
        if not self.extracting or self.result is not None:
            return
        with session_scope(self.engine) as s:
            stored = s.scalar(
                select(func.count())
                .select_from(Exposure)
                .join(Dataset, Dataset.id == Exposure.dataset_id)
                .where(Dataset.attaching.is_(True))
            )
        if not stored:
            return
        self.result = attach_file(
            self.engine, self.incident_id, self.other, clock=self.clock, commit_every_batch=self.batch
        )
        raise Stop

    def finish(self) -> None:
        pass


@pytest.mark.parametrize("second_batch_by_batch", [False, True])
def test_people_another_attach_found_in_a_cut_short_one_are_kept(
    engine: Engine, clock: FixedClock, tmp_path: Path, second_batch_by_batch: bool
) -> None:
    first = tmp_path / "first.parquet"  # a row group a batch: progress between the batches
    people = pa.table({"$email": [f"p{i}@example.com" for i in range(400)]})
    pq.write_table(people, first, row_group_size=50)
    second = tmp_path / "second.csv"
    second.write_text('"$email","$city"\n"p0@example.com","Oslo"\n"q@example.com","Oslo"\n')
    with session_scope(engine) as s:
        iid = api.create_incident(s, "leak", clock=clock).id
    meanwhile = AttachMeanwhile(engine, iid, second, clock, second_batch_by_batch)
    with pytest.raises(Stop):
        attach_file(
            engine, iid, first, clock=clock, batch_rows=50, commit_every_batch=True, progress=meanwhile
        )
    assert meanwhile.result is not None and meanwhile.result.exposures == 2
    with session_scope(engine) as s:
        key = api.case_key(s, iid)
        datasets = api.list_datasets(s, iid, attaching=True)
        people = {e.person_key_hash: e for e in api.get_exposures(s, iid)}
        again = s.scalars(select(DatasetPerson.exposure_id)).all()
    assert [d.id for d in datasets] == [meanwhile.result.dataset_id]  # the cut-short one is gone
    assert sorted(people) == sorted(
        keyed_hash(key, f"email:{e}") for e in ("p0@example.com", "q@example.com")
    )
    assert {e.dataset_id for e in people.values()} == {meanwhile.result.dataset_id}
    assert datasets[0].exposures == 2  # now both first seen in the second file
    assert again == []  # no follow-up row points at a removed or self-first-seen person
    with session_scope(engine) as s:
        events = [e.message for e in api.timeline(s, iid)]
        said = [m for m in events if m.startswith("Attach of first")]
    # a batch-by-batch attach is "attached" once its last batch is in: the cut-short one never was
    assert [m.split(" (")[0] for m in events if m.startswith("Dataset attached")] == [
        "Dataset attached: second.csv"
    ]
    assert len(said) == 1 and said[0].endswith(
        "and the people first seen in it were removed, but for 1 whom another file found again "
        "meanwhile (now first seen there)"
    ), said

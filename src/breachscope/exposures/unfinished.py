"""Attaches that never finished: their partial datasets are removed once their job has ended.

An attach committing batch by batch (``attach_file(commit_every_batch=True)``, the team server
on SQLite) marks its dataset ``attaching``, with the server job's id, until its last batch is
stored; no stage reads such a dataset or the people first seen in it. If the process dies
mid-way (``kill -9``, power loss) the committed batches stay: not an incomplete read of the
file, an attach cut short. When the job runner has marked the job ``interrupted``
(``case.jobs.recover``), :func:`recover_attaches` removes the dataset with the function a failing
attach uses (:func:`~breachscope.exposures.attach.forget_partial_dataset`: the people first
seen in it, its follow-up rows; people of earlier datasets it merged into keep the united
classes), says so in the timeline and in the job's error.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.jobs import STOPPED, Job
from breachscope.case.models import Dataset, Exposure
from breachscope.clock import Clock

#: Job states in which an attach may still be storing its batches.
LIVE = ("queued", "running")


@dataclass(frozen=True)
class Recovered:
    """What recovery did for one attach job: the dataset removed (None: nothing had been stored)."""

    job_id: int
    file_name: str
    dataset_id: int | None = None
    people: int = 0  # people first seen in the removed dataset
    #: True when the removal could not take the write lock (another writer held it past the busy
    #: timeout): the dataset stays ``attaching`` and the next recovery tries again
    left: bool = False


def recover_attaches(engine: Engine, *, clock: Clock, interrupted: Collection[int] = ()) -> list[Recovered]:
    """Remove every dataset still ``attaching`` whose job has ended (``interrupted`` by a server
    that died, or ``failed`` when its own cleanup could not run), each in its own transaction.

    ``interrupted``: ids of the attach jobs a recovery just marked; for those the job's error
    says what became of the file, and one that had stored nothing gets a timeline event too."""
    with session_scope(engine) as s:
        rows = s.execute(
            select(Dataset.id, Dataset.attach_job_id, Job.state)
            .join(Job, Job.id == Dataset.attach_job_id, isouter=True)
            .where(Dataset.attaching.is_(True), Dataset.attach_job_id.is_not(None))
            .order_by(Dataset.id)
        ).all()
    ended = [(int(ds), int(job or 0), state) for ds, job, state in rows if state not in LIVE]
    out = [_forget(engine, ds_id, job_id, state, clock) for ds_id, job_id, state in ended]
    cleaned = {r.job_id for r in out}
    for job_id in sorted(set(interrupted) - cleaned):
        out.append(_nothing_stored(engine, job_id, clock))
    return out


def _forget(engine: Engine, dataset_id: int, job_id: int, state: str | None, clock: Clock) -> Recovered:
    from breachscope.exposures.attach import forget_partial_dataset  # attach imports the scan engine

    with session_scope(engine) as s:
        ds = s.get(Dataset, dataset_id)
        job = s.get(Job, job_id)
        if ds is None or not ds.attaching:  # finished or removed meanwhile
            return Recovered(job_id, "", None)
        name, incident_id = ds.file_name, ds.incident_id
        why = (
            f"was interrupted (the server stopped while job {job_id} ran)"
            if state == "interrupted"
            else f"did not finish (job {job_id} {state or 'is gone'})"
        )
        try:
            people, _ = forget_partial_dataset(
                s,
                incident_id,
                dataset_id,
                name,
                author=job.created_by if job is not None else api.DEFAULT_AUTHOR,
                clock=clock,
                why=why,
            )
            if job is not None and state == "interrupted":
                job.error = (
                    f"{STOPPED}: its partial dataset {dataset_id} ({people:,} people "
                    f"first seen in it so far) was removed, the upload is deleted; upload it again"
                )
            s.commit()
        except OperationalError:  # the write lock stayed taken past the busy timeout
            s.rollback()
            people = s.scalar(select(func.count()).where(Exposure.dataset_id == dataset_id)) or 0
            return Recovered(job_id, name, dataset_id, people, left=True)
    return Recovered(job_id, name, dataset_id, int(people))


def _nothing_stored(engine: Engine, job_id: int, clock: Clock) -> Recovered:
    """An attach job interrupted before its dataset was committed (the one-transaction attach
    on PostgreSQL, or one still hashing or scanning): nothing to remove; the timeline says so.
    (Or after its last commit, before the job was marked done: then the dataset is attached.)"""
    with session_scope(engine) as s:
        job = s.get(Job, job_id)
        if job is None:
            return Recovered(job_id, "")
        name = str(job.params.get("file_name") or "the file")
        done = s.scalar(select(Dataset.id).where(Dataset.attach_job_id == job_id).limit(1))
        if done is not None:  # not attaching (else it was removed above): the attach had ended
            job.error = f"{STOPPED}, after its attach had ended: dataset {done} is attached"
            return Recovered(job_id, name)
        api.add_timeline_event(
            s,
            job.incident_id,
            f"Attach of {name} was interrupted (the server stopped while job {job_id} ran); "
            "none of its people had been stored",
            author=job.created_by,
            clock=clock,
        )
        job.error = f"{STOPPED}: nothing of the file was stored, the upload is deleted; upload it again"
    return Recovered(job_id, name)

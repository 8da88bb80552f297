"""What each kind of background job does: one library entry point each, nothing more.

``attach`` -> :func:`breachscope.exposures.attach.attach_file`; ``scope`` ->
:func:`breachscope.scope.run.run_scope`; ``notify.preview`` / ``notify.send`` ->
:func:`breachscope.notify.service.notify`; ``purge`` -> :func:`breachscope.case.purge.purge`.
Job results hold counts and ids only, never a leaked value.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from breachscope.clock import Clock
from breachscope.errors import BreachscopeError
from breachscope.web.jobs import Context, Handler, Recover

log = logging.getLogger("breachscope.web.work")


def attach(ctx: Context, params: dict[str, Any], incident_id: int, by: str) -> dict[str, Any]:
    from breachscope.exposures.attach import attach_file

    result = attach_file(
        ctx.engine,
        incident_id,
        Path(params["path"]),
        author=by,
        clock=ctx.clock,
        progress=ctx.progress,
        vendor=params.get("vendor"),
        batch_rows=ctx.settings.attach_batch_rows,
        commit_every_batch=batch_by_batch(ctx.engine, ctx.settings),
        job_id=ctx.job_id,  # on the dataset until it is attached: a dead server's partial one is found
    )
    return dataclasses.asdict(result)


def batch_by_batch(engine: Engine, settings: Any) -> bool:
    """Does an attach job commit batch by batch? SQLite has one write lock: held for the whole
    attach, every other change of the team would wait for it (and give up after the busy
    timeout); batch by batch it waits a batch. PostgreSQL: when the settings ask for it."""
    chosen = settings.attach_commit_every_batch
    return engine.dialect.name == "sqlite" if chosen is None else bool(chosen)


def recover_attach(engine: Engine, clock: Clock, interrupted: list[int]) -> None:
    """After a recovery: remove the partial datasets of attach jobs that no longer run
    (:func:`breachscope.exposures.unfinished.recover_attaches`)."""
    from breachscope.exposures.unfinished import recover_attaches

    for r in recover_attaches(engine, clock=clock, interrupted=interrupted):
        if r.left:
            log.warning(
                "job %d: its partial dataset %s could not be removed yet (the database was busy)",
                r.job_id,
                r.dataset_id,
            )
        elif r.dataset_id is not None:
            log.warning("job %d: its partial dataset %d was removed", r.job_id, r.dataset_id)


def scope(ctx: Context, params: dict[str, Any], incident_id: int, by: str) -> dict[str, Any]:
    from breachscope.scope.directory import DirectorySource
    from breachscope.scope.run import ScopeSettings, run_scope

    if params.get("path"):
        location = str(params["path"])
    else:
        name = str(params.get("source", ""))
        location = ctx.settings.directories.get(name, "")
        if not location:
            raise BreachscopeError(
                f"no configured directory source {name!r}", "see breachscope serve --directory"
            )
    src = DirectorySource(location, dict(params.get("mapping") or {}), table=params.get("table"), query=None)
    roles = tuple(params.get("admin_roles") or ())
    settings = ScopeSettings(admin_roles=roles) if roles else ScopeSettings()
    summary = run_scope(
        ctx.engine, incident_id, src, settings=settings, progress=ctx.progress, clock=ctx.clock, author=by
    )
    return {"summary": summary}


def _notify(ctx: Context, params: dict[str, Any], incident_id: int, *, dry_run: bool) -> dict[str, Any]:
    from breachscope.notify.config import load_config
    from breachscope.notify.plan import Selection
    from breachscope.notify.service import notify

    config = load_config(ctx.settings.notify_config)
    selection = Selection(tuple(params.get("jurisdictions") or ()), bool(params.get("required_only")))
    expect = params.get("expect_total")
    seen: dict[str, int] = {}

    def confirm(plan: Any) -> bool:
        seen["total"] = int(plan.total)
        return expect is not None and int(plan.total) == int(expect)

    with tempfile.TemporaryDirectory(prefix="breachscope-preview-") as tmp:
        report = notify(
            ctx.engine,
            incident_id,
            config,
            audience=str(params.get("audience", "all")),
            dry_run=Path(tmp) if dry_run else None,
            limit=0 if dry_run else None,
            clock=ctx.clock,
            progress=ctx.progress,
            selection=selection,
            confirm=None if dry_run else confirm,
        )
    doc = report.to_dict()
    doc.pop("dry_run_dir", None)  # a temporary folder, gone already
    if not dry_run and report.cancelled:
        raise BreachscopeError(
            f"nothing sent: the plan now has {seen.get('total', 0):,} notice(s), "
            f"the request expected {expect}",
            "preview again and send with the new expect_total",
        )
    return doc


def notify_preview(ctx: Context, params: dict[str, Any], incident_id: int, by: str) -> dict[str, Any]:
    return _notify(ctx, params, incident_id, dry_run=True)


def notify_send(ctx: Context, params: dict[str, Any], incident_id: int, by: str) -> dict[str, Any]:
    return _notify(ctx, params, incident_id, dry_run=False)


def purge(ctx: Context, params: dict[str, Any], incident_id: int, by: str) -> dict[str, Any]:
    from breachscope.case.purge import purge as purge_case

    reason = str(params.get("reason", ""))
    if ctx.engine.dialect.name == "sqlite":  # purge holds the file alone: requests wait (503)
        with ctx.quiet.alone():
            result = purge_case(ctx.engine, incident_id, actor=by, clock=ctx.clock, reason=reason)
    else:
        result = purge_case(ctx.engine, incident_id, actor=by, clock=ctx.clock, reason=reason)
    if result.left:
        raise BreachscopeError(
            "purge could not verify that the deleted values are gone from the database files",
            "start the purge again when no other program has the case open",
        )
    return result.to_dict()


HANDLERS: dict[str, Handler] = {
    "attach": attach,
    "scope": scope,
    "notify.preview": notify_preview,
    "notify.send": notify_send,
    "purge": purge,
}

#: What a recovery (``JobRunner.recover``) does after marking dead jobs ``interrupted``, by kind.
RECOVER: dict[str, Recover] = {"attach": recover_attach}

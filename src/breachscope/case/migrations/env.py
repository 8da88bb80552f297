"""Alembic environment for the case database, driven programmatically (no alembic.ini).

:func:`breachscope.case.db.upgrade` builds the ``Config`` in code, with ``script_location``
inside the package, and passes an open connection in ``config.attributes["connection"]``.

Branches: ``0001`` is the case schema. Other stages add their own migration branches off it
(``0002_assessments`` and ``0003_outbox`` both have ``down_revision = "0001"`` and their own
``branch_labels``), so there are several heads. ALWAYS upgrade to ``"heads"`` (plural), never
``"head"``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlalchemy.engine import Connection

from breachscope.case import models  # noqa: F401  (registers the case tables on Base.metadata)
from breachscope.case.base import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as conn:
        _run(conn)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

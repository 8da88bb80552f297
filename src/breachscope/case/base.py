"""The SQLAlchemy declarative base shared by every case table.

Tables are declared on this one ``Base`` so that Alembic sees one metadata:
``case/models.py`` (incidents, datasets, exposures, directory matches), ``case/outbox.py`` (the
notify outbox), ``rules/store.py`` (assessments), ``watch/store.py`` (look-alike domains). A table
holding person-derived data that ``case purge`` deletes is declared in the case package, so
purge knows it without importing a stage. Constraint names follow a
fixed convention so that migrations are the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

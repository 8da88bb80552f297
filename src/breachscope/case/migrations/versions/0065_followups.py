"""Follow-up notices: which datasets hold each known person, and the outbox's threading columns.

``dataset_people`` links a dataset to the people it holds that an earlier dataset of the case
already held (new people carry the dataset in ``exposures.dataset_id``), so a follow-up after a
new dataset reaches exactly the people in it. ``notify_outbox.in_reply_to`` (the Message-ID of
the first notice a follow-up answers) and ``told_classes`` (the data classes a notice told).

Revision ID: 0065
Revises: 0064
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0065"
down_revision: str | Sequence[str] | None = "0064"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003"


def upgrade() -> None:
    op.create_table(
        "dataset_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("exposure_id", sa.Integer(), nullable=False),
        sa.Column("new_classes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_dataset_people_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_dataset_people_dataset_id_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["exposure_id"], ["exposures.id"], name=op.f("fk_dataset_people_exposure_id_exposures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_people")),
        sa.UniqueConstraint("dataset_id", "exposure_id", name="uq_dataset_people_dataset_exposure"),
    )
    op.create_index("ix_dataset_people_exposure_id", "dataset_people", ["exposure_id"])
    with op.batch_alter_table("notify_outbox") as batch:
        batch.add_column(sa.Column("in_reply_to", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("told_classes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notify_outbox") as batch:
        batch.drop_column("told_classes")
        batch.drop_column("in_reply_to")
    op.drop_index("ix_dataset_people_exposure_id", table_name="dataset_people")
    op.drop_table("dataset_people")

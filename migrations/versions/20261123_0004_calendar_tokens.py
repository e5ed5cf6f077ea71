"""calendar tokens: secret feed addresses per staff member or unit, stored hashed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.Column("feed_etag", sa.String(length=80), nullable=True),
        sa.Column("feed_modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(staff_id IS NULL) <> (unit_id IS NULL)", name=op.f("ck_calendar_token_one_scope")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"],
            ["calendar_token.id"],
            name=op.f("fk_calendar_token_replaced_by_id_calendar_token"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_calendar_token_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_calendar_token_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_token_token_hash")),
    )
    with op.batch_alter_table("calendar_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_token_staff_id"), ["staff_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_token_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calendar_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_token_unit_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_token_staff_id"))
    op.drop_table("calendar_token")

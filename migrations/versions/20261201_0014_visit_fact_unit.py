"""visit facts: the family's BVC, stored and kept current when the family moves

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERED = [
    "family_id",
    "age_group",
    "held_at",
    "two_professions",
    "nurse_present",
    "social_services_present",
    "actors",
]


def _covering_index(columns: list[str]) -> None:
    op.drop_index("ix_visit_fact_visit_date", table_name="visit_fact")
    op.create_index(
        "ix_visit_fact_visit_date",
        "visit_fact",
        ["visit_date"],
        unique=False,
        postgresql_include=columns,
    )


def upgrade() -> None:
    with op.batch_alter_table("visit_fact") as batch:
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE visit_fact SET unit_id = "
        "(SELECT family.unit_id FROM family WHERE family.id = visit_fact.family_id)"
    )
    with op.batch_alter_table("visit_fact") as batch:
        batch.alter_column("unit_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f("fk_visit_fact_unit_id_unit"), "unit", ["unit_id"], ["id"])
    _covering_index([COVERED[0], "unit_id", *COVERED[1:]])


def downgrade() -> None:
    _covering_index(COVERED)
    with op.batch_alter_table("visit_fact") as batch:
        batch.drop_constraint(op.f("fk_visit_fact_unit_id_unit"), type_="foreignkey")
        batch.drop_column("unit_id")

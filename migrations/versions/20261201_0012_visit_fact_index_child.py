"""visit facts: the index child each visit counts the age of, fixed with the outcome

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERED = [
    "family_id",
    "held_at",
    "two_professions",
    "nurse_present",
    "social_services_present",
    "actors",
]

# The rule of indicators.index_child, frozen here in SQL: the index child of the enrollment
# begun last on or before the visit day, else of the first enrollment, else the youngest child
# (twins: the first registered).
BACKFILL = """
UPDATE visit_fact SET index_child_id = coalesce(
    (SELECT e.index_child_id FROM enrollment e
      WHERE e.family_id = visit_fact.family_id AND e.enrolled_on <= visit_fact.visit_date
      ORDER BY e.enrolled_on DESC, e.id DESC LIMIT 1),
    (SELECT e.index_child_id FROM enrollment e
      WHERE e.family_id = visit_fact.family_id
      ORDER BY e.enrolled_on, e.id LIMIT 1),
    (SELECT c.id FROM child c
      WHERE c.family_id = visit_fact.family_id
      ORDER BY coalesce(c.birth_date, c.expected_due_date) DESC, c.id LIMIT 1)
)
"""


def upgrade() -> None:
    with op.batch_alter_table("visit_fact") as batch:
        batch.add_column(sa.Column("index_child_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_visit_fact_index_child_id_child"), "child", ["index_child_id"], ["id"]
        )
    op.execute(BACKFILL)
    op.drop_index("ix_visit_fact_visit_date", table_name="visit_fact")
    op.create_index(
        "ix_visit_fact_visit_date",
        "visit_fact",
        ["visit_date"],
        unique=False,
        postgresql_include=[COVERED[0], "index_child_id", *COVERED[1:]],
    )
    op.create_index(
        "ix_visit_fact_without_index_child",
        "visit_fact",
        ["visit_date"],
        unique=False,
        postgresql_where=sa.text("index_child_id IS NULL"),
        sqlite_where=sa.text("index_child_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_visit_fact_without_index_child", table_name="visit_fact")
    op.drop_index("ix_visit_fact_visit_date", table_name="visit_fact")
    op.create_index(
        "ix_visit_fact_visit_date",
        "visit_fact",
        ["visit_date"],
        unique=False,
        postgresql_include=COVERED,
    )
    with op.batch_alter_table("visit_fact") as batch:
        batch.drop_constraint(op.f("fk_visit_fact_index_child_id_child"), type_="foreignkey")
        batch.drop_column("index_child_id")

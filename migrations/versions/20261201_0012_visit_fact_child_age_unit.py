"""visit facts: the index child, its age group and the family's BVC

The index child is fixed with the outcome; its age group and the family's BVC can change and are
kept current by app/reports/facts.py, so that counting visits reads visit_fact alone.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AGE_GROUPS = ["prenatal", "0", "1", "2", "3", "4", "5", "older", "unknown"]
COVERED = [
    "family_id",
    "held_at",
    "two_professions",
    "nurse_present",
    "social_services_present",
    "actors",
]
BATCH = 5000

# The rule of indicators.index_child, frozen here in SQL: the index child of the enrollment
# begun last on or before the visit day, else of the first enrollment, else the youngest child
# (twins: the first registered).
INDEX_CHILD = """
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
UNIT = (
    "UPDATE visit_fact SET unit_id = "
    "(SELECT family.unit_id FROM family WHERE family.id = visit_fact.family_id)"
)


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
    age_group = sa.Enum(
        *AGE_GROUPS, name="age_group", native_enum=False, create_constraint=True, length=32
    )
    with op.batch_alter_table("visit_fact") as batch:
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("index_child_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("age_group", age_group, nullable=True))
    op.execute(UNIT)
    op.execute(INDEX_CHILD)
    _backfill_age_groups(op.get_bind())
    with op.batch_alter_table("visit_fact") as batch:
        batch.alter_column("unit_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("age_group", existing_type=sa.String(32), nullable=False)
        batch.create_foreign_key(op.f("fk_visit_fact_unit_id_unit"), "unit", ["unit_id"], ["id"])
        batch.create_foreign_key(
            op.f("fk_visit_fact_index_child_id_child"), "child", ["index_child_id"], ["id"]
        )
    _covering_index([COVERED[0], "unit_id", "age_group", *COVERED[1:]])


def _age_group(day: date, born: date | None) -> str:
    """indicators.age_group as of this migration (the birth date, else the due date)."""
    if born is None:
        return "unknown"
    if day < born:
        return "prenatal"
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return str(years) if years <= 5 else "older"


def _as_date(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _backfill_age_groups(conn: sa.Connection) -> None:
    """Each visit's age group from its index child's dates (the family's youngest child when no
    index child was recorded)."""
    born: dict[int, date | None] = {}
    youngest: dict[int, tuple[date, int]] = {}
    for child_id, family_id, day in conn.execute(
        sa.text("SELECT id, family_id, coalesce(birth_date, expected_due_date) FROM child")
    ):
        day = _as_date(day)
        born[child_id] = day
        if day is not None and (
            family_id not in youngest or (day, -child_id) > youngest[family_id]
        ):
            youngest[family_id] = (day, -child_id)
    fact = sa.table("visit_fact", sa.column("booking_id"), sa.column("age_group"))
    last = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT booking_id, family_id, index_child_id, visit_date FROM visit_fact "
                "WHERE booking_id > :last ORDER BY booking_id LIMIT :batch"
            ),
            {"last": last, "batch": BATCH},
        ).all()
        if not rows:
            return
        by_group = defaultdict(list)
        for booking_id, family_id, index_child_id, day in rows:
            if index_child_id is None:
                found = youngest.get(family_id)
                child_born = found[0] if found else None
            else:
                child_born = born.get(index_child_id)
            by_group[_age_group(_as_date(day), child_born)].append(booking_id)
        for group, ids in by_group.items():
            conn.execute(fact.update().where(fact.c.booking_id.in_(ids)).values(age_group=group))
        last = rows[-1][0]


def downgrade() -> None:
    _covering_index(COVERED)
    with op.batch_alter_table("visit_fact") as batch:
        batch.drop_constraint(op.f("fk_visit_fact_index_child_id_child"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_visit_fact_unit_id_unit"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_visit_fact_age_group"), type_="check")
        batch.drop_column("age_group")
        batch.drop_column("index_child_id")
        batch.drop_column("unit_id")

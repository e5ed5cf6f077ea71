"""visit facts: what the grant follow-up counts, stored with each outcome (and backfilled)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from app.clock import STOCKHOLM
from app.reports.indicators import StaffFacts, visit_facts

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    op.create_table(
        "visit_fact",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column(
            "held_at",
            sa.Enum(
                "home",
                "clinic",
                "mhv_clinic",
                "other",
                name="held_at",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("two_professions", sa.Boolean(), nullable=False),
        sa.Column("nurse_present", sa.Boolean(), nullable=False),
        sa.Column("social_services_present", sa.Boolean(), nullable=False),
        sa.Column("actors", sa.Integer(), nullable=False),
        sa.Column("social_services_organization_ids", sa.JSON(), nullable=False),
        sa.Column("professions", sa.JSON(), nullable=False),
        sa.Column("missing_profession_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_visit_fact_booking_id_booking")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["family.id"], name=op.f("fk_visit_fact_family_id_family")
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_visit_fact")),
    )
    _backfill(op.get_bind())
    op.create_index(
        "ix_visit_fact_visit_date",
        "visit_fact",
        ["visit_date"],
        unique=False,
        postgresql_include=[
            "family_id",
            "held_at",
            "two_professions",
            "nurse_present",
            "social_services_present",
            "actors",
        ],
    )
    op.create_index("ix_visit_fact_family_id_visit_date", "visit_fact", ["family_id", "visit_date"])
    op.create_index(
        "ix_visit_fact_lacking_two_professions",
        "visit_fact",
        ["visit_date"],
        unique=False,
        postgresql_where=sa.text("NOT two_professions"),
        sqlite_where=sa.text("NOT two_professions"),
    )


def _backfill(conn: sa.Connection) -> None:
    """The facts of the visits completed so far, by the same rules record_outcome uses."""
    staff = {
        staff_id: StaffFacts(
            profession,
            profession == "social_worker" or kind == "social_services",
            organization_id,
        )
        for staff_id, profession, kind, organization_id in conn.execute(
            sa.text(
                "SELECT s.id, s.profession, u.kind, u.organization_id "
                "FROM staff s JOIN unit u ON u.id = s.unit_id"
            )
        )
    }
    fact = sa.table(
        "visit_fact",
        *(
            sa.column(name)
            for name in (
                "booking_id",
                "family_id",
                "visit_date",
                "held_at",
                "two_professions",
                "nurse_present",
                "social_services_present",
                "actors",
                "missing_profession_reason",
            )
        ),
        sa.column("social_services_organization_ids", sa.JSON()),
        sa.column("professions", sa.JSON()),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT b.id, b.family_id, b.starts_at, b.missing_profession_reason, o.held_at, "
                "o.staff_ids, o.professions, o.external_kinds, o.referrals "
                "FROM booking b JOIN outcome o ON o.booking_id = b.id "
                "WHERE b.id > :last ORDER BY b.id LIMIT :batch"
            ).columns(sa.column("starts_at", sa.DateTime(timezone=True))),
            {"last": last, "batch": BATCH},
        ).all()
        if not rows:
            return
        values = []
        for booking_id, family_id, starts_at, reason, held_at, *lists in rows:
            staff_ids, professions, external_kinds, referrals = (
                json.loads(v) if isinstance(v, str) else v for v in lists
            )
            found = visit_facts(
                _local_date(starts_at),
                held_at,
                staff_ids,
                professions,
                external_kinds,
                referrals,
                staff,
                reason,
            )
            values.append(
                {
                    "booking_id": booking_id,
                    "family_id": family_id,
                    "visit_date": found.visit_date,
                    "held_at": found.held_at,
                    "two_professions": found.two_professions,
                    "nurse_present": found.nurse_present,
                    "social_services_present": found.social_services_present,
                    "actors": found.actors,
                    "social_services_organization_ids": list(
                        found.social_services_organization_ids
                    ),
                    "professions": list(found.professions),
                    "missing_profession_reason": reason,
                }
            )
        conn.execute(fact.insert(), values)
        last = rows[-1][0]


def _local_date(value: datetime | str) -> object:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(STOCKHOLM).date()


def downgrade() -> None:
    op.drop_index("ix_visit_fact_lacking_two_professions", table_name="visit_fact")
    op.drop_index("ix_visit_fact_family_id_visit_date", table_name="visit_fact")
    op.drop_index("ix_visit_fact_visit_date", table_name="visit_fact")
    op.drop_table("visit_fact")

"""tariffs: compensation per home visit with socialtjänst, as data; an index for the reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tariff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("region_name", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("joint_home_visit_amount", sa.Integer(), nullable=False),
        sa.Column("ordinary_home_visit_amount", sa.Integer(), nullable=False),
        sa.Column("fixed_compensation_units", sa.JSON(), nullable=False),
        sa.Column("kva_code", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "joint_home_visit_amount >= 0 AND ordinary_home_visit_amount >= 0",
            name=op.f("ck_tariff_amounts_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_tariff_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff")),
        sa.UniqueConstraint(
            "region_name", "valid_from", name=op.f("uq_tariff_region_name_valid_from")
        ),
    )
    with op.batch_alter_table("tariff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tariff_organization_id"), ["organization_id"], unique=False
        )
    # The yearly reports read one year's completed visits (app/reports/models.py).
    op.create_index(
        "ix_booking_completed_starts",
        "booking",
        ["starts_at"],
        unique=False,
        postgresql_include=["id", "family_id", "missing_profession_reason"],
        postgresql_where=sa.text("status = 'completed'"),
        sqlite_where=sa.text("status = 'completed'"),
    )


def downgrade() -> None:
    op.drop_index("ix_booking_completed_starts", table_name="booking")
    with op.batch_alter_table("tariff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tariff_organization_id"))
    op.drop_table("tariff")

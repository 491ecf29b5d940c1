"""client_contacts: each client's contacts by kind and month; ABC's index of won deals

Revision ID: 0010
Revises: 0009

Coverage asked each uncovered client's latest communication by walking back over its
activities (and each call's telephony records); ``client_contacts`` keeps, per client,
kind of activity and month, the first and the latest start, refreshed by every write
(``store.contacts``), so it is one index probe per client and period. This migration fills
it for a store that already holds activities, with the writer's rule written out as it
stands today. ABC reads the won deals of its window from ``ix_deals_won_close`` alone.
"""

import sqlalchemy as sa
from alembic import op

import store.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


_MONTH = {
    "sqlite": "CAST(strftime('%Y', a.start_at) AS INTEGER) * 12"
    " + CAST(strftime('%m', a.start_at) AS INTEGER) - 1",
    "postgresql": "CAST(EXTRACT(YEAR FROM timezone('UTC', a.start_at)) AS INTEGER) * 12"
    " + CAST(EXTRACT(MONTH FROM timezone('UTC', a.start_at)) AS INTEGER) - 1",
}
_FILL = """
INSERT INTO client_contacts
    (client_type, client_id, month, type_id, provider_id, call_failed, first_at, last_at)
SELECT client_type, client_id, month, type_id, provider_id, call_failed,
    MIN(start_at), MAX(start_at)
FROM (
    SELECT a.client_type, a.client_id, {month} AS month, a.type_id,
        COALESCE(a.provider_id, '') AS provider_id,
        (a.type_id = 2 AND COALESCE((
            SELECT MAX(CASE WHEN c.failed_code = '200' THEN 1 ELSE 0 END)
            FROM calls c WHERE c.call_id = a.call_id AND c.call_id <> ''), 1) = 0
        ) AS call_failed,
        a.start_at
    FROM activities a
    WHERE a.completed AND a.client_type IS NOT NULL AND a.client_id IS NOT NULL
        AND a.start_at IS NOT NULL
) AS each_activity
GROUP BY client_type, client_id, month, type_id, provider_id, call_failed
"""


def upgrade() -> None:
    op.create_table(
        "client_contacts",
        sa.Column("client_type", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(), nullable=False),
        sa.Column("call_failed", sa.Boolean(), nullable=False),
        sa.Column("first_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "client_type", "client_id", "month", "type_id", "provider_id", "call_failed"
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_client_contacts_month",
        "client_contacts",
        [
            "month",
            "first_at",
            "last_at",
            "client_type",
            "client_id",
            "type_id",
            "provider_id",
            "call_failed",
        ],
    )
    op.create_index(
        "ix_deals_won_close", "deals", ["stage_semantics", "close_date", "company_id", "amount"]
    )
    op.execute(_FILL.format(month=_MONTH[op.get_bind().dialect.name]))


def downgrade() -> None:
    op.drop_index("ix_deals_won_close", table_name="deals")
    op.drop_index("ix_client_contacts_month", table_name="client_contacts")
    op.drop_table("client_contacts")

"""plans with history and channel costs (issue 14)

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa
import store.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('plan_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('length', sa.String(length=16), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('value', store.types.Money(), nullable=True),
    sa.Column('set_by', sa.String(length=64), nullable=False),
    sa.Column('set_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('plan_entries', schema=None) as batch_op:
        batch_op.create_index(
            'ix_plan_entries_target',
            ['target_kind', 'target_id', 'length', 'metric', 'id'],
            unique=False,
        )

    op.create_table('channel_costs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('amount', store.types.Money(), nullable=True),
    sa.Column('set_by', sa.String(length=64), nullable=False),
    sa.Column('set_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('channel_costs', schema=None) as batch_op:
        batch_op.create_index(
            'ix_channel_costs_source_month', ['source_id', 'month', 'id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('channel_costs', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_costs_source_month')
    op.drop_table('channel_costs')
    with op.batch_alter_table('plan_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_entries_target')
    op.drop_table('plan_entries')

"""game tables: contests, badge awards, streak records (issue 15)

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa
import store.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('game_contests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('start_day', sa.Date(), nullable=False),
    sa.Column('end_day', sa.Date(), nullable=False),
    sa.Column('target', sa.String(length=32), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('team_mode', sa.String(length=16), nullable=False),
    sa.Column('prize', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('leader', sa.String(length=32), nullable=True),
    sa.Column('leader_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('winner_id', sa.Integer(), nullable=True),
    sa.Column('winner_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('game_contests', schema=None) as batch_op:
        batch_op.create_index('ix_game_contests_days', ['start_day', 'end_day'], unique=False)

    op.create_table('game_badges',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('period', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('awarded_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('employee_id', 'rule', 'period', name='uq_game_badges_award')
    )
    with op.batch_alter_table('game_badges', schema=None) as batch_op:
        batch_op.create_index('ix_game_badges_employee', ['employee_id', 'awarded_at'], unique=False)

    op.create_table('game_streak_records',
    sa.Column('employee_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('best', sa.Integer(), nullable=False),
    sa.Column('best_start', sa.Date(), nullable=True),
    sa.Column('updated_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('employee_id', 'metric')
    )


def downgrade() -> None:
    op.drop_table('game_streak_records')
    with op.batch_alter_table('game_badges', schema=None) as batch_op:
        batch_op.drop_index('ix_game_badges_employee')
    op.drop_table('game_badges')
    with op.batch_alter_table('game_contests', schema=None) as batch_op:
        batch_op.drop_index('ix_game_contests_days')
    op.drop_table('game_contests')

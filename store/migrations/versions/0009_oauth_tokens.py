"""OAuth tokens of app mode and the offline drain's reservation (issue 16)

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa
import store.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oauth_tokens',
    sa.Column('portal', sa.String(length=255), nullable=False),
    sa.Column('client_id', sa.String(length=128), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('expires_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lifetime_seconds', sa.Float(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('portal')
    )
    op.create_table('offline_reservations',
    sa.Column('connector', sa.String(length=64), nullable=False),
    sa.Column('process_id', sa.String(length=64), nullable=False),
    sa.Column('applied', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('reserved_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('connector')
    )


def downgrade() -> None:
    op.drop_table('offline_reservations')
    op.drop_table('oauth_tokens')

"""web chat sessions revocable: channel_identities.revoked_at

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
import bot.store.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channel_identities') as batch:
        batch.add_column(sa.Column('revoked_at', bot.store.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('channel_identities') as batch:
        batch.drop_column('revoked_at')

"""cart_items.note: what the customer wants done to that item ("bez cebuli", "well done"),
kept with it until the order is placed (the order's note then carries it to the kitchen)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:05:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cart_items') as batch:
        batch.add_column(sa.Column('note', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cart_items') as batch:
        batch.drop_column('note')

"""orders board: payment method, accepted time, reason, status history

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:20:00.000000
"""
from alembic import op
import sqlalchemy as sa
import bot.store.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('payment_method', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('ready_at', bot.store.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('status_reason', sa.Text(), nullable=True))
    op.create_table('order_status_changes',
    sa.Column('id', Id, nullable=False),
    sa.Column('order_id', Id, nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('previous', sa.String(length=24), nullable=True),
    sa.Column('user_id', Id, nullable=True),
    sa.Column('actor', sa.String(length=320), nullable=False),
    sa.Column('eta_minutes', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', bot.store.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_order_status_changes_order_id', 'order_status_changes', ['order_id'])
    # Orders placed before this version get their first step, so the board shows them.
    op.execute(
        "INSERT INTO order_status_changes (order_id, status, actor, created_at) "
        "SELECT id, 'new', 'customer', created_at FROM orders"
    )


def downgrade() -> None:
    op.drop_index('ix_order_status_changes_order_id', table_name='order_status_changes')
    op.drop_table('order_status_changes')
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('status_reason')
        batch.drop_column('ready_at')
        batch.drop_column('payment_method')

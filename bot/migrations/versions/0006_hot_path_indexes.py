"""indexes for every hot-path query: replies of a message, a customer's unanswered messages,
a customer's events, cart and order lines, a customer's link tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:15:00.000000
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

INDEXES = [
    ('messages', 'ix_messages_in_reply_to_id', ['in_reply_to_id']),
    ('messages', 'ix_messages_unanswered', ['delivery_status', 'customer_id', 'id']),
    ('events', 'ix_events_customer_kind', ['customer_id', 'kind', 'id']),
    ('cart_items', 'ix_cart_items_cart_id', ['cart_id']),
    ('order_items', 'ix_order_items_order_id', ['order_id']),
    ('link_tokens', 'ix_link_tokens_customer_id', ['customer_id']),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)

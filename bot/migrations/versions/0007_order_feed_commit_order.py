"""order_status_changes.seq: the board's feed position, given in commit order

An id is taken at INSERT but seen at COMMIT: on PostgreSQL a change with a lower id can
become visible after a higher one was read, and a feed that follows ids would step past it.
The seq is given at commit instead, under a row lock held until the commit ends (a deferred
trigger), so once a seq is seen every lower one is seen too. SQLite has one writer at a
time: its ids already come in commit order, and the seq is the id.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

PG_STAMP = """
CREATE FUNCTION order_feed_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_seq bigint;
BEGIN
    -- The clock's row stays locked until this transaction's commit is visible: the next
    -- writer's seq is taken only after this one can be read.
    UPDATE order_feed_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq INTO next_seq;
    UPDATE order_status_changes SET seq = next_seq WHERE id = NEW.id;
    RETURN NULL;
END
$$
"""

PG_TRIGGER = """
CREATE CONSTRAINT TRIGGER order_feed_stamp AFTER INSERT ON order_status_changes
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION order_feed_stamp()
"""

SQLITE_TRIGGER = """
CREATE TRIGGER order_feed_stamp AFTER INSERT ON order_status_changes
BEGIN
    UPDATE order_status_changes SET seq = NEW.id WHERE id = NEW.id;
END
"""


def upgrade() -> None:
    with op.batch_alter_table('order_status_changes') as batch:
        batch.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
    op.execute("UPDATE order_status_changes SET seq = id")
    op.create_index(
        'ix_order_status_changes_seq', 'order_status_changes', ['seq'], unique=True
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.create_table(
            'order_feed_clock',
            sa.Column('id', sa.Integer(), primary_key=True),
            sa.Column('seq', sa.BigInteger(), nullable=False),
        )
        op.execute(
            "INSERT INTO order_feed_clock (id, seq) "
            "SELECT 1, COALESCE(MAX(id), 0) FROM order_status_changes"
        )
        op.execute(PG_STAMP)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS order_feed_stamp" + (
        " ON order_status_changes" if op.get_bind().dialect.name == 'postgresql' else ""
    ))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS order_feed_stamp()")
        op.drop_table('order_feed_clock')
    op.drop_index('ix_order_status_changes_seq', table_name='order_status_changes')
    with op.batch_alter_table('order_status_changes') as batch:
        batch.drop_column('seq')

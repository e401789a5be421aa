"""operator content: intents, FAQ, products, settings, versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 22:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
import bot.store.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('content_intents',
    sa.Column('id', Id, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('examples', sa.JSON(), nullable=False),
    sa.Column('responses', sa.JSON(), nullable=False),
    sa.Column('updated_at', bot.store.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('content_faq_entries',
    sa.Column('id', Id, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=True),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('updated_at', bot.store.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('content_products',
    sa.Column('id', Id, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('descriptions', sa.JSON(), nullable=False),
    sa.Column('allergens', sa.JSON(), nullable=False),
    sa.Column('prices', sa.JSON(), nullable=False),
    sa.Column('available', sa.Boolean(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('updated_at', bot.store.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('content_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('content_versions',
    sa.Column('id', Id, nullable=False),
    sa.Column('created_at', bot.store.models.UTCDateTime(), nullable=False),
    sa.Column('user_id', Id, nullable=True),
    sa.Column('user_email', sa.String(length=320), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('content_versions')
    op.drop_table('content_settings')
    op.drop_table('content_products')
    op.drop_table('content_faq_entries')
    op.drop_table('content_intents')

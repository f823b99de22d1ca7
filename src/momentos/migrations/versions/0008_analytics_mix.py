"""analytics: channel mix and contacts per moment in the aggregates (the stored digests are rebuilt)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AGGREGATES = ('analytics_pairs', 'analytics_durations', 'analytics_buckets', 'analytics_variants', 'analytics_ends',
               'analytics_moments', 'analytics_moment_customers')


def _forget_aggregates() -> None:
    """Stored digests lack (or keep) each activity's channel and initiator: drop them, the next refresh rebuilds all."""
    for table in (*_AGGREGATES, 'analytics_cases', 'analytics_state'):
        op.execute(sa.text(f'DELETE FROM {table}'))  # noqa: S608 - constant names


def upgrade() -> None:
    op.create_table('analytics_channels',
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope', sa.BigInteger(), nullable=False),
    sa.Column('lens', sa.String(length=1), nullable=False),
    sa.Column('moment', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_analytics_channels_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'scope', 'lens', 'moment', 'channel', name=op.f('pk_analytics_channels')),
    sqlite_with_rowid=False
    )
    op.create_table('analytics_moment_contacts',
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope', sa.BigInteger(), nullable=False),
    sa.Column('lens', sa.String(length=1), nullable=False),
    sa.Column('moment', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('events', sa.BigInteger(), nullable=False),
    sa.Column('inbound', sa.BigInteger(), nullable=False),
    sa.Column('outbound', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_analytics_moment_contacts_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'scope', 'lens', 'moment', 'customer_id', name=op.f('pk_analytics_moment_contacts')),
    sqlite_with_rowid=False
    )
    op.create_table('analytics_contact_spread',
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope', sa.BigInteger(), nullable=False),
    sa.Column('lens', sa.String(length=1), nullable=False),
    sa.Column('moment', sa.String(length=64), nullable=False),
    sa.Column('outbound', sa.BigInteger(), nullable=False),
    sa.Column('customers', sa.BigInteger(), nullable=False),
    sa.Column('inbound', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_analytics_contact_spread_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'scope', 'lens', 'moment', 'outbound', name=op.f('pk_analytics_contact_spread')),
    sqlite_with_rowid=False
    )
    _forget_aggregates()


def downgrade() -> None:
    _forget_aggregates()
    op.drop_table('analytics_contact_spread')
    op.drop_table('analytics_moment_contacts')
    op.drop_table('analytics_channels')

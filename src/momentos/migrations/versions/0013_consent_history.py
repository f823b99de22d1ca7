"""consent history: every consent and do-not-contact statement kept as evidence; per-organization category mapping

- ``consent_events``: one row per statement (customer, channel, purpose, granted, source, message id, when it was
  made, when it was recorded); deleted with the customer.
- ``consent_mappings``: an organization's mapping of consent categories (Segment's ``categoryPreferences``) to
  purposes, over the defaults.
- ``consents.occurred_at`` and ``customers.do_not_contact_at``: when the statement in force was made, so an older
  message replayed later does not override a newer one. Existing rows take their ``updated_at``.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import momentos.db

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('consent_events',
    sa.Column('id', BIGINT, nullable=False),
    sa.Column('org_id', BIGINT, nullable=False),
    sa.Column('customer_id', BIGINT, nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('occurred_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_consent_events_customer_id_customers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_consent_events_org_id_organizations'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_events')),
    sa.UniqueConstraint('customer_id', 'channel', 'purpose', 'message_id',
                        name=op.f('uq_consent_events_customer_id_channel_purpose_message_id'))
    )
    op.create_index('ix_consent_events_customer_occurred', 'consent_events', ['customer_id', 'occurred_at'])
    op.create_table('consent_mappings',
    sa.Column('org_id', BIGINT, nullable=False),
    sa.Column('categories', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
              nullable=False),
    sa.Column('updated_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_consent_mappings_org_id_organizations'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_consent_mappings'))
    )
    with op.batch_alter_table('consents') as batch:
        batch.add_column(sa.Column('occurred_at', momentos.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('do_not_contact_at', momentos.db.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE consents SET occurred_at = updated_at")
    op.execute("UPDATE customers SET do_not_contact_at = updated_at WHERE do_not_contact")


def downgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('do_not_contact_at')
    with op.batch_alter_table('consents') as batch:
        batch.drop_column('occurred_at')
    op.drop_table('consent_mappings')
    op.drop_index('ix_consent_events_customer_occurred', table_name='consent_events')
    op.drop_table('consent_events')

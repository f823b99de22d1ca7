"""core

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:10:55.576027
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import momentos.db

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('organizations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('default_language', sa.String(length=2), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('catalog_version', sa.String(length=32), nullable=False),
    sa.Column('created_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('slug', name=op.f('uq_organizations_slug'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', momentos.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_api_keys_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('digest', name=op.f('uq_api_keys_digest'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index('ix_api_keys_org', ['org_id'], unique=False)

    op.create_table('customers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('preferred_channels', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('do_not_contact', sa.Boolean(), nullable=False),
    sa.Column('traits', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('account_id', sa.String(length=255), nullable=True),
    sa.Column('account_traits', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('first_seen_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_customers_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('org_id', 'external_id', name=op.f('uq_customers_org_id_external_id'))
    )
    op.create_table('erased_identities',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('erased_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_erased_identities_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erased_identities')),
    sa.UniqueConstraint('org_id', 'digest', name=op.f('uq_erased_identities_org_id_digest'))
    )
    with op.batch_alter_table('erased_identities', schema=None) as batch_op:
        batch_op.create_index('ix_erased_identities_org', ['org_id'], unique=False)

    op.create_table('journey_models',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name_es', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('moments', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_journey_models_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_models')),
    sa.UniqueConstraint('org_id', 'key', name=op.f('uq_journey_models_org_id_key'))
    )
    op.create_table('services',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name_es', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('description_es', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('journey_model_key', sa.String(length=64), nullable=False),
    sa.Column('assessment', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('assessed_level', sa.String(length=8), nullable=False),
    sa.Column('level_override', sa.String(length=8), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('created_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_services_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('org_id', 'key', name=op.f('uq_services_org_id_key'))
    )
    op.create_table('consents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('updated_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_consents_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_consents_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
    sa.UniqueConstraint('customer_id', 'channel', 'purpose', name=op.f('uq_consents_customer_id_channel_purpose'))
    )
    op.create_table('customer_aliases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('alias', sa.String(length=255), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_aliases_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_customer_aliases_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_aliases')),
    sa.UniqueConstraint('org_id', 'alias', name=op.f('uq_customer_aliases_org_id_alias'))
    )
    with op.batch_alter_table('customer_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_aliases_customer_id'), ['customer_id'], unique=False)

    op.create_table('processes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('service_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('current_moment', sa.String(length=64), nullable=True),
    sa.Column('entered_at', momentos.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('moment_seq', sa.Integer(), nullable=False),
    sa.Column('last_move_at', momentos.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_processes_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_processes_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_processes_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processes')),
    sa.UniqueConstraint('org_id', 'service_id', 'customer_id', 'reference', name=op.f('uq_processes_org_id_service_id_customer_id_reference'))
    )
    with op.batch_alter_table('processes', schema=None) as batch_op:
        batch_op.create_index('ix_processes_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_processes_service_moment', ['service_id', 'current_moment'], unique=False)

    op.create_table('touchpoints',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('service_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('moment', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('activities', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('initiator', sa.String(length=16), nullable=False),
    sa.Column('intensity', sa.String(length=16), nullable=True),
    sa.Column('contact_needed', sa.Boolean(), nullable=False),
    sa.Column('name_es', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('created_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_touchpoints_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_touchpoints_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_touchpoints'))
    )
    with op.batch_alter_table('touchpoints', schema=None) as batch_op:
        batch_op.create_index('ix_touchpoints_service', ['service_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('service_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('process_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('activity', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('moment', sa.String(length=64), nullable=True),
    sa.Column('stay_seq', sa.Integer(), nullable=True),
    sa.Column('stay_cycle', sa.Integer(), nullable=True),
    sa.Column('initiator', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('timestamp', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('properties', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_events_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_events_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['process_id'], ['processes.id'], name=op.f('fk_events_process_id_processes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_events_service_id_services'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('org_id', 'message_id', name=op.f('uq_events_org_id_message_id'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_customer_ts', ['customer_id', 'timestamp'], unique=False)
        batch_op.create_index('ix_events_org_ts', ['org_id', 'timestamp'], unique=False)
        batch_op.create_index('ix_events_process_ts', ['process_id', 'timestamp'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_process_ts')
        batch_op.drop_index('ix_events_org_ts')
        batch_op.drop_index('ix_events_customer_ts')

    op.drop_table('events')
    with op.batch_alter_table('touchpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_touchpoints_service')

    op.drop_table('touchpoints')
    with op.batch_alter_table('processes', schema=None) as batch_op:
        batch_op.drop_index('ix_processes_service_moment')
        batch_op.drop_index('ix_processes_customer')

    op.drop_table('processes')
    with op.batch_alter_table('customer_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_aliases_customer_id'))

    op.drop_table('customer_aliases')
    op.drop_table('consents')
    op.drop_table('services')
    op.drop_table('journey_models')
    with op.batch_alter_table('erased_identities', schema=None) as batch_op:
        batch_op.drop_index('ix_erased_identities_org')

    op.drop_table('erased_identities')
    op.drop_table('customers')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_api_keys_org')

    op.drop_table('api_keys')
    op.drop_table('organizations')


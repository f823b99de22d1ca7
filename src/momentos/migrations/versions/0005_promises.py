"""promises: definitions, instances and transitions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:14:38
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import momentos.db

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('promise_definitions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('service_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('moment', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('texts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('recovery', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('rule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('staff', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('notify_kept', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_promise_definitions_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_promise_definitions_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promise_definitions')),
    sa.UniqueConstraint('org_id', 'key', name=op.f('uq_promise_definitions_org_id_key'))
    )
    with op.batch_alter_table('promise_definitions', schema=None) as batch_op:
        batch_op.create_index('ix_promise_definitions_service', ['service_id'], unique=False)

    op.create_table('promise_instances',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('definition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('process_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('service_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('started_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', momentos.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('at_risk_at', momentos.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('stopped_at', momentos.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', momentos.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('next_check_at', momentos.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('updated_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_promise_instances_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['definition_id'], ['promise_definitions.id'], name=op.f('fk_promise_instances_definition_id_promise_definitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_promise_instances_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['process_id'], ['processes.id'], name=op.f('fk_promise_instances_process_id_processes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_promise_instances_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promise_instances')),
    sa.UniqueConstraint('definition_id', 'process_id', name=op.f('uq_promise_instances_definition_id_process_id'))
    )
    with op.batch_alter_table('promise_instances', schema=None) as batch_op:
        batch_op.create_index('ix_promise_instances_due', ['next_check_at'], unique=False)
        batch_op.create_index('ix_promise_instances_org_def', ['org_id', 'definition_id', 'started_at'], unique=False)
        batch_op.create_index('ix_promise_instances_process', ['process_id'], unique=False)

    op.create_table('promise_transitions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', momentos.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['promise_instances.id'], name=op.f('fk_promise_transitions_instance_id_promise_instances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_promise_transitions_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promise_transitions')),
    sa.UniqueConstraint('instance_id', 'seq', name=op.f('uq_promise_transitions_instance_id_seq'))
    )
    with op.batch_alter_table('promise_transitions', schema=None) as batch_op:
        batch_op.create_index('ix_promise_transitions_org_at', ['org_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('promise_transitions', schema=None) as batch_op:
        batch_op.drop_index('ix_promise_transitions_org_at')

    op.drop_table('promise_transitions')
    with op.batch_alter_table('promise_instances', schema=None) as batch_op:
        batch_op.drop_index('ix_promise_instances_process')
        batch_op.drop_index('ix_promise_instances_org_def')
        batch_op.drop_index('ix_promise_instances_due')

    op.drop_table('promise_instances')
    with op.batch_alter_table('promise_definitions', schema=None) as batch_op:
        batch_op.drop_index('ix_promise_definitions_service')

    op.drop_table('promise_definitions')

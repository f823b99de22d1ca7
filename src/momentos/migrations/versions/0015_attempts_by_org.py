"""delivery attempts by organization: an index for the health check's figures of one organization (its deliveries
and failed attempts of the last day, its last delivery errors)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 21:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_notification_attempts_org_ended', ['org_id', 'ended_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notification_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_attempts_org_ended')

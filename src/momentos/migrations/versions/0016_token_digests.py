"""token digests: status-page and survey links are no longer stored, only their SHA-256 digest

``status_tokens`` and ``survey_invitations`` lose ``token`` and gain ``digest`` (SHA-256 hex of the token, unique:
a visit is looked up by it) and ``nonce`` (what a new token is derived from with the server's secret key, see
``momentos.kit.ids.link_token``). Existing rows get the digest of their token, so every link already sent or queued
in the outbox keeps working; their ``nonce`` stays empty (such a link cannot be derived again: staff pages show the
process's next link instead). Downgrading cannot bring the tokens back: ``token`` is refilled with the digest, so
links made before the downgrade stop working.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 21:30:00
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('status_tokens', 'survey_invitations')


def _fill(table: str, source: str, target: str, transform: bool) -> None:
    """``target`` = SHA-256 of ``source`` (or a copy of it), row by row."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(f'SELECT id, {source} FROM {table}')).all()  # noqa: S608 - fixed names
    values = [{'id': row_id, 'value': hashlib.sha256(value.encode()).hexdigest() if transform else value}
              for row_id, value in rows]
    if values:
        bind.execute(sa.text(f'UPDATE {table} SET {target} = :value WHERE id = :id'), values)  # noqa: S608


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('digest', sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column('nonce', sa.String(length=32), nullable=True))
        _fill(table, 'token', 'digest', transform=True)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('digest', existing_type=sa.String(length=64), nullable=False)
            batch_op.drop_constraint(f'uq_{table}_token', type_='unique')
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_digest'), ['digest'])
            batch_op.drop_column('token')


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('token', sa.String(length=64), nullable=True))
        _fill(table, 'digest', 'token', transform=False)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('token', existing_type=sa.String(length=64), nullable=False)
            batch_op.drop_constraint(f'uq_{table}_digest', type_='unique')
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_token'), ['token'])
            batch_op.drop_column('nonce')
            batch_op.drop_column('digest')

"""login claim nonce: a claim is redeemed only with the nonce handed to the tab that logged in

Revision ID: ba26b5f776f3
Revises: 2cd61086b46c
Create Date: 2026-11-30 03:28:47.926438
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'ba26b5f776f3'
down_revision = '2cd61086b46c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('login_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nonce_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('login_claims', schema=None) as batch_op:
        batch_op.drop_column('nonce_hash')


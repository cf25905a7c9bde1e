"""operator review: operators, the review queue, the audit log, and the link's reject reason and dispute

Revision ID: 6c873e9d7160
Revises: ba26b5f776f3
Create Date: 2026-11-30 04:14:13.104618
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '6c873e9d7160'
down_revision = 'ba26b5f776f3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('before', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('after', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_operator_id'), ['operator_id'], unique=False)

    op.create_table('operators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('review_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('supply_number', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('doc_number', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('deadline_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('reserved_by', sa.Integer(), nullable=True),
    sa.Column('reserved_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_items_decided_at'), ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_items_doc_number'), ['doc_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_items_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_items_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_items_supply_number'), ['supply_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_items_user_id'), ['user_id'], unique=False)
    # The queue's order: disputed first, then the oldest deadline (autogenerate skips expression indexes).
    op.create_index('ix_review_queue', 'review_items', ['status', sa.text('priority DESC'), 'deadline_at'])
    op.create_index('ix_review_kind_queue', 'review_items', ['status', 'kind', sa.text('priority DESC'), 'deadline_at'])

    with op.batch_alter_table('supply_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reject_reason', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('disputed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('supply_links', schema=None) as batch_op:
        batch_op.drop_column('disputed_at')
        batch_op.drop_column('reject_reason')

    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_kind_queue')
        batch_op.drop_index('ix_review_queue')
        batch_op.drop_index(batch_op.f('ix_review_items_user_id'))
        batch_op.drop_index(batch_op.f('ix_review_items_supply_number'))
        batch_op.drop_index(batch_op.f('ix_review_items_link_id'))
        batch_op.drop_index(batch_op.f('ix_review_items_document_id'))
        batch_op.drop_index(batch_op.f('ix_review_items_doc_number'))
        batch_op.drop_index(batch_op.f('ix_review_items_decided_at'))

    op.drop_table('review_items')
    op.drop_table('operators')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_operator_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_item_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')

"""payments and plans: payments through a provider, Planes de Pago with their invoices and cuotas, factura digital

Revision ID: 9a1e5c0d2f44
Revises: 6c873e9d7160
Create Date: 2026-11-30 04:51:15.797265
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '9a1e5c0d2f44'
down_revision = '6c873e9d7160'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('supply_number', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('installments', sa.Integer(), nullable=False),
    sa.Column('monthly_rate_bp', sa.Integer(), nullable=False),
    sa.Column('principal_cents', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('payment_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_plans_supply_number'), ['supply_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_plans_user_id'), ['user_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('installment_id', sa.Integer(), nullable=True),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_external_id'), ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_installment_id'), ['installment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_user_id'), ['user_id'], unique=False)

    op.create_table('plan_installments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('paid_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'number', name='uq_installment_plan_number')
    )
    with op.batch_alter_table('plan_installments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_installments_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_invoices',
    sa.Column('invoice_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('invoice_id')
    )
    with op.batch_alter_table('plan_invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_invoices_plan_id'), ['plan_id'], unique=False)

    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_kind_queue'))
        batch_op.create_index('ix_review_kind_queue', ['status', 'kind', sa.literal_column('priority DESC'), 'deadline_at'], unique=False)
        batch_op.drop_index(batch_op.f('ix_review_queue'))
        batch_op.create_index('ix_review_queue', ['status', sa.literal_column('priority DESC'), 'deadline_at'], unique=False)

    with op.batch_alter_table('supply_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digital_invoice', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('supply_links', schema=None) as batch_op:
        batch_op.drop_column('digital_invoice')

    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_queue')
        batch_op.create_index(batch_op.f('ix_review_queue'), ['status', 'priority', 'deadline_at'], unique=False)
        batch_op.drop_index('ix_review_kind_queue')
        batch_op.create_index(batch_op.f('ix_review_kind_queue'), ['status', 'kind', 'priority', 'deadline_at'], unique=False)

    with op.batch_alter_table('plan_invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_invoices_plan_id'))

    op.drop_table('plan_invoices')
    with op.batch_alter_table('plan_installments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_installments_plan_id'))

    op.drop_table('plan_installments')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_user_id'))
        batch_op.drop_index(batch_op.f('ix_payments_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_payments_installment_id'))
        batch_op.drop_index(batch_op.f('ix_payments_external_id'))

    op.drop_table('payments')
    with op.batch_alter_table('payment_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_plans_user_id'))
        batch_op.drop_index(batch_op.f('ix_payment_plans_supply_number'))

    op.drop_table('payment_plans')

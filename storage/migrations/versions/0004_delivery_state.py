"""delivery state: outbox lanes and doubt, shared channel pace, admin notices

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_pace',
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('next_slot_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('interval_seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('channel')
    )
    op.create_table('admin_notices',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lane', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('in_doubt', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('first_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('parked_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_outbox_lane_status_id', ['lane', 'status', 'id'], unique=False)
    op.execute(
        "UPDATE outbox SET lane = CASE WHEN kind = 'handoff_card' AND channel IS NOT NULL THEN channel "
        "ELSE 'h' || CAST(handoff_id AS VARCHAR(20)) END"
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column('in_doubt', server_default=None)
        batch_op.alter_column('parked_count', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_lane_status_id')
        batch_op.drop_column('parked_count')
        batch_op.drop_column('first_attempt_at')
        batch_op.drop_column('in_doubt')
        batch_op.drop_column('lane')
    op.drop_table('admin_notices')
    op.drop_table('channel_pace')

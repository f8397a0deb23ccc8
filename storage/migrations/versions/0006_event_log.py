"""event log and lifecycle in event time: event profiles, lead life, causes, signals, the scorer

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

Existing leads are marked ``derived = false`` and the scorer's checkpoint starts at 0: the next
scorer pass (``handoff db upgrade`` shows its progress, ``serve`` runs it in the background)
re-derives every lead's history from its events, decisions and posted cards once.
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch table rebuild: on SQLite a rebuild drops the old table, and
    # with foreign keys on that deletes every row that cascades from it (events, handoffs, terms).
    op.add_column('events', sa.Column('profile', sa.JSON(), nullable=True))
    op.add_column('leads', sa.Column('as_of', sa.DateTime(timezone=True), nullable=True))
    op.add_column('leads', sa.Column('life', sa.JSON(), nullable=True))
    op.add_column('leads', sa.Column('derived', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('leads', sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('leads', sa.Column('first_source', sa.String(length=100), nullable=True))
    op.add_column('leads', sa.Column('first_campaign', sa.String(length=200), nullable=True))
    op.create_index('ix_leads_next_due_at', 'leads', ['next_due_at'], unique=False)
    op.execute("UPDATE leads SET derived = false, first_source = source, first_campaign = campaign")
    op.add_column('stage_changes', sa.Column('cause', sa.String(length=16), nullable=False, server_default='score'))
    op.add_column('stage_changes', sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('stage_changes', sa.Column('trigger_event_id', sa.String(length=200), nullable=True))
    op.add_column('stage_changes', sa.Column('campaign', sa.String(length=200), nullable=True))
    op.add_column('stage_changes', sa.Column('model_version', sa.String(length=80), nullable=True))
    op.execute("UPDATE stage_changes SET recorded_at = changed_at")
    op.add_column('handoffs', sa.Column('episode', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('handoffs', sa.Column('earlier', sa.JSON(), nullable=True))
    op.add_column('handoffs', sa.Column('campaign', sa.String(length=200), nullable=True))
    op.create_table('lead_signals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('lead_id', 'kind', 'event_id', name='uq_lead_signals_once'),
    )
    op.create_index('ix_lead_signals_kind_at', 'lead_signals', ['kind', 'at'], unique=False)
    op.create_table('scorer_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkpoint', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=80), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO scorer_state (id, checkpoint) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table('scorer_state')
    op.drop_index('ix_lead_signals_kind_at', table_name='lead_signals')
    op.drop_table('lead_signals')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_column('campaign')
        batch_op.drop_column('earlier')
        batch_op.drop_column('episode')
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.drop_column('model_version')
        batch_op.drop_column('campaign')
        batch_op.drop_column('trigger_event_id')
        batch_op.drop_column('recorded_at')
        batch_op.drop_column('cause')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_next_due_at')
        batch_op.drop_column('first_campaign')
        batch_op.drop_column('first_source')
        batch_op.drop_column('next_due_at')
        batch_op.drop_column('derived')
        batch_op.drop_column('life')
        batch_op.drop_column('as_of')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('profile')

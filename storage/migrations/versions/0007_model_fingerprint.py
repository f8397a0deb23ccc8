"""the scoring model the scorer last derived every lead under; an index of outcome events

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

``model_fingerprint`` is empty until a scorer first runs after the upgrade: it records its model
then, without re-deriving anything. From then on a scorer that starts with another model re-derives
every lead under it (``handoff rescore --all`` does the same on demand). The digest counts
outcome events by week through a partial index that holds them alone. ``scorer_quarantine``
holds the leads whose derived rows the database refused, so one lead never stops the scorer.
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (see 0006: never a batch rebuild on SQLite).
    op.add_column('scorer_state', sa.Column('model_fingerprint', sa.String(length=64), nullable=True))
    op.add_column('scorer_state', sa.Column('model_label', sa.String(length=120), nullable=True))
    op.create_table(
        'scorer_quarantine',
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('lead_id'),
    )
    outcomes = sa.text("type IN ('opportunity_created', 'closed_won', 'closed_lost')")
    op.create_index(
        'ix_events_outcomes', 'events', ['occurred_at'], sqlite_where=outcomes, postgresql_where=outcomes
    )


def downgrade() -> None:
    op.drop_table('scorer_quarantine')
    op.drop_index('ix_events_outcomes', table_name='events')
    op.drop_column('scorer_state', 'model_label')
    op.drop_column('scorer_state', 'model_fingerprint')

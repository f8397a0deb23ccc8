"""routing and ownership: who holds each handoff, the turns of each team, reps away, account owners

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

Existing handoffs keep no assignee (anyone in their channel decides them, as before) and no
escalation time of their own (twice the SLA after the card, as before).
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN (see 0006: never a batch rebuild on SQLite).
    op.add_column('handoffs', sa.Column('assignee', sa.String(length=64), nullable=True))
    op.add_column('handoffs', sa.Column('team', sa.String(length=80), nullable=True))
    op.add_column('handoffs', sa.Column('route', sa.String(length=80), nullable=True))
    op.add_column('handoffs', sa.Column('escalation_due_at', _WHEN, nullable=True))
    op.create_table(
        'handoff_assignments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('handoff_id', sa.Integer(), nullable=False),
        sa.Column('assignee', sa.String(length=64), nullable=False),
        sa.Column('previous', sa.String(length=64), nullable=True),
        sa.Column('cause', sa.String(length=16), nullable=False),
        sa.Column('by_user', sa.String(length=64), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('at', _WHEN, nullable=False),
        sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_handoff_assignments_handoff_id', 'handoff_assignments', ['handoff_id'])
    op.create_table(
        'rep_turns',
        sa.Column('team', sa.String(length=80), nullable=False),
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('turns', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('team', 'user_id'),
    )
    op.create_table(
        'rep_status',
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('away_until', _WHEN, nullable=True),
        sa.Column('updated_at', _WHEN, nullable=False),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_table(
        'account_owners',
        sa.Column('domain', sa.String(length=255), nullable=False),
        sa.Column('owner', sa.String(length=64), nullable=False),
        sa.Column('updated_at', _WHEN, nullable=False),
        sa.PrimaryKeyConstraint('domain'),
    )


def downgrade() -> None:
    op.drop_table('account_owners')
    op.drop_table('rep_status')
    op.drop_table('rep_turns')
    op.drop_index('ix_handoff_assignments_handoff_id', table_name='handoff_assignments')
    op.drop_table('handoff_assignments')
    for column in ('escalation_due_at', 'route', 'team', 'assignee'):
        op.drop_column('handoffs', column)

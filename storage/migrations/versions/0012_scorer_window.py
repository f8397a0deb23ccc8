"""the scorer's window: a pass reads many events at once and scores them lead by lead

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27

A backlog's events are read as one window and scored a group of leads per transaction, so each
lead is written once per window rather than once per chunk of events. ``window_end`` and
``window_lead`` say how far a window part way through has come (a pass stopped midway resumes
after the last lead it stored).
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('scorer_state', sa.Column('window_end', sa.Integer(), nullable=True))
    op.add_column('scorer_state', sa.Column('window_lead', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scorer_state') as batch:
        batch.drop_column('window_lead')
        batch.drop_column('window_end')

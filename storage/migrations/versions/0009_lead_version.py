"""a version stamp on each lead, changed by every write of its derived state

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27

The scorer keeps the leads it wrote in memory between chunks and trusts its copy only while the
stored stamp is the one it wrote: any other writer (a decision in ``serve``, a rescore, another
scorer) draws a new stamp, and a lead with none (every lead at the upgrade) is read from the table.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (see 0006: never a batch rebuild on SQLite).
    op.add_column('leads', sa.Column('version', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column('leads', 'version')

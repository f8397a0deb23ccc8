"""no foreign key from lead_search_terms.lead_id to leads on PostgreSQL

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27

The scorer inserts the search terms of every lead it names for the first time (a few per lead),
and checking each row's lead against ``leads`` cost about as much as the insert itself: a twentieth
of a backlog's scoring pass. Nothing relies on the key: the terms are written in the transaction
that writes their lead, and leads are never deleted. SQLite keeps it, as in 0010.
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    for key in sa.inspect(bind).get_foreign_keys('lead_search_terms'):
        if key['referred_table'] == 'leads' and key['constrained_columns'] == ['lead_id']:
            op.drop_constraint(key['name'], 'lead_search_terms', type_='foreignkey')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.create_foreign_key(
            'lead_search_terms_lead_id_fkey', 'lead_search_terms', 'leads', ['lead_id'], ['id'],
            ondelete='CASCADE',
        )

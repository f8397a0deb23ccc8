"""lead search terms

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa

from storage.lead_search import terms_of

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade() -> None:
    op.create_table('lead_search_terms',
    sa.Column('term', sa.String(length=64).with_variant(sa.String(length=64, collation='C'), 'postgresql'), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('term', 'lead_id'),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('lead_search_terms', schema=None) as batch_op:
        batch_op.create_index('ix_lead_search_terms_lead_term', ['lead_id', 'term'], unique=False)
    _index_existing_leads()


def _index_existing_leads() -> None:
    """Terms for the leads already stored, read and written in batches by id."""
    connection = op.get_bind()
    leads = sa.table('leads', sa.column('id', sa.Integer), sa.column('name'), sa.column('company'))
    terms = sa.table('lead_search_terms', sa.column('term'), sa.column('lead_id', sa.Integer))
    after = 0
    while True:
        rows = connection.execute(
            sa.select(leads.c.id, leads.c.name, leads.c.company)
            .where(leads.c.id > after, sa.or_(leads.c.name.is_not(None), leads.c.company.is_not(None)))
            .order_by(leads.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        values = [{'term': term, 'lead_id': row.id} for row in rows for term in terms_of(row.name, row.company)]
        if values:
            connection.execute(terms.insert(), values)
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table('lead_search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_search_terms_lead_term')
    op.drop_table('lead_search_terms')

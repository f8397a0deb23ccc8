"""no foreign key from events.lead_id to leads on PostgreSQL

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27

The append COPYs every event, and checking each row's lead against ``leads`` cost about a seventh
of it. Nothing relies on the key: leads are created in the append's own transaction before their
events and never deleted. SQLite keeps it (dropping a constraint there means rebuilding the table,
see 0006).
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    for key in sa.inspect(bind).get_foreign_keys('events'):
        if key['referred_table'] == 'leads' and key['constrained_columns'] == ['lead_id']:
            op.drop_constraint(key['name'], 'events', type_='foreignkey')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.create_foreign_key(
            'events_lead_id_fkey', 'events', 'leads', ['lead_id'], ['id'], ondelete='CASCADE'
        )

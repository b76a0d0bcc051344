"""membership ends, handover and invites that replace a leader (issue 12)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invite', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaces_person_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_invite_replaces_person_id_person', 'person', ['replaces_person_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('invite', schema=None) as batch_op:
        batch_op.drop_constraint('fk_invite_replaces_person_id_person', type_='foreignkey')
        batch_op.drop_column('replaces_person_id')

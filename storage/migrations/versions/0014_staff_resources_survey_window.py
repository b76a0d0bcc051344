"""you said, we did; resources; the survey window (issue 14)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Fewer than 5 answers, no report of the unit's own: the follow-up uses the level above's results.
    with op.batch_alter_table('unit_followup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_own_report', sa.Boolean(), nullable=False, server_default=sa.false()))
    # "You said, we did": each summary for the staff as it was made (areas, measures and their status).
    op.create_table(
        'staff_summary',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('followup_id', sa.Integer(), nullable=False),
        sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('snapshot', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(['followup_id'], ['unit_followup.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('staff_summary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_summary_followup_id'), ['followup_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_summary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_summary_followup_id'))
    op.drop_table('staff_summary')
    with op.batch_alter_table('unit_followup', schema=None) as batch_op:
        batch_op.drop_column('no_own_report')

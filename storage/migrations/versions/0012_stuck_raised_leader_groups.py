"""stuck measures raised to the leader groups, and leader-group units (issue 13)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('unit', schema=None) as batch_op:
        # A leader-group unit: its level (department, clinic or trust); null for an ordinary unit.
        batch_op.add_column(sa.Column('leader_group', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
    with op.batch_alter_table('measure', schema=None) as batch_op:
        # When the measure last became stuck (the weekly digest names those stuck for a quarter).
        batch_op.add_column(sa.Column('stuck_since', sa.DateTime(timezone=True), nullable=True))
    op.create_table('raised_problem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('group_unit_id', sa.Integer(), nullable=True),
    sa.Column('what', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('raised_by', sa.Integer(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('taken_measure_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.ForeignKeyConstraint(['trust_id'], ['health_trust.id'], ),
    sa.ForeignKeyConstraint(['group_unit_id'], ['unit.id'], ),
    sa.ForeignKeyConstraint(['raised_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['answered_by'], ['person.id'], ),
    sa.ForeignKeyConstraint(['taken_measure_id'], ['measure.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('raised_problem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_raised_problem_measure_id'), ['measure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_raised_problem_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_raised_problem_trust_id'), ['trust_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_raised_problem_group_unit_id'), ['group_unit_id'], unique=False)
    # At most one open (unanswered, not taken on) problem per measure.
    open_problem = sa.text('answer IS NULL AND taken_measure_id IS NULL')
    op.create_index('uq_raised_problem_open', 'raised_problem', ['measure_id'], unique=True,
                    sqlite_where=open_problem, postgresql_where=open_problem)


def downgrade() -> None:
    op.drop_index('uq_raised_problem_open', table_name='raised_problem')
    with op.batch_alter_table('raised_problem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_raised_problem_group_unit_id'))
        batch_op.drop_index(batch_op.f('ix_raised_problem_trust_id'))
        batch_op.drop_index(batch_op.f('ix_raised_problem_unit_id'))
        batch_op.drop_index(batch_op.f('ix_raised_problem_measure_id'))
    op.drop_table('raised_problem')
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_column('stuck_since')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('leader_group')

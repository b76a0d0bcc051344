"""Der skoen trykker and Tidlig og tett paa as tracks of their own (issue 14)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dst_enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('followup_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('potential', sa.Boolean(), nullable=False),
    sa.Column('potential_note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('challenges', sa.Boolean(), nullable=False),
    sa.Column('challenges_note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('motivation', sa.Boolean(), nullable=False),
    sa.Column('motivation_note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('enrolled_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['followup_id'], ['unit_followup.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('followup_id'),
    sa.UniqueConstraint('unit_id')
    )
    op.create_table('dst_gathering',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dst_gathering', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dst_gathering_region_id'), ['region_id'], unique=False)
    op.create_table('ttp_schedule',
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('dates', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['trust_id'], ['health_trust.id'], ),
    sa.PrimaryKeyConstraint('trust_id')
    )
    with op.batch_alter_table('measure', schema=None) as batch_op:
        # 'dst': a measure made in phase 4 of Der skoen trykker; null: ForBedring.
        batch_op.add_column(sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_column('method')
    op.drop_table('ttp_schedule')
    with op.batch_alter_table('dst_gathering', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dst_gathering_region_id'))
    op.drop_table('dst_gathering')
    op.drop_table('dst_enrolment')

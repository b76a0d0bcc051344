"""years that continue: carry-over, evaluation against the next results, responsible members (issue 13)

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('measure', schema=None) as batch_op:
        # The survey year a measure carried into a later year began in (null: it began in its own year).
        batch_op.add_column(sa.Column('first_year', sa.Integer(), nullable=True))
        # A member of the unit named responsible (gets the measure's reminders); null: free text only.
        batch_op.add_column(sa.Column('responsible_person_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_measure_responsible_person_id_person', 'person',
                                    ['responsible_person_id'], ['id'])
    with op.batch_alter_table('confirmation', schema=None) as batch_op:
        # The leader's answer to a rep's objection, shown to the rep and on the plan.
        batch_op.add_column(sa.Column('leader_reply', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
        batch_op.add_column(sa.Column('leader_reply_at', sa.DateTime(timezone=True), nullable=True))
        # Who wrote it: their words are theirs (/mydata) and go when they are erased.
        batch_op.add_column(sa.Column('leader_reply_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_confirmation_leader_reply_by_person', 'person', ['leader_reply_by'], ['id'])
    # A measure as it stood when carried on out of a year: that year's plan and figures keep it so.
    op.create_table('measure_carried',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('measure_id', 'year', name='uq_measure_carried_year')
    )
    with op.batch_alter_table('measure_carried', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_carried_measure_id'), ['measure_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('measure_carried', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_carried_measure_id'))
    op.drop_table('measure_carried')
    with op.batch_alter_table('confirmation', schema=None) as batch_op:
        batch_op.drop_constraint('fk_confirmation_leader_reply_by_person', type_='foreignkey')
        batch_op.drop_column('leader_reply_by')
        batch_op.drop_column('leader_reply_at')
        batch_op.drop_column('leader_reply')
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_constraint('fk_measure_responsible_person_id_person', type_='foreignkey')
        batch_op.drop_column('responsible_person_id')
        batch_op.drop_column('first_year')

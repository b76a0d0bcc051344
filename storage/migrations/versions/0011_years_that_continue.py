"""years that continue: carry-over, evaluation against the next results, responsible members (issue 13)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

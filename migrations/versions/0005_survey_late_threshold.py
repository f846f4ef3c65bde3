"""surveys: the late-dossier threshold of rule R6, a province's own setting

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('late_threshold', sa.Float(), server_default='0.05', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_column('late_threshold')

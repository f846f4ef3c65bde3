"""surveys: the PAR INDEX points the province's scheme gives a survey at a 100 % index

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('par_points_max', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_column('par_points_max')

"""series across rounds: the figure mapping between a survey and its previous round

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'series_mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('previous_survey_id', sa.Integer(), nullable=False),
        sa.Column('figure', sa.String(length=160), nullable=False),
        sa.Column('previous_figure', sa.String(length=160), nullable=True),
        sa.ForeignKeyConstraint(
            ['previous_survey_id'], ['surveys.id'],
            name=op.f('fk_series_mappings_previous_survey_id_surveys'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['survey_id'], ['surveys.id'],
            name=op.f('fk_series_mappings_survey_id_surveys'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_series_mappings')),
        sa.UniqueConstraint(
            'survey_id', 'previous_survey_id', 'figure',
            name=op.f('uq_series_mappings_survey_id_previous_survey_id_figure'),
        ),
    )
    with op.batch_alter_table('series_mappings', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_series_mappings_previous_survey_id'), ['previous_survey_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('series_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_series_mappings_previous_survey_id'))
    op.drop_table('series_mappings')

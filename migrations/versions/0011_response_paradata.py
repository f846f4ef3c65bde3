"""responses: paradata (time per page, back navigations, device class, a keyed hash of
the IP); data-quality flags; the survey's thresholds for them and the kiosk's rule on a
dossier code answered already

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 16:10:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_seconds', JSON, nullable=True))
        batch_op.add_column(
            sa.Column('back_navigations', sa.SmallInteger(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('device', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('ip_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(
            'ix_responses_survey_dossier', ['survey_id', 'dossier_code'], unique=False
        )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('speeding_seconds', sa.Float(), server_default='1.5', nullable=False)
        )
        batch_op.add_column(
            sa.Column('nonresponse_share', sa.Float(), server_default='0.5', nullable=False)
        )
        batch_op.add_column(
            sa.Column('burst_minutes', sa.Integer(), server_default='10', nullable=False)
        )
        batch_op.add_column(
            sa.Column('burst_count', sa.Integer(), server_default='3', nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                'refuse_repeat_dossier', sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )
    op.create_table('response_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('detail', JSON, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_flags_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_flags')),
    sa.UniqueConstraint('response_id', 'kind', name=op.f('uq_response_flags_response_id_kind'))
    )


def downgrade():
    op.drop_table('response_flags')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_column('refuse_repeat_dossier')
        batch_op.drop_column('burst_count')
        batch_op.drop_column('burst_minutes')
        batch_op.drop_column('nonresponse_share')
        batch_op.drop_column('speeding_seconds')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_survey_dossier')
        batch_op.drop_column('ip_hash')
        batch_op.drop_column('device')
        batch_op.drop_column('back_navigations')
        batch_op.drop_column('page_seconds')

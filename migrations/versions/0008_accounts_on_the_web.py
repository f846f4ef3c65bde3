"""accounts on the web: a temporary password to change at first sign-in; named,
revocable API tokens; audit events found by survey; contacts kept so many days after a round

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('contact_retention_days', sa.Integer(), server_default='90', nullable=False)
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('name', sa.String(length=100), server_default='', nullable=False)
        )
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survey_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_events_survey_id', ['survey_id'], unique=False)
    # Events recorded on a survey name it already; others (a draw, an export) said it in
    # their details only, and stay unfiled.
    op.execute(
        "UPDATE audit_events SET survey_id = CAST(object_id AS INTEGER) "
        "WHERE object_type = 'surveys'"
    )


def downgrade():
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_column('contact_retention_days')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_survey_id')
        batch_op.drop_column('survey_id')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('name')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

"""response cleaning: a response can be voided (kept, never counted); corrected answers
keep the value they had

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

STATUS_CHECK = op.f('ck_responses_responsestatus')


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(STATUS_CHECK, type_='check')
        batch_op.create_check_constraint(
            STATUS_CHECK, "status IN ('in_progress', 'submitted', 'voided')"
        )
    op.create_table('answer_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=32), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_answer_corrections_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_answer_corrections_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_corrections'))
    )
    with op.batch_alter_table('answer_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_corrections_response_id'), ['response_id'], unique=False)


def downgrade():
    with op.batch_alter_table('answer_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_corrections_response_id'))
    op.drop_table('answer_corrections')
    # A voided response goes back to being counted: the older schema knows no other way.
    op.execute("UPDATE responses SET status = 'submitted' WHERE status = 'voided'")
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(STATUS_CHECK, type_='check')
        batch_op.create_check_constraint(STATUS_CHECK, "status IN ('in_progress', 'submitted')")

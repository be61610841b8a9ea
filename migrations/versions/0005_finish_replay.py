"""finish replay: the first finish body's digest and the rewards it earned

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 18:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('play_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finish_digest', sa.String(length=64), nullable=True))
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rewards', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_column('rewards')
    with op.batch_alter_table('play_sessions', schema=None) as batch_op:
        batch_op.drop_column('finish_digest')

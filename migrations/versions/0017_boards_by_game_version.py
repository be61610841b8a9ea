"""boards by game version: sessions, scores, period closes and award failures carry it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def _version():
    return sa.Column('game_version', sa.Integer(), nullable=False, server_default='1')


def upgrade():
    for table in ('play_sessions', 'scores', 'award_failures'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(_version())
    with op.batch_alter_table('period_closes', schema=None) as batch_op:
        batch_op.add_column(_version())
        batch_op.drop_constraint('uq_period_closes_campaign_id_period_period_key',
                                 type_='unique')
        batch_op.create_unique_constraint(
            'uq_period_closes_campaign_id_game_version_period_period_key',
            ['campaign_id', 'game_version', 'period', 'period_key'])


def downgrade():
    with op.batch_alter_table('period_closes', schema=None) as batch_op:
        batch_op.drop_constraint('uq_period_closes_campaign_id_game_version_period_period_key',
                                 type_='unique')
        batch_op.create_unique_constraint('uq_period_closes_campaign_id_period_period_key',
                                          ['campaign_id', 'period', 'period_key'])
        batch_op.drop_column('game_version')
    for table in ('award_failures', 'scores', 'play_sessions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('game_version')

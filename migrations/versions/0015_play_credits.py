"""extra plays: play credits, and the session that spends one

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('play_credits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('player_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_key', sa.String(length=80), nullable=False),
    sa.Column('day_key', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_play_credits_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['player_id'], ['players.id'], name=op.f('fk_play_credits_player_id_players')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_play_credits')),
    sa.UniqueConstraint('campaign_id', 'player_id', 'source_key', name=op.f('uq_play_credits_campaign_id_player_id_source_key'))
    )
    with op.batch_alter_table('play_credits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_play_credits_player_id'), ['player_id'], unique=False)
    with op.batch_alter_table('play_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_play_sessions_credit_id_play_credits'),
                                    'play_credits', ['credit_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_play_sessions_credit_id'), ['credit_id'])


def downgrade():
    with op.batch_alter_table('play_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_play_sessions_credit_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_play_sessions_credit_id_play_credits'),
                                 type_='foreignkey')
        batch_op.drop_column('credit_id')
    with op.batch_alter_table('play_credits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_play_credits_player_id'))
    op.drop_table('play_credits')

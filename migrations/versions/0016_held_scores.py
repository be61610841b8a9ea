"""held scores: a score far beyond its campaign's distribution waits for review

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('held_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('player_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=32), nullable=False),
    sa.Column('score', sa.BigInteger(), nullable=False),
    sa.Column('moves', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=True),
    sa.Column('move_log', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_held_scores_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['player_id'], ['players.id'], name=op.f('fk_held_scores_player_id_players')),
    sa.ForeignKeyConstraint(['session_id'], ['play_sessions.id'], name=op.f('fk_held_scores_session_id_play_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_scores')),
    sa.UniqueConstraint('session_id', name=op.f('uq_held_scores_session_id'))
    )
    with op.batch_alter_table('held_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_scores_campaign_id'), ['campaign_id'], unique=False)


def downgrade():
    with op.batch_alter_table('held_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_scores_campaign_id'))
    op.drop_table('held_scores')

"""award failures and reward-rule repeat

An earned coupon that could not be issued is kept with its reason
(award_failures) until a retry issues it. Reward rules say whether they pay
once per player or once per period won; rank rules, which always named the
period in their award key, become "per_period", the others "once".

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reward_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repeat', sa.String(length=12), nullable=False,
                                      server_default='once'))
    op.execute("UPDATE reward_rules SET repeat = 'per_period' WHERE trigger = 'rank'")
    op.create_table('award_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('player_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=24), nullable=False),
    sa.Column('award_key', sa.String(length=120), nullable=False),
    sa.Column('past_limit', sa.Boolean(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=True),
    sa.Column('period_key', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('coupon_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_tried_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['coupon_batches.id'], name=op.f('fk_award_failures_batch_id_coupon_batches')),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_award_failures_brand_id_brands')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_award_failures_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_award_failures_coupon_id_coupons')),
    sa.ForeignKeyConstraint(['player_id'], ['players.id'], name=op.f('fk_award_failures_player_id_players')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_failures')),
    sa.UniqueConstraint('brand_id', 'award_key', name=op.f('uq_award_failures_brand_id_award_key'))
    )
    op.create_index('ix_award_failures_campaign_status', 'award_failures',
                    ['campaign_id', 'status'], unique=False)


def downgrade():
    op.drop_index('ix_award_failures_campaign_status', table_name='award_failures')
    op.drop_table('award_failures')
    with op.batch_alter_table('reward_rules', schema=None) as batch_op:
        batch_op.drop_column('repeat')

"""neutral names for server-authoritative game state

gardens -> game_states (matured_at -> goal_reached_at), garden_actions ->
game_actions (garden_id -> game_state_id), reward trigger and coupon source
"maturity" -> "goal_reached". PostgreSQL renames in place; SQLite copies into
tables created with the new names (its constraint names live in the table's
SQL). No row is lost either way, and downgrade restores the old names.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

NEW = {"states": "game_states", "actions": "game_actions", "fk": "game_state_id",
       "reached": "goal_reached_at", "trigger": "goal_reached"}
OLD = {"states": "gardens", "actions": "garden_actions", "fk": "garden_id",
       "reached": "matured_at", "trigger": "maturity"}


def _create(n):
    op.create_table(n["states"],
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('player_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column(n["reached"], sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=f'fk_{n["states"]}_campaign_id_campaigns'),
    sa.ForeignKeyConstraint(['player_id'], ['players.id'], name=f'fk_{n["states"]}_player_id_players'),
    sa.PrimaryKeyConstraint('id', name=f'pk_{n["states"]}'),
    sa.UniqueConstraint('campaign_id', 'player_id', name=f'uq_{n["states"]}_campaign_id_player_id')
    )
    op.create_index(f'ix_{n["states"]}_player_id', n["states"], ['player_id'], unique=False)
    op.create_table(n["actions"],
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column(n["fk"], sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint([n["fk"]], [f'{n["states"]}.id'], name=f'fk_{n["actions"]}_{n["fk"]}_{n["states"]}'),
    sa.PrimaryKeyConstraint('id', name=f'pk_{n["actions"]}'),
    sa.UniqueConstraint(n["fk"], 'idempotency_key', name=f'uq_{n["actions"]}_{n["fk"]}_idempotency_key')
    )


def _copy(a, b):
    """Copy every row of the ``a`` tables into the new ``b`` tables, then drop ``a``'s (SQLite)."""
    _create(b)
    op.execute(f'INSERT INTO {b["states"]} (id, campaign_id, player_id, state, version, '
               f'{b["reached"]}, created_at, updated_at) SELECT id, campaign_id, player_id, '
               f'state, version, {a["reached"]}, created_at, updated_at FROM {a["states"]}')
    op.execute(f'INSERT INTO {b["actions"]} (id, {b["fk"]}, idempotency_key, action, result, '
               f'created_at) SELECT id, {a["fk"]}, idempotency_key, action, result, created_at '
               f'FROM {a["actions"]}')
    op.drop_table(a["actions"])
    op.drop_index(f'ix_{a["states"]}_player_id', table_name=a["states"])
    op.drop_table(a["states"])


def _rename(a, b):
    """Rename tables, columns, constraints, the index and sequences in place (PostgreSQL)."""
    sa_, sb = a["states"], b["states"]
    xa, xb = a["actions"], b["actions"]
    for old, new in ((sa_, sb), (xa, xb)):
        op.rename_table(old, new)
        op.execute(f'ALTER SEQUENCE {old}_id_seq RENAME TO {new}_id_seq')
        op.execute(f'ALTER TABLE {new} RENAME CONSTRAINT pk_{old} TO pk_{new}')
    op.alter_column(sb, a["reached"], new_column_name=b["reached"])
    op.alter_column(xb, a["fk"], new_column_name=b["fk"])
    for old, new in ((f'fk_{sa_}_campaign_id_campaigns', f'fk_{sb}_campaign_id_campaigns'),
                     (f'fk_{sa_}_player_id_players', f'fk_{sb}_player_id_players'),
                     (f'uq_{sa_}_campaign_id_player_id', f'uq_{sb}_campaign_id_player_id')):
        op.execute(f'ALTER TABLE {sb} RENAME CONSTRAINT {old} TO {new}')
    for old, new in ((f'fk_{xa}_{a["fk"]}_{sa_}', f'fk_{xb}_{b["fk"]}_{sb}'),
                     (f'uq_{xa}_{a["fk"]}_idempotency_key', f'uq_{xb}_{b["fk"]}_idempotency_key')):
        op.execute(f'ALTER TABLE {xb} RENAME CONSTRAINT {old} TO {new}')
    op.execute(f'ALTER INDEX ix_{sa_}_player_id RENAME TO ix_{sb}_player_id')


def _move(a, b):
    if op.get_bind().dialect.name == "postgresql":
        _rename(a, b)
    else:
        _copy(a, b)
    op.execute(f"UPDATE reward_rules SET \"trigger\" = '{b['trigger']}' "
               f"WHERE \"trigger\" = '{a['trigger']}'")
    op.execute(f"UPDATE coupons SET source = '{b['trigger']}' WHERE source = '{a['trigger']}'")


def upgrade():
    _move(OLD, NEW)


def downgrade():
    _move(NEW, OLD)

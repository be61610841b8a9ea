"""Read a brand's activity as numpy columns: one query per table, never one per player.

Each table is read whole for the brand (or for some players, in chunks),
times as Unix seconds computed by the database, into plain arrays that
``tags.metrics`` turns into player metrics. Nothing here is per-player code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import BigInteger, cast, extract, func, select

from engine.extensions import db
from engine.models import (
    Campaign,
    Coupon,
    Event,
    GameState,
    Player,
    PlayerProfile,
    Referral,
    Score,
)
from engine.referral.tokens import sharer_from_token

_CHUNK = 5_000


@dataclass
class Columns:
    """A brand's activity as arrays; ``player_ids`` is sorted and every ``*_player`` indexes it.

    Index arrays (``*_player``) hold positions in ``player_ids``, not ids.
    """

    now: int
    player_ids: np.ndarray
    player_created: np.ndarray
    campaign_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    campaign_types: list[str] = field(default_factory=list)
    campaign_lower_better: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    event_kinds: list[str] = field(default_factory=list)
    event_player: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    event_campaign: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    event_kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    event_at: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    share_open_sharer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    score_player: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    score_campaign: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    score_value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    score_duration: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    score_metrics: list = field(default_factory=list)
    best_campaign: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    best_value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    best_player_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ref_campaign: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ref_player_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ref_referrer_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ref_depth: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    coupon_player: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    coupon_source: list[str] = field(default_factory=list)
    coupon_redeemed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    garden_player: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    garden_campaign: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    garden_states: list = field(default_factory=list)
    profile_completed: np.ndarray | None = None

    def index_of(self, ids: np.ndarray) -> np.ndarray:
        """Return the positions of player ``ids`` in ``player_ids`` (-1 where absent)."""
        ids = np.asarray(ids, np.int64)
        pos = np.searchsorted(self.player_ids, ids)
        pos = np.minimum(pos, max(len(self.player_ids) - 1, 0))
        found = (len(self.player_ids) > 0) & (self.player_ids[pos] == ids) if len(ids) else pos
        return np.where(found, pos, -1)


def epoch(column):
    """Return a SQL expression for ``column`` as integer Unix seconds (PostgreSQL or SQLite)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(extract("epoch", column), BigInteger)
    return cast(func.strftime("%s", column), BigInteger)


def _rows(query, player_col, players: np.ndarray | None) -> list:
    if players is None:
        return db.session.execute(query).all()
    out = []
    for start in range(0, len(players), _CHUNK):
        part = players[start:start + _CHUNK].tolist()
        out += db.session.execute(query.where(player_col.in_(part))).all()
    return out


def _ints(rows: list, col: int) -> np.ndarray:
    return np.fromiter((r[col] for r in rows), np.int64, len(rows))


def load(brand_id: int, now: int, players: np.ndarray | None = None) -> Columns:
    """Read the brand's activity (only ``players``' own rows when given) into columns.

    Distributions that rank a player among others (best scores per campaign,
    the referral forests) are always read for the whole brand, so a subset
    gets the same metrics as a full read.
    """
    query = select(Player.id, epoch(Player.created_at)).where(Player.brand_id == brand_id)
    rows = sorted(_rows(query, Player.id, players))
    cols = Columns(now=now, player_ids=_ints(rows, 0), player_created=_ints(rows, 1))
    _load_campaigns(cols, brand_id)
    _load_events(cols, brand_id, players)
    _load_scores(cols, brand_id, players)
    _load_referrals(cols, brand_id)
    _load_coupons(cols, brand_id, players)
    _load_gardens(cols, brand_id, players)
    _load_profiles(cols, brand_id, players)
    return cols


def _load_campaigns(cols: Columns, brand_id: int) -> None:
    from games import get_game_type

    rows = db.session.execute(select(Campaign.id, Campaign.game_type, Campaign.game_params)
                              .where(Campaign.brand_id == brand_id).order_by(Campaign.id)).all()
    cols.campaign_ids = _ints(rows, 0)
    cols.campaign_types = [r[1] for r in rows]
    cols.campaign_lower_better = np.array(
        [get_game_type(r[1]).lower_is_better(r[2] or {}) for r in rows], bool)


def _load_events(cols: Columns, brand_id: int, players: np.ndarray | None) -> None:
    query = select(Event.player_id, func.coalesce(Event.campaign_id, 0), Event.kind,
                   epoch(Event.created_at)).where(Event.brand_id == brand_id,
                                                   Event.player_id.is_not(None))
    rows = _rows(query, Event.player_id, players)
    cols.event_player = cols.index_of(_ints(rows, 0))
    cols.event_campaign = _ints(rows, 1)
    kinds, codes = np.unique(np.array([r[2] for r in rows], dtype=object).astype(str),
                             return_inverse=True) if rows else (np.array([]), np.zeros(0))
    cols.event_kinds = [str(k) for k in kinds]
    cols.event_kind = codes.astype(np.int16)
    cols.event_at = _ints(rows, 3)
    cols.share_open_sharer = _share_open_sharers(brand_id, players, cols)


def _share_open_sharers(brand_id: int, players: np.ndarray | None, cols: Columns) -> np.ndarray:
    """Return the sharer's position for every visit that came through a share link.

    Tokens are per (campaign, sharer): each distinct one is checked once.
    """
    query = select(Event.campaign_id, Event.props["share_token"].as_string()).where(
        Event.brand_id == brand_id, Event.kind == "visit")
    rows = [r for r in db.session.execute(query).all() if r[1]]
    campaigns = {c.id: c for c in db.session.scalars(
        select(Campaign).where(Campaign.brand_id == brand_id))}
    sharers: dict[tuple, int | None] = {}
    out = []
    for campaign_id, token in rows:
        if (campaign_id, token) not in sharers:
            sharers[(campaign_id, token)] = sharer_from_token(campaigns[campaign_id], token)
        if sharers[(campaign_id, token)] is not None:
            out.append(sharers[(campaign_id, token)])
    index = cols.index_of(np.array(out, np.int64))
    return index[index >= 0]


def _load_scores(cols: Columns, brand_id: int, players: np.ndarray | None) -> None:
    query = (select(Score.player_id, Score.campaign_id, Score.score, Score.duration_ms,
                    Score.metrics).join(Campaign, Campaign.id == Score.campaign_id)
             .where(Campaign.brand_id == brand_id).order_by(Score.id))
    rows = _rows(query, Score.player_id, players)
    cols.score_player = cols.index_of(_ints(rows, 0))
    cols.score_campaign = _ints(rows, 1)
    cols.score_value = _ints(rows, 2)
    cols.score_duration = _ints(rows, 3)
    cols.score_metrics = [r[4] or {} for r in rows]
    best = db.session.execute(
        select(Score.campaign_id, Score.player_id, func.max(Score.score), func.min(Score.score))
        .join(Campaign, Campaign.id == Score.campaign_id).where(Campaign.brand_id == brand_id)
        .group_by(Score.campaign_id, Score.player_id)).all()
    lower = dict(zip(cols.campaign_ids.tolist(), cols.campaign_lower_better.tolist(),
                     strict=True))
    cols.best_campaign = _ints(best, 0)
    cols.best_player_id = _ints(best, 1)
    cols.best_value = np.fromiter((r[3] if lower.get(r[0]) else r[2] for r in best),
                                  np.int64, len(best))


def _load_referrals(cols: Columns, brand_id: int) -> None:
    rows = db.session.execute(
        select(Referral.campaign_id, Referral.player_id, Referral.referrer_id, Referral.depth)
        .join(Campaign, Campaign.id == Referral.campaign_id)
        .where(Campaign.brand_id == brand_id)).all()
    cols.ref_campaign, cols.ref_player_id = _ints(rows, 0), _ints(rows, 1)
    cols.ref_referrer_id, cols.ref_depth = _ints(rows, 2), _ints(rows, 3)


def _load_coupons(cols: Columns, brand_id: int, players: np.ndarray | None) -> None:
    query = select(Coupon.player_id, Coupon.source, Coupon.status).where(
        Coupon.brand_id == brand_id, Coupon.player_id.is_not(None))
    rows = _rows(query, Coupon.player_id, players)
    cols.coupon_player = cols.index_of(_ints(rows, 0))
    cols.coupon_source = [r[1] or "" for r in rows]
    cols.coupon_redeemed = np.array([r[2] == "redeemed" for r in rows], bool)


def _load_gardens(cols: Columns, brand_id: int, players: np.ndarray | None) -> None:
    query = (select(GameState.player_id, GameState.campaign_id, GameState.state)
             .join(Campaign, Campaign.id == GameState.campaign_id)
             .where(Campaign.brand_id == brand_id))
    rows = _rows(query, GameState.player_id, players)
    cols.garden_player = cols.index_of(_ints(rows, 0))
    cols.garden_campaign = _ints(rows, 1)
    cols.garden_states = [r[2] or {} for r in rows]


def _load_profiles(cols: Columns, brand_id: int, players: np.ndarray | None) -> None:
    """Mark the players who answered one of the brand's profile forms (with consent)."""
    query = select(PlayerProfile.player_id).where(PlayerProfile.brand_id == brand_id).distinct()
    found = cols.index_of(_ints(_rows(query, PlayerProfile.player_id, players), 0))
    completed = np.zeros(len(cols.player_ids), bool)
    completed[found[found >= 0]] = True
    cols.profile_completed = completed

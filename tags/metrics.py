"""Player metrics for a whole brand at once, computed with numpy from ``tags.columns``.

Every metric is one float64 array over the brand's players (NaN: unknown,
e.g. never active); per-campaign metrics are one such array per campaign.
The names, types and meanings are the table in docs/tags.md; ``METRICS`` is
the same table in code, and the rule schema accepts exactly these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from games import GAME_TYPES
from tags.columns import Columns

DAY = 86_400
# days are counted in China time (UTC+8, no daylight saving)
LOCAL_OFFSET = 8 * 3600

METRICS: dict[str, str] = {
    "plays": "finished plays of replayed games plus nurture actions",
    "days_active": "distinct days with any activity",
    "first_active_days_ago": "days since the first activity (NaN: never active)",
    "last_active_days_ago": "days since the last activity (NaN: never active)",
    "first_seen_days_ago": "days since the player was first seen",
    "play_time_s": "seconds played in total (replayed games)",
    "streak": "consecutive active days ending today or yesterday",
    "visits": "play-page visits",
    "visits_without_play": "campaigns visited but never played",
    "shares_made": "share links created (`share` events)",
    "share_opens_caused": "visits that came through the player's share links",
    "referred_players": "players the player referred directly",
    "downstream_size": "players below the player in referral trees",
    "referral_depth": "the player's own depth in a referral tree (0: not referred)",
    "chain_depth": "the longest referral chain through the player",
    "coupons_claimed": "coupons claimed (领券)",
    "coupons_won": "coupons won (draws, score and rank rewards, referral rewards)",
    "coupons_redeemed": "coupons redeemed",
    "coupons_unredeemed": "coupons held and not redeemed",
    "profile_completed": "1 when the player filled the brand's profile form",
}
METRICS.update({f"plays_{name}": f"plays of {name} games" for name in GAME_TYPES})
METRICS.update({f"affinity_{name}": f"share of plays that were {name} (0..1)"
                for name in GAME_TYPES})
for _name, _game in GAME_TYPES.items():
    METRICS.update({f"{_name}_{key}": meaning
                    for key, meaning in getattr(_game, "metric_names", {}).items()})
# per-campaign metrics: a rule names the campaign (an id, or "any")
CAMPAIGN_METRICS: dict[str, str] = {
    "best_score": "best score in the campaign (the lowest in a time trial)",
    "campaign_plays": "finished plays in the campaign",
}


@dataclass
class Metrics:
    """Every metric of a brand's players, and the events that windows count."""

    now: int
    player_ids: np.ndarray
    values: dict[str, np.ndarray]
    per_campaign: dict[str, dict[int, np.ndarray]]
    top_pct: dict[int, np.ndarray]
    event_kinds: list[str] = field(default_factory=list)
    event_player: np.ndarray | None = None
    event_kind: np.ndarray | None = None
    event_at: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.player_ids)


def _count(index: np.ndarray, n: int, weights=None) -> np.ndarray:
    index = np.asarray(index, np.int64)
    keep = index >= 0
    w = None if weights is None else np.asarray(weights, np.float64)[keep]
    return np.bincount(index[keep], weights=w, minlength=n).astype(np.float64)


def _kind_mask(cols: Columns, *kinds: str) -> np.ndarray:
    codes = [i for i, k in enumerate(cols.event_kinds) if k in kinds]
    return np.isin(cols.event_kind, codes)


def compute(cols: Columns) -> Metrics:
    """Return every metric for the players in ``cols``."""
    n = len(cols.player_ids)
    values: dict[str, np.ndarray] = {}
    values.update(_activity(cols, n))
    values.update(_plays(cols, n))
    values.update(_sharing(cols, n))
    values.update(_forest(cols, n))
    values.update(_coupons(cols, n))
    values.update(_game_metrics(cols, n))
    values["profile_completed"] = (np.zeros(n) if cols.profile_completed is None
                                   else cols.profile_completed.astype(np.float64))
    per_campaign, top_pct = _campaigns(cols, n)
    return Metrics(now=cols.now, player_ids=cols.player_ids, values=values,
                   per_campaign=per_campaign, top_pct=top_pct, event_kinds=cols.event_kinds,
                   event_player=cols.event_player, event_kind=cols.event_kind,
                   event_at=cols.event_at)


def local_day(ts: np.ndarray | int) -> np.ndarray:
    """Return the China-time day number of Unix seconds ``ts``."""
    return (np.asarray(ts, np.int64) + LOCAL_OFFSET) // DAY


def _activity(cols: Columns, n: int) -> dict[str, np.ndarray]:
    active = cols.event_player >= 0
    who, at = cols.event_player[active], cols.event_at[active]
    first = np.full(n, np.inf)
    last = np.full(n, -np.inf)
    np.minimum.at(first, who, at)
    np.maximum.at(last, who, at)
    seen = np.isfinite(first)
    days = np.unique(who * (1 << 24) + local_day(at))
    day_player, day = days >> 24, days & ((1 << 24) - 1)
    return {"days_active": _count(day_player, n),
            "first_active_days_ago": np.where(seen, (cols.now - first) / DAY, np.nan),
            "last_active_days_ago": np.where(seen, (cols.now - last) / DAY, np.nan),
            "first_seen_days_ago": (cols.now - cols.player_created) / DAY,
            "streak": _streak(day_player, day, n, int(local_day(cols.now)))}


def _streak(day_player: np.ndarray, day: np.ndarray, n: int, today: int) -> np.ndarray:
    """Return each player's run of consecutive days that ends today or yesterday."""
    out = np.zeros(n)
    if not len(day):
        return out
    starts = np.ones(len(day), bool)
    starts[1:] = (day_player[1:] != day_player[:-1]) | (day[1:] != day[:-1] + 1)
    run_start = np.maximum.accumulate(np.where(starts, np.arange(len(day)), 0))
    length = np.arange(len(day)) - run_start + 1
    last = np.ones(len(day), bool)
    last[:-1] = day_player[1:] != day_player[:-1]
    current = last & (day >= today - 1)
    out[day_player[current]] = length[current]
    return out


def _plays(cols: Columns, n: int) -> dict[str, np.ndarray]:
    type_of = dict(zip(cols.campaign_ids.tolist(), cols.campaign_types, strict=True))
    score_type = np.array([type_of.get(c, "") for c in cols.score_campaign.tolist()], object)
    actions = _kind_mask(cols, "garden_action")
    event_type = np.array([type_of.get(c, "") for c in cols.event_campaign[actions].tolist()],
                          object)
    out: dict[str, np.ndarray] = {}
    total = np.zeros(n)
    for name in GAME_TYPES:
        plays = (_count(cols.score_player[score_type == name], n)
                 + _count(cols.event_player[actions][event_type == name], n))
        out[f"plays_{name}"] = plays
        total += plays
    for name in GAME_TYPES:
        out[f"affinity_{name}"] = np.divide(out[f"plays_{name}"], total,
                                            out=np.zeros(n), where=total > 0)
    out["plays"] = total
    out["play_time_s"] = _count(cols.score_player, n, cols.score_duration) / 1000
    out["visits"] = _count(cols.event_player[_kind_mask(cols, "visit")], n)
    out["visits_without_play"] = _visited_not_played(cols, n, actions)
    return out


def _visited_not_played(cols: Columns, n: int, actions: np.ndarray) -> np.ndarray:
    def pairs(player, campaign):
        keep = player >= 0
        return np.unique(player[keep] * (1 << 32) + campaign[keep])

    visits = _kind_mask(cols, "visit")
    visited = pairs(cols.event_player[visits], cols.event_campaign[visits])
    played = np.union1d(pairs(cols.score_player, cols.score_campaign),
                        pairs(cols.event_player[actions], cols.event_campaign[actions]))
    return _count(np.setdiff1d(visited, played) >> 32, n)


def _sharing(cols: Columns, n: int) -> dict[str, np.ndarray]:
    return {"shares_made": _count(cols.event_player[_kind_mask(cols, "share")], n),
            "share_opens_caused": _count(cols.share_open_sharer, n)}


def _forest(cols: Columns, n: int) -> dict[str, np.ndarray]:
    """Return referral metrics from every campaign's referral forest, deepest level first."""
    child = cols.ref_campaign * (1 << 32) + cols.ref_player_id
    parent = cols.ref_campaign * (1 << 32) + cols.ref_referrer_id
    nodes, inverse = np.unique(np.concatenate([child, parent]), return_inverse=True)
    c_node, p_node = inverse[:len(child)], inverse[len(child):]
    size, height, depth = (np.zeros(len(nodes), np.int64) for _ in range(3))
    depth[c_node] = cols.ref_depth
    for level in range(int(cols.ref_depth.max(initial=0)), 0, -1):
        at = cols.ref_depth == level
        np.add.at(size, p_node[at], size[c_node[at]] + 1)
        np.maximum.at(height, p_node[at], height[c_node[at]] + 1)
    who = cols.index_of(nodes & ((1 << 32) - 1))
    keep = who >= 0
    out = {"referred_players": _count(cols.index_of(cols.ref_referrer_id), n),
           "downstream_size": _count(who[keep], n, size[keep])}
    for name, per_node in (("referral_depth", depth), ("chain_depth", depth + height)):
        best = np.zeros(n)
        np.maximum.at(best, who[keep], per_node[keep])
        out[name] = best
    return out


def _coupons(cols: Columns, n: int) -> dict[str, np.ndarray]:
    claimed = np.array([s == "claim" for s in cols.coupon_source], bool)
    return {"coupons_claimed": _count(cols.coupon_player[claimed], n),
            "coupons_won": _count(cols.coupon_player[~claimed], n),
            "coupons_redeemed": _count(cols.coupon_player[cols.coupon_redeemed], n),
            "coupons_unredeemed": _count(cols.coupon_player[~cols.coupon_redeemed], n)}


def _campaigns(cols: Columns, n: int) -> tuple[dict, dict]:
    """Return per-campaign best scores and plays, and each player's top percent per campaign."""
    best: dict[int, np.ndarray] = {}
    plays: dict[int, np.ndarray] = {}
    top: dict[int, np.ndarray] = {}
    for cid, lower in zip(cols.campaign_ids.tolist(), cols.campaign_lower_better.tolist(),
                          strict=True):
        mine = cols.best_campaign == cid
        values, who = cols.best_value[mine], cols.index_of(cols.best_player_id[mine])
        ranked = np.sort(values)
        if lower:
            rank = np.searchsorted(ranked, values, "left") + 1
        else:
            rank = len(ranked) - np.searchsorted(ranked, values, "right") + 1
        keep = who >= 0
        best[cid], top[cid] = np.full(n, np.nan), np.full(n, np.nan)
        best[cid][who[keep]] = values[keep]
        top[cid][who[keep]] = 100.0 * rank[keep] / max(len(ranked), 1)
        plays[cid] = _count(cols.score_player[cols.score_campaign == cid], n)
    return {"best_score": best, "campaign_plays": plays}, top


def _game_metrics(cols: Columns, n: int) -> dict[str, np.ndarray]:
    """Return each game type's own metrics (``GameType.player_metrics``), prefixed by its name.

    A player in several campaigns of one type gets the highest value.
    """
    out: dict[str, np.ndarray] = {}
    type_of = dict(zip(cols.campaign_ids.tolist(), cols.campaign_types, strict=True))
    for name, game in GAME_TYPES.items():
        for key in game.metric_names:
            out[f"{name}_{key}"] = np.full(n, np.nan)
        for index, sessions, state in _per_player(cols, name, type_of):
            for key, value in game.player_metrics(sessions, state).items():
                column = out.get(f"{name}_{key}")
                if column is not None and value is not None:
                    column[index] = np.fmax(column[index], float(value))
    return out


def _per_player(cols: Columns, name: str, type_of: dict):
    """Yield (player index, sessions, state) for the players of game type ``name``."""
    if GAME_TYPES[name].replayed:
        ours = np.array([type_of.get(c) == name for c in cols.score_campaign.tolist()], bool)
        rows = np.flatnonzero(ours & (cols.score_player >= 0))
        rows = rows[np.argsort(cols.score_player[rows], kind="stable")]
        who = cols.score_player[rows]
        bounds = np.flatnonzero(np.diff(who)) + 1
        for group in np.split(rows, bounds) if len(rows) else []:
            yield int(cols.score_player[group[0]]), [
                {"score": int(cols.score_value[i]), "duration_ms": int(cols.score_duration[i]),
                 **cols.score_metrics[i]} for i in group.tolist()], None
        return
    for index, campaign, state in zip(cols.garden_player.tolist(), cols.garden_campaign.tolist(),
                                      cols.garden_states, strict=True):
        if index >= 0 and type_of.get(campaign) == name:
            yield index, [], state

"""The referral KPI report of a campaign, computed with numpy over the whole forest.

Definitions (docs/referral.md): *players* are the campaign's players with
any event in the range; a *share* is a share link created (never a WeChat
callback); *K-factor* is referred players ÷ players (i × c: shares per
player × referred players per share); *share rate* is players who shared ÷
players; *viral cycle time* is the median, over sharers with a referred
friend's verified play, of the time from the sharer's first visit to the
first such play; *k_by_generation* is players at depth g+1 ÷ players at
depth g. The daily series is by the campaign's local day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select

from engine.clock import as_utc, local_day
from engine.errors import NotFound, Unprocessable
from engine.extensions import db
from engine.models import Campaign, Event, Player, Referral
from engine.referral import forest as forest_mod

KINDS = ("visit", "share", "share_open", "play_finished", "garden_action", "referred_play",
         "coupon_issued", "coupon_redeemed")
TOP_SHARERS = 10
TREE_LIMIT = 500  # nodes of one tree answer
# Levels below the asked player shown in one tree answer. A share chain has no
# depth limit (an abuse ring runs hundreds deep), but one answer is read by
# people and walked by recursive readers (the schema's nested dump, ``asdict``,
# ``from_kept``), which must stay far inside Python's recursion limit (1,000
# frames; marshmallow spends about five per level). A node at this depth with
# referrals of its own says so (``cut_by_depth``): its tree continues the chain.
TREE_DEPTH = 30


@dataclass(frozen=True)
class Sharer:
    """A top sharer as the report names them: the player's id and shown name.

    The report is kept in Redis between requests (``report_cache``), so it
    holds what it showed of the row, not the row.
    """

    id: int
    nickname: str


@dataclass(frozen=True)
class TopSharer:
    """A sharer with the most referred players: direct referrals and the whole tree below."""

    player: Sharer
    direct: int
    downstream: int


@dataclass(frozen=True)
class Funnel:
    """How many distinct players reached each step."""

    visit: int
    play: int
    share: int
    referred_play: int
    coupon_claimed: int
    coupon_redeemed: int


@dataclass(frozen=True)
class ReportDay:
    """One local day of the campaign: counts of events and referrals."""

    date: str
    visits: int
    shares: int
    share_opens: int
    referred_players: int
    referred_plays: int


@dataclass(frozen=True)
class ReferralReport:
    """Every KPI of the report (API.md, Reports)."""

    players: int
    visits: int
    shares: int
    share_opens: int
    referred_players: int
    k_factor: float
    share_rate: float
    viral_cycle_time_s: float | None
    max_depth: int
    depth_histogram: dict[str, int]
    k_by_generation: dict[str, float]
    top_sharers: list[TopSharer]
    funnel: Funnel
    daily: list[ReportDay] = field(default_factory=list)

    @classmethod
    def from_kept(cls, kept: dict) -> ReferralReport:
        """Return the report from its kept form (``dataclasses.asdict``, as JSON)."""
        return cls(**{**kept, "funnel": Funnel(**kept["funnel"]),
                      "top_sharers": [TopSharer(Sharer(**s["player"]), s["direct"],
                                                s["downstream"]) for s in kept["top_sharers"]],
                      "daily": [ReportDay(**day) for day in kept["daily"]]})


@dataclass(frozen=True)
class TreeNode:
    """A player in a sharer's downstream tree, with the children shown."""

    player_id: int
    depth: int
    direct: int
    downstream: int
    truncated: bool  # more children than shown (the node budget ran out, or the depth did)
    children: list[TreeNode]
    # at ``TREE_DEPTH`` levels below the asked player, with referrals not shown: ask its own tree
    cut_by_depth: bool = False

    @classmethod
    def from_kept(cls, kept: dict) -> TreeNode:
        """Return the tree from its kept form (``dataclasses.asdict``, as JSON).

        It recurses once per level: a kept tree is at most ``TREE_DEPTH`` deep.
        """
        return cls(**{**kept, "children": [cls.from_kept(c) for c in kept["children"]]})

    def rows(self) -> list[tuple[int, TreeNode]]:
        """Return every node shown with its level below this one, in pre-order (no recursion)."""
        found, stack = [], [(0, self)]
        while stack:
            level, node = stack.pop()
            found.append((level, node))
            stack.extend((level + 1, child) for child in reversed(node.children))
        return found


def check_range(start: datetime | None, end: datetime | None) -> None:
    """Refuse a range whose start is after its end (422 ``invalid_range``)."""
    if start and end and start > end:
        raise Unprocessable("开始时间晚于结束时间", code="invalid_range",
                            fields={"from": ["must not be after to"]})


def _in_range(query, column, start, end):
    if start:
        query = query.where(column >= start)
    if end:
        query = query.where(column <= end)
    return query


def _rows(query) -> list[tuple]:
    """Return the rows of a Core query (fetched at once), without the ORM's row loading."""
    return db.session.connection().execute(query).all()


def _events(campaign: Campaign, start, end) -> list[tuple]:
    events = Event.__table__.c
    query = select(events.kind, events.player_id, events.created_at).where(
        events.campaign_id == campaign.id, events.kind.in_(KINDS))
    return _rows(_in_range(query, events.created_at, start, end))


def _referrals(campaign: Campaign, start, end) -> list[tuple]:
    refs = Referral.__table__.c
    query = select(refs.player_id, refs.referrer_id, refs.created_at,
                   refs.verified_at).where(refs.campaign_id == campaign.id)
    return _rows(_in_range(query, refs.created_at, start, end))


def _forest(events: list[tuple], refs: list[tuple]):
    ids = np.unique(np.array([e[1] for e in events if e[1] is not None]
                             + [r[0] for r in refs] + [r[1] for r in refs], dtype=np.int64))
    children = np.array([r[0] for r in refs], dtype=np.int64)
    referrers = np.array([r[1] for r in refs], dtype=np.int64)
    return ids, forest_mod.build(forest_mod.parents_from_pairs(ids, children, referrers))


def _distinct(events: list[tuple], *kinds: str) -> int:
    return len({e[1] for e in events if e[0] in kinds and e[1] is not None})


def _funnel(events: list[tuple]) -> Funnel:
    return Funnel(visit=_distinct(events, "visit"),
                  play=_distinct(events, "play_finished", "garden_action"),
                  share=_distinct(events, "share"),
                  referred_play=_distinct(events, "referred_play"),
                  coupon_claimed=_distinct(events, "coupon_issued"),
                  coupon_redeemed=_distinct(events, "coupon_redeemed"))


def _viral_cycle_s(events: list[tuple], refs: list[tuple]) -> float | None:
    first_visit: dict[int, datetime] = {}
    for kind, player_id, at in events:
        if kind == "visit" and player_id is not None:
            first_visit[player_id] = min(first_visit.get(player_id, at), at)
    first_play: dict[int, datetime] = {}
    for _child, referrer, _at, verified in refs:
        if verified is not None:
            first_play[referrer] = min(first_play.get(referrer, verified), verified)
    gaps = [(as_utc(first_play[p]) - as_utc(first_visit[p])).total_seconds()
            for p in first_play if p in first_visit]
    return float(np.median(gaps)) if gaps else None


QUARTER_S = 900  # every zone's offset, and every change of it, falls on a quarter hour


def _local_days(tz: str) -> Callable[[datetime], str]:
    """Return a function giving a moment's local day (ISO), worked out once per quarter hour.

    A local day changes only at a quarter hour of UTC, so a campaign's
    million events need a few thousand zone conversions, not a million.
    """
    days: dict[int, str] = {}

    def day_of(at: datetime) -> str:
        quarter = int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()) // QUARTER_S
        found = days.get(quarter)
        if found is None:
            found = days[quarter] = local_day(as_utc(at), tz).isoformat()
        return found
    return day_of


def _daily(campaign: Campaign, events: list[tuple], refs: list[tuple]) -> list[ReportDay]:
    day_of = _local_days(campaign.timezone)
    rows: dict[str, dict[str, int]] = {}
    names = {"visit": "visits", "share": "shares", "share_open": "share_opens",
             "referred_play": "referred_plays"}
    for kind, _player, at in events:
        if kind in names:
            day = rows.setdefault(day_of(at), {})
            day[names[kind]] = day.get(names[kind], 0) + 1
    for _child, _referrer, at, _verified in refs:
        day = rows.setdefault(day_of(at), {})
        day["referred_players"] = day.get("referred_players", 0) + 1
    columns = ("visits", "shares", "share_opens", "referred_players", "referred_plays")
    return [ReportDay(d, **{c: rows[d].get(c, 0) for c in columns}) for d in sorted(rows)]


def _top_sharers(ids: np.ndarray, forest: forest_mod.Forest) -> list[TopSharer]:
    ranked = np.lexsort((ids, -forest.direct, -forest.downstream))[:TOP_SHARERS]
    ranked = [int(i) for i in ranked if forest.direct[i] > 0]
    players = {p.id: p for p in db.session.scalars(
        select(Player).where(Player.id.in_([int(ids[i]) for i in ranked])))}
    return [TopSharer(Sharer(int(ids[i]), players[int(ids[i])].display_name),
                      int(forest.direct[i]), int(forest.downstream[i]))
            for i in ranked]


def referral_report(campaign: Campaign, start: datetime | None = None,
                    end: datetime | None = None) -> ReferralReport:
    """Compute the campaign's referral KPIs over ``[start, end]`` (both optional)."""
    check_range(start, end)
    events, refs = _events(campaign, start, end), _referrals(campaign, start, end)
    ids, forest = _forest(events, refs)
    players, funnel = len(ids), _funnel(events)
    counts = {k: sum(1 for e in events if e[0] == k) for k in ("visit", "share", "share_open")}
    histogram = forest.depth_histogram() if players else np.zeros(0, dtype=np.int64)
    return ReferralReport(
        players=players, visits=counts["visit"], shares=counts["share"],
        share_opens=counts["share_open"], referred_players=len(refs),
        k_factor=round(len(refs) / players, 4) if players else 0.0,
        share_rate=round(funnel.share / players, 4) if players else 0.0,
        viral_cycle_time_s=_viral_cycle_s(events, refs), max_depth=forest.max_depth,
        depth_histogram={str(d): int(c) for d, c in enumerate(histogram)},
        k_by_generation={str(g): round(k, 4) for g, k in enumerate(forest.k_by_generation())}
        if players else {},
        top_sharers=_top_sharers(ids, forest) if players else [], funnel=funnel,
        daily=_daily(campaign, events, refs))


def _shown(order: np.ndarray, starts: np.ndarray, at: int) -> list[tuple[int, int, int]]:
    """Return the nodes one tree answer shows: (forest index, level, parent's place or -1).

    They are the first ``TREE_LIMIT`` nodes of the pre-order walk from ``at``
    (children by ascending player id) that lie at most ``TREE_DEPTH`` levels
    below it. An explicit stack, not recursion: a chain may be of any length.
    """
    shown: list[tuple[int, int, int]] = []
    stack = [(at, 0, -1)]
    while stack and len(shown) < TREE_LIMIT:
        i, level, parent = stack.pop()
        place = len(shown)
        shown.append((i, level, parent))
        if level < TREE_DEPTH:
            kids = order[starts[i]:starts[i + 1]][:TREE_LIMIT - len(shown)]  # more never show
            stack.extend((int(k), level + 1, place) for k in kids[::-1])
    return shown


def _node(ids: np.ndarray, forest: forest_mod.Forest, i: int, level: int,
          shown: list[TreeNode]) -> TreeNode:
    direct = int(forest.direct[i])
    return TreeNode(int(ids[i]), int(forest.depth[i]), direct, int(forest.downstream[i]),
                    len(shown) < direct, shown, cut_by_depth=level == TREE_DEPTH and direct > 0)


def tree_of(ids: np.ndarray, forest: forest_mod.Forest, at: int) -> TreeNode:
    """Return the tree shown below the forest's node ``at`` (see ``_shown``), built bottom-up."""
    order, starts = forest_mod.children_index(forest.parents)
    shown = _shown(order, starts, at)
    kids: list[list[TreeNode]] = [[] for _ in shown]
    for place in range(len(shown) - 1, 0, -1):  # children come after their parent
        i, level, parent = shown[place]
        kids[parent].append(_node(ids, forest, i, level, kids[place][::-1]))
    return _node(ids, forest, at, 0, kids[0][::-1])


def referral_tree(campaign: Campaign, player_id: int) -> TreeNode:
    """Return one sharer's downstream tree: at most ``TREE_LIMIT`` nodes, ``TREE_DEPTH`` levels."""
    player = db.session.get(Player, player_id)
    if player is None or player.brand_id != campaign.brand_id:
        raise NotFound("该玩家不在本活动中")
    ids, forest = _forest([("visit", player_id, None)], _referrals(campaign, None, None))
    return tree_of(ids, forest, int(np.searchsorted(ids, player_id)))

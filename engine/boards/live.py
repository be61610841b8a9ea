"""Live push over Socket.IO: the only module that emits events.

Namespace ``/live``: a client ``join``s a campaign's room for one period and
receives ``leaderboard`` pushes (coalesced: a burst of score updates becomes
at most one push per room per interval) and its own ``my_rank``. Emits use
the context-free ``socketio.emit(..., to=room)``; with a Redis message queue
a push from any process reaches clients connected to any other. Every event
body is dumped with its one schema in ``engine.api.schemas`` (``LIVE_EVENTS``),
the same shapes the OpenAPI document lists.
"""

from __future__ import annotations

import logging
import time

from flask import current_app, request
from flask_socketio import Namespace, emit, join_room, leave_room, rooms
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from engine import keys
from engine.access.identity import player_id_for
from engine.api.schemas import LeaderboardPushSchema, MyRankPushSchema
from engine.boards import leaderboard, standings
from engine.boards.periods import PERIODS
from engine.clock import utcnow
from engine.extensions import db, redis_store, socketio
from engine.models import Campaign

log = logging.getLogger(__name__)
NAMESPACE = "/live"
_BOARD, _MY_RANK = LeaderboardPushSchema(), MyRankPushSchema()
# pushes scheduled by this process and not yet known to be done
_pending: set = set()


class JoinSchema(Schema):
    """The ``join`` payload."""

    campaign = fields.String(required=True, validate=validate.Length(min=1, max=64))
    period = fields.String(load_default="all", validate=validate.OneOf(PERIODS))


def board_room(campaign_id: int, period: str) -> str:
    """Return the room that receives a campaign period's leaderboard."""
    return f"lb:{campaign_id}:{period}"


def player_room(player_id: int) -> str:
    """Return the room of one player's own connections."""
    return f"player:{player_id}"


def board_payload(campaign: Campaign, period: str, version: int) -> dict:
    """Return the ``leaderboard`` event body for a room."""
    board = standings.boards_at(campaign, utcnow())[period]
    size = current_app.config["LEADERBOARD_PUSH_SIZE"]
    return _BOARD.dump({"campaign": campaign.slug, "period": period,
                        "period_key": board.period_key, "version": version,
                        "entries": standings.entries_payload(leaderboard.top(board, size))})


def score_changed(campaign: Campaign, player_id: int,
                  ranked: dict[str, leaderboard.Ranked]) -> None:
    """Push ``my_rank`` to the player now and schedule coalesced board pushes."""
    for period, outcome in ranked.items():
        body = _MY_RANK.dump({"rank": outcome.rank, "score": outcome.best, "period": period,
                              "campaign": campaign.slug})
        socketio.emit("my_rank", body, to=player_room(player_id), namespace=NAMESPACE)
    _schedule_pushes(campaign, [period for period, o in ranked.items() if o.changed])


def _schedule_pushes(campaign: Campaign, periods: list[str]) -> None:
    if not periods:
        return
    interval_ms = current_app.config["LIVE_PUSH_INTERVAL_MS"]
    # the first change of an interval schedules the push; later ones ride along
    pipe = redis_store.r.pipeline(transaction=False)
    for period in periods:
        pipe.set(keys.live_pending(campaign.id, period), 1, nx=True, px=max(interval_ms, 1))
    app = current_app._get_current_object()
    for period, first in zip(periods, pipe.execute(), strict=True):
        if first:
            _pending.add(socketio.start_background_task(_push_later, app, campaign.id, period,
                                                        interval_ms / 1000))


def drain(timeout: float = 5.0) -> None:
    """Wait for scheduled pushes to go out (a CLI or job process, before it exits)."""
    for task in list(_pending):
        task.join(timeout)
        _pending.discard(task)


def _push_later(app, campaign_id: int, period: str, delay_s: float) -> None:
    time.sleep(delay_s)
    with app.app_context():
        try:
            push_board(db.session.get(Campaign, campaign_id), period)
        except Exception:  # a failed push must not kill the worker; the next change retries
            log.exception("leaderboard push failed for campaign %s", campaign_id)
        finally:
            db.session.remove()


def push_board(campaign: Campaign, period: str) -> int:
    """Emit the current board to its room now; return the version sent."""
    version = redis_store.r.incr(keys.live_version(campaign.id, period))
    socketio.emit("leaderboard", board_payload(campaign, period, version),
                  to=board_room(campaign.id, period), namespace=NAMESPACE)
    return version


class LiveNamespace(Namespace):
    """Handle ``/live`` connections: join a campaign room, leave it."""

    def on_connect(self, auth=None):
        # identity comes from the signed cookie sent with the handshake
        return None

    def on_join(self, data=None):
        # a client may emit ``join`` with no payload at all: that is a validation error too
        try:
            payload = JoinSchema().load(data if isinstance(data, dict) else {})
        except ValidationError as exc:
            return _refuse("validation_error", "join 参数有误", exc.messages)
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == payload["campaign"]))
        if campaign is None or campaign.status == "draft":
            return _refuse("not_found", "活动不存在")
        # only the brand's own players watch its rooms (they opened the play page)
        player_id = player_id_for(campaign.brand_id)
        if player_id is None:
            return _refuse("forbidden", "请先打开活动页面")
        for room in rooms():
            if room.startswith("lb:"):
                leave_room(room)
        join_room(board_room(campaign.id, payload["period"]))
        join_room(player_room(player_id))
        version = int(redis_store.r.get(keys.live_version(campaign.id, payload["period"])) or 0)
        emit("leaderboard", board_payload(campaign, payload["period"], version))
        log.debug("sid %s joined %s/%s", request.sid, campaign.slug, payload["period"])
        return None


def _refuse(code: str, message: str, fields: dict | None = None) -> None:
    """Answer the sender with an ``error`` event in the API.md shape."""
    emit("error", {"code": code, "message": message, "fields": fields or {}})

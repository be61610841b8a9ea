"""Live push over Socket.IO: the only module that emits events.

Namespace ``/live``: a client ``join``s a campaign's room for one period and
receives ``leaderboard`` pushes (the first change in a quiet room at once, a
burst after it coalesced into one trailing push per interval) and its own
``my_rank``: at once after the player's own score, and after a push whenever
the rank changed (``engine.boards.live_ranks``). Emits use the context-free
``socketio.emit(..., to=room)``; with
a Redis message queue a push from any process reaches clients connected to
any other. Every event body is dumped with its one schema in
``engine.api.schemas`` (``LIVE_EVENTS``), the same shapes the OpenAPI
document lists.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, request
from flask_socketio import Namespace, emit, join_room, leave_room, rooms
from marshmallow import Schema, ValidationError, fields, validate
from redis.client import Pipeline
from sqlalchemy import select

from engine import keys
from engine.access.identity import player_id_for
from engine.api.errors import error_body
from engine.api.schemas import LeaderboardPushSchema, MyRankPushSchema
from engine.boards import leaderboard, live_ranks, standings
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

    campaign = fields.String(required=True, validate=[
        validate.Length(min=1, max=64),
        validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Control characters are not allowed.")])
    period = fields.String(load_default="all", validate=validate.OneOf(PERIODS))


def board_room(campaign_id: int, period: str) -> str:
    """Return the room that receives a campaign period's leaderboard."""
    return f"lb:{campaign_id}:{period}"


def player_room(player_id: int) -> str:
    """Return the room of one player's own connections."""
    return f"player:{player_id}"


@dataclass(frozen=True)
class BoardPush:
    """A ``leaderboard`` event: a room's top N, numbered by its version and epoch."""

    campaign: str
    period: str
    period_key: str
    version: int
    epoch: str
    entries: list[standings.Standing]


def board_payload(campaign: Campaign, period: str, version: int, epoch: str = "") -> dict:
    """Return the ``leaderboard`` event body for a room.

    ``version`` orders a room's pushes; ``epoch`` names the counter's life: a
    Redis flush restarts the version, and the new epoch tells pages to follow it.
    """
    board = standings.boards_at(campaign, utcnow())[period]
    size = current_app.config["LEADERBOARD_PUSH_SIZE"]
    return _BOARD.dump(BoardPush(campaign.slug, period, board.period_key, version, epoch,
                                 standings.standings_of(leaderboard.top(board, size))))


def score_changed(campaign: Campaign, player_id: int, ranked: dict[str, leaderboard.Ranked],
                  along: Callable[[Pipeline], None] | None = None) -> None:
    """Push ``my_rank`` to the player now and schedule coalesced board pushes.

    The player's events, one per period, travel in one message to every
    process (``live_ranks.scored``), not one message-queue publish per emit.
    The push arrangement runs on the campaign's pipeline, with that message
    when the message queue is the app's Redis, and with the caller's own
    writes of the campaign's keys that ``along`` queues: one round trip.
    """
    periods = [period for period, outcome in ranked.items() if outcome.changed]
    pipe = redis_store.campaign_pipeline(campaign.id)
    _arrange_pushes(campaign, periods, pipe)
    if along is not None:
        along(pipe)
    live_ranks.scored(player_room(player_id), [
        _MY_RANK.dump(standings.PlayerRank(campaign.slug, period, outcome.rank, outcome.best))
        for period, outcome in ranked.items()], pipe)
    waits = redis_store.execute(pipe)[:len(periods)] if len(pipe) else []
    _start_pushes(campaign, periods, waits)


# KEYS: the room's window, its trailing-push flag. ARGV: window ms, flag's safety ms.
# Returns -1: the room was quiet, push now (the window opens); n >= 0: the first change
# of an open window, push in n ms (when it closes); -2: a trailing push is already due.
_ARRANGE = """
if redis.call('SET', KEYS[1], 1, 'NX', 'PX', ARGV[1]) then return -1 end
if redis.call('SET', KEYS[2], 1, 'NX', 'PX', ARGV[2]) then
  return math.max(redis.call('PTTL', KEYS[1]), 0)
end
return -2
"""


def _arrange_pushes(campaign: Campaign, periods: list[str], pipe: Pipeline) -> None:
    """Queue on ``pipe`` when each changed board is pushed: at once or when the window ends.

    The first change in a quiet room goes out immediately and opens a window
    of ``LIVE_PUSH_INTERVAL_MS``; every later change inside it rides on one
    trailing push at its end, which opens the next window. The keys are in
    Redis, so the rule holds across processes. The pipe's first replies, one
    per period, go to ``_start_pushes``.
    """
    interval_ms = max(current_app.config["LIVE_PUSH_INTERVAL_MS"], 1)
    for period in periods:
        redis_store.queue_script(pipe, _ARRANGE, [keys.live_pending(campaign.id, period),
                                                  keys.live_trailing(campaign.id, period)],
                                 [interval_ms, 20 * interval_ms])


def _start_pushes(campaign: Campaign, periods: list[str], waits: list[int]) -> None:
    """Start the pushes the arrangement asked for: now, later, or none (one is due)."""
    app = current_app._get_current_object()
    for period, wait_ms in zip(periods, waits, strict=True):
        if wait_ms == -1:
            _pending.add(socketio.start_background_task(_push_later, app, campaign.id,
                                                        period, 0.0, False))
        elif wait_ms >= 0:
            _pending.add(socketio.start_background_task(_push_later, app, campaign.id,
                                                        period, wait_ms / 1000, True))


def drain(timeout: float = 5.0) -> None:
    """Wait for scheduled pushes to go out (a CLI or job process, before it exits)."""
    for task in list(_pending):
        task.join(timeout)
        _pending.discard(task)


def _push_later(app, campaign_id: int, period: str, delay_s: float, trailing: bool) -> None:
    if delay_s:
        time.sleep(delay_s)
    with app.app_context():
        try:
            if trailing:  # changes from now on wait for the window this push opens
                interval_ms = max(app.config["LIVE_PUSH_INTERVAL_MS"], 1)
                pipe = redis_store.campaign_pipeline(campaign_id)
                pipe.delete(keys.live_trailing(campaign_id, period))
                pipe.set(keys.live_pending(campaign_id, period), 1, px=interval_ms)
                pipe.execute()
            push_board(db.session.get(Campaign, campaign_id), period)
        except Exception:  # a failed push must not kill the worker; the next change retries
            log.exception("leaderboard push failed for campaign %s", campaign_id)
        finally:
            db.session.remove()


def _next_version(campaign: Campaign, period: str) -> tuple[int, str]:
    """Count a room's push, starting a new epoch if the counter was lost; one round trip."""
    pipe = redis_store.r.pipeline(transaction=False)
    pipe.set(keys.live_epoch(campaign.id, period), secrets.token_hex(4), nx=True)
    pipe.get(keys.live_epoch(campaign.id, period))
    pipe.incr(keys.live_version(campaign.id, period))
    _, epoch, version = pipe.execute()
    return version, epoch.decode() if isinstance(epoch, bytes) else epoch


def _current_version(campaign: Campaign, period: str) -> tuple[int, str]:
    version, epoch = redis_store.r.mget(keys.live_version(campaign.id, period),
                                        keys.live_epoch(campaign.id, period))
    epoch = epoch.decode() if isinstance(epoch, bytes) else (epoch or "")
    return int(version or 0), epoch


def push_board(campaign: Campaign, period: str) -> int:
    """Emit the current board to its room now; return the version sent.

    The push is then announced to every process (``engine.boards.live_ranks``):
    each tells its own sockets whose player's rank changed, an overtaken player
    too, with one ``my_rank`` per push, not one per score that moved it.
    """
    version, epoch = _next_version(campaign, period)
    payload = board_payload(campaign, period, version, epoch)
    room = board_room(campaign.id, period)
    socketio.emit("leaderboard", payload, to=room, namespace=NAMESPACE)
    live_ranks.announce(campaign.slug, room, standings.boards_at(campaign, utcnow())[period])
    return version


class LiveNamespace(Namespace):
    """Handle ``/live`` connections: join a campaign room, leave it."""

    def on_connect(self, auth=None):
        # identity comes from the signed cookie sent with the handshake
        return None

    def on_disconnect(self, *reason):
        live_ranks.left(request.sid)

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
        live_ranks.joined(request.sid, player_id)
        version, epoch = _current_version(campaign, payload["period"])
        emit("leaderboard", board_payload(campaign, payload["period"], version, epoch))
        log.debug("sid %s joined %s/%s", request.sid, campaign.slug, payload["period"])
        return None


def _refuse(code: str, message: str, fields: dict | None = None) -> None:
    """Answer the sender with an ``error`` event in the API.md shape."""
    emit("error", error_body(code, message, fields)["error"])

"""Live ranks for everyone connected: ``my_rank`` to each player a board push moved.

A coalesced board push goes out from one process (``engine.boards.live``);
its ``leaderboard`` event reaches the sockets of every process through the
Socket.IO message queue. Which of those sockets belong to players whose rank
just changed (an overtaken player, listed on the pushed board or not) only
the process holding them can tell, so the push is announced on a Redis
pub/sub channel (``<LIVE_CHANNEL>:ranks``, on the queue's plain Redis) and
each process that has had a ``join`` listens to it. At each announcement a
process:

1. takes the sockets it holds in that board's room (nobody else's),
2. looks up the current rank and best of their players with one script call
   (one round trip, however many players),
3. emits ``my_rank`` to the sockets, in this process only, of the players
   whose (rank, best) differs from what this process last told them.

So a burst of finishes, coalesced into one push, costs one lookup per
process and at most one ``my_rank`` per connected player, never one event per
overtaken player per finish. A player not on the board who was never told
anything hears nothing.

The player who scored hears its ranks at the finish (``live.score_changed``)
on the same channel: one message carries its ``my_rank`` bodies, one per
period, and each process emits them to its own sockets in the player's room
(a single publish where the message queue would take one per emit). The
next push may repeat the same values once, since those events were not
counted as told.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import redis
from flask import current_app

from engine.api.schemas import MyRankPushSchema
from engine.boards.leaderboard import Board
from engine.boards.standings import PlayerRank
from engine.extensions import redis_store, socketio

log = logging.getLogger(__name__)
_MY_RANK = MyRankPushSchema()
NAMESPACE = "/live"
RECONNECT_S = 1.0

# KEYS[1] board, KEYS[2] members; ARGV[1] order ("asc"|"desc"), ARGV[2..] player ids.
# Answers {rank0, best0, rank1, best1, ...}: 1-based rank and best score, or -1 and ''
# for a player not on the board.
_RANKS = """
local out = {}
for i = 2, #ARGV do
  local member = redis.call('HGET', KEYS[2], ARGV[i])
  local rank, best = -1, ''
  if member then
    local r
    if ARGV[1] == 'asc' then r = redis.call('ZRANK', KEYS[1], member)
    else r = redis.call('ZREVRANK', KEYS[1], member) end
    if r then
      rank = r + 1
      best = redis.call('ZSCORE', KEYS[1], member)
    end
  end
  out[#out + 1] = rank
  out[#out + 1] = best
end
return out
"""

# this process's sockets on /live: sid -> player id (set by join, dropped at disconnect)
_players: dict[str, int] = {}
# what this process last told each player per board room: room -> player -> (rank, best)
_told: dict[str, dict[int, tuple[int | None, int | None]]] = {}
_listening = threading.Lock()
_listener = None
_publisher: dict[str, redis.Redis] = {}


def channel(app) -> str:
    """Return the pub/sub channel the pushes of this deployment are announced on."""
    return f"{app.config['LIVE_CHANNEL']}:ranks"


def joined(sid: str, player_id: int) -> None:
    """Remember a socket's player; start this process's listener at its first join."""
    global _listener
    _players[sid] = player_id
    if _listener is None:
        with _listening:
            if _listener is None:
                app = current_app._get_current_object()
                _listener = socketio.start_background_task(_listen, app)


def left(sid: str) -> None:
    """Forget a disconnected socket."""
    _players.pop(sid, None)


def announce(campaign_slug: str, room: str, board: Board) -> None:
    """Tell every listening process that ``room`` just got a push of ``board``."""
    _publish({"campaign": campaign_slug, "period": board.period, "room": room,
              "key": board.key, "members": board.members_key, "asc": board.ascending})


def scored(room: str, bodies: list[dict], pipe=None) -> None:
    """Tell every listening process a player's new ranks: one publish for all its ``my_rank``.

    ``room`` is the player's own room; each process emits the bodies, in
    order, to its own sockets in it (``tell_scored``). With ``pipe`` (a
    pipeline of the app's Redis) the publish rides on it when the channel is
    on that same Redis; the caller executes it.
    """
    message = {"room": room, "my_rank": bodies}
    if pipe is not None and redis_store.queue_is_app_redis:
        pipe.publish(channel(current_app), _encoded(message))
    else:
        _publish(message)


def _publish(message: dict) -> None:
    url = redis_store.queue_url
    client = _publisher.get(url)
    if client is None:
        client = _publisher.setdefault(url, redis.Redis.from_url(url))
    client.publish(channel(current_app), _encoded(message))


def _encoded(message: dict) -> str:
    return json.dumps(message, separators=(",", ":"))


def _listen(app) -> None:
    """Follow the announcements for as long as the process lives (reconnecting)."""
    name = channel(app)
    while True:
        client = pubsub = None
        try:
            client = redis.Redis.from_url(app.extensions["redis_store"].queue_url)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(name)
            for message in pubsub.listen():
                if message.get("type") == "message":
                    try:
                        _receive(json.loads(message["data"]))
                    except Exception:  # one bad announcement must not stop the listener
                        log.exception("my_rank after a push failed")
        except Exception:
            log.exception("live ranks listener lost Redis; reconnecting")
        finally:
            if pubsub is not None:
                pubsub.close()
            if client is not None:
                client.close()
        time.sleep(RECONNECT_S)


def _receive(message: dict) -> None:
    """Handle one message of the channel: a player's own ranks, or a board's push."""
    if "my_rank" in message:
        tell_scored(message)
    else:
        tell_moved(message)


def tell_scored(message: dict) -> None:
    """Emit a player's ``my_rank`` events to its sockets in this process only."""
    for body in message["my_rank"]:
        socketio.emit("my_rank", body, to=message["room"], namespace=NAMESPACE,
                      ignore_queue=True)


def _local_sockets(room: str) -> dict[int, list[str]]:
    """Return this process's sockets in ``room`` by player."""
    by_player: dict[int, list[str]] = {}
    for sid, _ in socketio.server.manager.get_participants(NAMESPACE, room):
        player_id = _players.get(sid)
        if player_id is not None:
            by_player.setdefault(player_id, []).append(sid)
    return by_player


def lookup(board_key: str, members_key: str, ascending: bool,
           player_ids: list[int]) -> dict[int, tuple[int | None, int | None]]:
    """Return (rank, best) of each player on a board, in one round trip."""
    script = redis_store.r.register_script(_RANKS)
    raw = script(keys=[board_key, members_key],
                 args=["asc" if ascending else "desc", *player_ids])
    found = {}
    for i, player_id in enumerate(player_ids):
        rank, best = int(raw[2 * i]), raw[2 * i + 1]
        found[player_id] = (None, None) if rank < 0 else (rank, int(float(best)))
    return found


def tell_moved(message: dict) -> int:
    """Emit ``my_rank`` to this process's sockets whose player's rank changed; return how many."""
    room = message["room"]
    sockets = _local_sockets(room)
    if not sockets:
        _told.pop(room, None)
        return 0
    now = lookup(message["key"], message["members"], bool(message["asc"]), sorted(sockets))
    before = _told.get(room, {})
    sent = 0
    for player_id, (rank, best) in now.items():
        if before.get(player_id, (None, None)) == (rank, best):
            continue
        body = _MY_RANK.dump(PlayerRank(message["campaign"], message["period"], rank, best))
        for sid in sockets[player_id]:  # this process's sockets; the others have their own
            socketio.emit("my_rank", body, to=sid, namespace=NAMESPACE, ignore_queue=True)
            sent += 1
    _told[room] = now
    return sent

"""Live push over Socket.IO, with real clients against real server processes.

Every server here is a gunicorn+gevent process sharing the test database and
Redis, so pushes travel through the Redis message queue exactly as in
production. Waits are bounded queue reads, never sleeps.
"""

from __future__ import annotations

import queue
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
import requests
import socketio
from sqlalchemy import select

from engine.boards.periods import period_key
from engine.clock import utcnow
from engine.extensions import db
from engine.models import Score
from tests.conftest import server_env
from tests.factories import make_campaign
from tests.support.play import auto_moves
from tests.support.servers import LiveServer

FAST = {"min_move_interval_ms": 0}
NAMESPACE = "/live"
WAIT_S = 10.0


class LiveClient:
    """A Socket.IO client on ``/live`` that queues every event it receives."""

    EVENTS = ("leaderboard", "my_rank", "error")

    def __init__(self, url: str, cookie: str | None = None):
        self.sio = socketio.Client(reconnection=False)
        self.inbox: dict[str, queue.Queue] = {name: queue.Queue() for name in self.EVENTS}
        for name, box in self.inbox.items():
            self.sio.on(name, box.put, namespace=NAMESPACE)
        self.sio.connect(url, namespaces=[NAMESPACE], transports=["websocket"],
                         headers={"Cookie": cookie} if cookie else {}, wait_timeout=WAIT_S)

    def join(self, *args) -> None:
        """Emit ``join`` with ``args`` as its payload (none, one, or malformed)."""
        self.sio.emit("join", args[0] if len(args) == 1 else (args or None), namespace=NAMESPACE)

    def next(self, event: str, timeout: float = WAIT_S) -> dict:
        """Return the next ``event`` received, waiting at most ``timeout`` seconds."""
        try:
            return self.inbox[event].get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no {event!r} event within {timeout}s") from None

    def until(self, event: str, accept, timeout: float = WAIT_S) -> tuple[dict, list[dict]]:
        """Return the first ``event`` that ``accept`` takes, and every one seen before it."""
        deadline = time.monotonic() + timeout
        seen: list[dict] = []
        while True:
            body = self.next(event, max(0.01, deadline - time.monotonic()))
            if accept(body):
                return body, seen
            seen.append(body)

    def close(self) -> None:
        """Disconnect and stop the client's background tasks."""
        self.sio.disconnect()
        self.sio.shutdown()


class HttpPlayer:
    """A browser-like player on one server: its own cookie jar, plays over HTTP."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.http = requests.Session()

    def visit(self, slug: str) -> None:
        """Open the play page, which makes this browser a player of the brand."""
        assert self.http.get(f"{self.base}/c/{slug}", timeout=WAIT_S).status_code == 200

    def open(self, slug: str) -> dict:
        """Open a play session and return it."""
        resp = self.http.post(f"{self.base}/api/v1/campaigns/{slug}/sessions", json={},
                              timeout=WAIT_S)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def finish(self, opened: dict, count: int = 20) -> dict:
        """Finish ``opened`` with an honest log of ``count`` moves; return the answer."""
        moves, score = auto_moves(opened["seed"], FAST, count=count)
        resp = self.http.post(f"{self.base}/api/v1/sessions/{opened['session_id']}/finish",
                              json={"token": opened["token"], "moves": moves,
                                    "client_score": score}, timeout=WAIT_S)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["score"] == score
        return {**body, "session_id": opened["session_id"]}

    def play(self, slug: str, count: int = 20) -> dict:
        """Open and finish one game."""
        return self.finish(self.open(slug), count)

    @property
    def cookie(self) -> str:
        """Return the Cookie header this browser would send."""
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)

    def close(self) -> None:
        self.http.close()


def viewer(closing, base_url: str, slug: str) -> LiveClient:
    """Return a client of a browser that opened the play page (a player of the brand)."""
    browser = closing(HttpPlayer(base_url))
    browser.visit(slug)
    return closing(LiveClient(base_url, browser.cookie))


def player_of(session_id: str) -> int:
    """Return the player id the server stored for a finished session."""
    player_id = db.session.scalar(select(Score.player_id).where(Score.session_id == session_id))
    db.session.rollback()  # hold no read transaction while the servers write
    assert player_id is not None
    return player_id


def has_player(player_id: int, score: int | None = None):
    """Return a predicate: the board lists ``player_id`` (with ``score``, if given)."""
    def accept(board: dict) -> bool:
        return any(e["player"]["id"] == player_id and score in (None, e["score"])
                   for e in board["entries"])
    return accept


@pytest.fixture
def closing():
    """Collect things to close (or stop); close them last-in first-out after the test."""
    with ExitStack() as stack:  # runs every callback even if one raises

        def add(thing):
            stack.callback(thing if callable(thing) else thing.close)
            return thing

        yield add


def test_join_answers_at_once_with_the_current_board(app, live_server, closing):
    campaign = make_campaign(game_params=FAST)
    player = closing(HttpPlayer(live_server.url))
    done = player.play(campaign.slug)
    player_id = player_of(done["session_id"])
    client = closing(LiveClient(live_server.url, player.cookie))

    client.join({"campaign": campaign.slug, "period": "daily"})
    board = client.next("leaderboard")

    assert isinstance(board["version"], int) and not isinstance(board["version"], bool)
    assert isinstance(board["epoch"], str)
    assert board == {
        "campaign": campaign.slug, "period": "daily",
        "period_key": period_key("daily", utcnow(), campaign.timezone),
        "version": board["version"], "epoch": board["epoch"],
        "entries": [{"rank": 1, "score": done["score"], "player": {
            "id": player_id, "nickname": f"玩家{player_id:05d}", "avatar": ""}}]}


def live_server_with(closing, env: dict[str, str]) -> LiveServer:
    """Start a server that ``closing`` stops in its finally, after later-registered clients."""
    server = LiveServer(env)
    closing(server.stop)
    return server.start()


def test_push_reaches_clients_of_another_process(app, app_config, closing):
    campaign = make_campaign(game_params=FAST)
    server_a = live_server_with(closing, server_env(app_config))
    server_b = live_server_with(closing, server_env(app_config))
    watcher = viewer(closing, server_b.url, campaign.slug)
    watcher.join({"campaign": campaign.slug, "period": "all"})
    first = watcher.next("leaderboard")
    assert first["entries"] == []

    player = closing(HttpPlayer(server_a.url))
    done = player.play(campaign.slug)
    player_id = player_of(done["session_id"])

    pushed, _ = watcher.until("leaderboard", has_player(player_id, done["score"]))
    assert pushed["campaign"] == campaign.slug and pushed["period"] == "all"
    assert pushed["entries"][0]["rank"] == 1
    assert pushed["version"] > first["version"]


def test_a_burst_of_scores_is_coalesced(app, app_config, closing):
    # A window of 1 s, not 300 ms: a server's trailing push wakes late on a loaded machine,
    # and a change in that gap finds the room quiet and goes out as a leading push too
    # (engine.boards.live). The rule asserted is the same, per window; with longer windows
    # a burst crosses fewer window ends, where that gap can open.
    interval_s = 1.0
    campaign = make_campaign(game_params=FAST)
    server = live_server_with(closing, server_env(app_config,
                                                  LIVE_PUSH_INTERVAL_MS=int(interval_s * 1000)))
    watcher = viewer(closing, server.url, campaign.slug)
    watcher.join({"campaign": campaign.slug, "period": "all"})
    first = watcher.next("leaderboard")
    players = [closing(HttpPlayer(server.url)) for _ in range(10)]
    opened = [player.open(campaign.slug) for player in players]

    began = time.monotonic()
    with ThreadPoolExecutor(len(players)) as pool:
        done = list(pool.map(lambda player, play: player.finish(play, 12), players, opened))
    burst_s = time.monotonic() - began
    ids = {player_of(d["session_id"]) for d in done}

    last, before = watcher.until(
        "leaderboard", lambda b: {e["player"]["id"] for e in b["entries"]} == ids)
    pushes = [*before, last]
    # a push already scheduled when the last score landed may still follow, within a window
    try:
        pushes.append(watcher.next("leaderboard", timeout=interval_s + 0.5))
    except AssertionError:
        pass

    versions = [first["version"]] + [p["version"] for p in pushes]
    assert versions == sorted(set(versions)), versions
    # the leading push, then at most one per interval the burst spans, plus one
    # straddling its end (a loaded machine stretches the burst, not the rule)
    assert len(pushes) <= int(burst_s / interval_s) + 2, (len(pushes), burst_s)
    if burst_s < 2 * interval_s:
        assert len(pushes) < len(players), (len(pushes), burst_s)


def test_a_quiet_room_gets_the_first_change_at_once_and_a_burst_one_trailing_push(
        app, app_config, closing):
    campaign = make_campaign(game_params=FAST)
    server = live_server_with(closing, server_env(app_config, LIVE_PUSH_INTERVAL_MS=3000))
    watcher = viewer(closing, server.url, campaign.slug)
    watcher.join({"campaign": campaign.slug, "period": "all"})
    watcher.next("leaderboard")
    first, second, third = (closing(HttpPlayer(server.url)) for _ in range(3))
    opened = [p.open(campaign.slug) for p in (first, second, third)]

    sent = time.monotonic()
    lead = first.finish(opened[0])
    pushed, _ = watcher.until("leaderboard", has_player(player_of(lead["session_id"])))
    assert time.monotonic() - sent < 2.0  # not held for the 3 s window
    others = [second.finish(opened[1]), third.finish(opened[2])]
    ids = {player_of(d["session_id"]) for d in others}
    trailing = watcher.next("leaderboard", timeout=WAIT_S)
    # one trailing push carries both later scores, after the window closed
    assert ids <= {e["player"]["id"] for e in trailing["entries"]}
    assert time.monotonic() - sent >= 2.9
    assert trailing["version"] == pushed["version"] + 1


def test_my_rank_reaches_only_the_players_own_sockets(app, live_server, closing):
    campaign = make_campaign(game_params=FAST)
    me, other = closing(HttpPlayer(live_server.url)), closing(HttpPlayer(live_server.url))
    me.visit(campaign.slug)
    other.visit(campaign.slug)
    assert me.cookie and other.cookie and me.cookie != other.cookie
    mine = closing(LiveClient(live_server.url, me.cookie))
    theirs = closing(LiveClient(live_server.url, other.cookie))
    for client in (mine, theirs):
        client.join({"campaign": campaign.slug, "period": "all"})
        client.next("leaderboard")

    done = me.play(campaign.slug)
    player_id = player_of(done["session_id"])

    ranks = {}
    while len(ranks) < 3:
        got = mine.next("my_rank")
        ranks[got["period"]] = got
    assert ranks == {p: {"rank": 1, "score": done["score"], "period": p,
                         "campaign": campaign.slug} for p in ("all", "daily", "weekly")}
    # my_rank is published before the board push is even arranged: once the other
    # socket has the board, a my_rank wrongly sent to it would have come first
    theirs.until("leaderboard", has_player(player_id, done["score"]))
    assert theirs.inbox["my_rank"].empty()
    mine.until("leaderboard", has_player(player_id, done["score"]))


def test_the_finishing_players_ranks_reach_its_sockets_on_every_process_once(
        app, app_config, closing):
    """The finish on server A publishes the player's ``my_rank`` once; each process
    (A and B) emits it to its own sockets of the player, none through the other."""
    campaign = make_campaign(game_params=FAST)
    server_a = live_server_with(closing, server_env(app_config))
    server_b = live_server_with(closing, server_env(app_config))
    player = closing(HttpPlayer(server_a.url))
    player.visit(campaign.slug)
    sockets = {name: closing(LiveClient(server.url, player.cookie))
               for name, server in (("a", server_a), ("b", server_b))}
    for client in sockets.values():
        client.join({"campaign": campaign.slug, "period": "weekly"})
        client.next("leaderboard")

    done = player.play(campaign.slug)
    player_id = player_of(done["session_id"])

    wanted = {p: {"rank": 1, "score": done["score"], "period": p, "campaign": campaign.slug}
              for p in ("all", "daily", "weekly")}
    for name, client in sockets.items():
        got = [client.next("my_rank") for _ in wanted]
        assert {m["period"]: m for m in got} == wanted, (name, got)
    for name, client in sockets.items():
        client.until("leaderboard", has_player(player_id, done["score"]))
        # sockets watch the weekly room: the push may repeat the weekly rank once;
        # the other periods come only from the finish, to each socket once
        later = []
        while True:
            try:
                later.append(client.next("my_rank", timeout=0.5))
            except AssertionError:
                break
        assert all(m == wanted["weekly"] for m in later) and len(later) <= 1, (name, later)


def test_malformed_joins_are_error_events_and_the_socket_survives(app, live_server, closing):
    live = make_campaign(game_params=FAST)
    draft = make_campaign(brand=live.brand, game_params=FAST, status="draft")
    elsewhere = make_campaign(game_params=FAST)  # another brand
    malformed = {  # name: (join arguments, error code)
        "string": (("not-a-dict",), "validation_error"),
        "list": (([{"campaign": live.slug}],), "validation_error"),
        "no-payload": ((), "validation_error"),
        "missing-campaign": (({"period": "all"},), "validation_error"),
        "campaign-not-string": (({"campaign": 42},), "validation_error"),
        "unknown-period": (({"campaign": live.slug, "period": "monthly"},), "validation_error"),
        "unknown-campaign": (({"campaign": "no-such-campaign"},), "not_found"),
        "draft-campaign": (({"campaign": draft.slug},), "not_found"),
        "other-brand": (({"campaign": elsewhere.slug},), "forbidden"),
    }
    client = viewer(closing, live_server.url, live.slug)

    for name, (payload, code) in malformed.items():
        client.join(*payload)
        error = client.next("error")
        assert set(error) == {"code", "message", "fields"}, name
        assert error["code"] == code, (name, error)
        assert isinstance(error["message"], str) and error["message"], name
        assert bool(error["fields"]) == (code == "validation_error"), (name, error)
        assert client.inbox["leaderboard"].empty(), name

    # the connection stays usable: a good join still answers
    client.join({"campaign": live.slug})
    board = client.next("leaderboard")
    assert board["campaign"] == live.slug and board["period"] == "all"
    assert client.inbox["error"].empty()


def test_a_socket_without_a_player_of_the_brand_cannot_watch(app, live_server, closing):
    campaign = make_campaign(game_params=FAST)
    stranger = closing(LiveClient(live_server.url))
    stranger.join({"campaign": campaign.slug})
    assert stranger.next("error")["code"] == "forbidden"
    assert stranger.inbox["leaderboard"].empty()


def test_an_overtaken_player_hears_the_new_rank_at_the_next_push(app, live_server, closing):
    campaign = make_campaign(game_params=FAST)
    first, second = closing(HttpPlayer(live_server.url)), closing(HttpPlayer(live_server.url))
    first.visit(campaign.slug)
    overtaken = closing(LiveClient(live_server.url, first.cookie))
    overtaken.join({"campaign": campaign.slug, "period": "all"})
    overtaken.next("leaderboard")
    low = first.play(campaign.slug, count=4)
    overtaken.until("my_rank", lambda m: m["period"] == "all" and m["rank"] == 1)

    high = second.play(campaign.slug, count=60)
    assert high["score"] > low["score"]
    got, _ = overtaken.until("my_rank", lambda m: m["period"] == "all" and m["rank"] == 2)
    assert got == {"rank": 2, "score": low["score"], "period": "all", "campaign": campaign.slug}


def test_pages_follow_pushes_after_a_redis_flush_and_rebuild(app, live_server, closing):
    from engine.boards import standings
    from engine.extensions import redis_store

    campaign = make_campaign(game_params=FAST)
    watcher = viewer(closing, live_server.url, campaign.slug)
    watcher.join({"campaign": campaign.slug, "period": "all"})
    player = closing(HttpPlayer(live_server.url))
    done = player.play(campaign.slug, count=10)
    before, _ = watcher.until("leaderboard", has_player(player_of(done["session_id"])))

    redis_store.r.flushdb()
    standings.rebuild_standings(campaign)
    again = player.play(campaign.slug, count=30)
    after, _ = watcher.until("leaderboard", has_player(player_of(again["session_id"])))
    # the counter restarted, and the new epoch says so: pages take the push
    assert after["version"] <= before["version"] and after["epoch"] != before["epoch"]


def test_live_ranks_reach_every_connected_player_whose_rank_changed(app, app_config, closing):
    """An overtaken player learns the new rank from the process holding its socket.

    The pushed board lists only the leader (LEADERBOARD_PUSH_SIZE=1), scores land
    on server A, the watched sockets live on server B: B looks up its own
    players at each push and tells only those whose rank changed, once per push.
    """
    campaign = make_campaign(game_params=FAST)
    env = server_env(app_config, LEADERBOARD_PUSH_SIZE=1)
    server_a = live_server_with(closing, env)
    server_b = live_server_with(closing, env)
    leader, low = closing(HttpPlayer(server_a.url)), closing(HttpPlayer(server_a.url))
    for browser in (leader, low):
        browser.visit(campaign.slug)
    on_b = {name: closing(LiveClient(server_b.url, browser.cookie))
            for name, browser in (("leader", leader), ("low", low))}
    for client in on_b.values():
        client.join({"campaign": campaign.slug, "period": "all"})
        client.next("leaderboard")

    top = leader.play(campaign.slug, count=80)
    on_b["leader"].until("my_rank", lambda m: m["period"] == "all" and m["rank"] == 1)
    mine = low.play(campaign.slug, count=4)
    on_b["low"].until("my_rank", lambda m: m["period"] == "all" and m["rank"] == 2)

    time.sleep(0.5)  # let the pushes of these two finishes arrive, then start afresh
    for client in on_b.values():
        for box in client.inbox.values():
            while not box.empty():
                box.get_nowait()

    # a burst of players overtakes ``low`` (not on the pushed board) from server A
    others = [closing(HttpPlayer(server_a.url)) for _ in range(4)]
    opened = [p.open(campaign.slug) for p in others]
    with ThreadPoolExecutor(len(others)) as pool:
        done = list(pool.map(lambda p, o: p.finish(o, 30), others, opened))
    assert all(mine["score"] < d["score"] < top["score"] for d in done), (mine, done, top)
    last = len(others) + 2
    got, seen = on_b["low"].until("my_rank", lambda m: m["period"] == "all" and m["rank"] == last)
    assert got == {"rank": last, "score": mine["score"], "period": "all",
                   "campaign": campaign.slug}
    time.sleep(0.5)
    pushes = []
    while not on_b["low"].inbox["leaderboard"].empty():
        pushes.append(on_b["low"].next("leaderboard"))
    assert pushes and all(len(p["entries"]) == 1 for p in pushes)  # never listed, told anyway
    # only changes, at most one per push: not one event per overtaking finish
    moved = [(m["rank"], m["score"]) for m in [*seen, got] if m["period"] == "all"]
    assert len(moved) <= len(pushes), (moved, len(pushes))
    assert all(a != b for a, b in zip(moved, moved[1:], strict=False)), moved
    # the leader's rank never changed during the burst: it heard nothing
    leader_news = []
    while not on_b["leader"].inbox["my_rank"].empty():
        leader_news.append(on_b["leader"].next("my_rank"))
    assert leader_news == [], leader_news

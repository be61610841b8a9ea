"""Play sessions: opened by the server, finished once, scored by replay.

A session carries a seed and a signed token. Finishing replays the client's
input log with the game type's rules; the replayed score is the score, and a
client's own claim is only compared, never used. Every refusal is an event.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import ValidationError
from sqlalchemy import Row, and_, bindparam, case, func, insert, literal, null, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from engine import referral
from engine.access import identity
from engine.api.schemas import RewardSchema
from engine.boards import live, standings
from engine.campaigns import audience, cache, lifecycle
from engine.campaigns.cache import CachedCampaign
from engine.clock import local_day, to_ms, utcnow
from engine.errors import (
    ActionNotReady,
    AlreadyFinished,
    InvalidMoves,
    InvalidToken,
    NoPlaysLeft,
    NoSessions,
    NotFound,
    ReplayMismatch,
    SessionExpired,
)
from engine.events import record_event
from engine.extensions import db
from engine.models import Campaign, HeldScore, Player, PlaySession, Referral
from engine.play import answers, move_log, records
from engine.rewards import awards, plays
from engine.risk import scores as risk_scores
from games import MoveRejected, get_game_type

log = logging.getLogger(__name__)
_TOKEN_SALT = "play-session"
# a burst of starts by one player races for play numbers; each round one of them wins
_START_ATTEMPTS = 64
_REWARDS = RewardSchema(many=True)  # one per process: a schema's construction copies its fields


@dataclass
class FinishResult:
    """What a finished session earned."""

    score: int
    best: int | None
    rank: int | None
    period_ranks: dict[str, int | None]
    rewards: list = field(default_factory=list)
    # the score is far beyond the campaign's others: held off the boards for review
    under_review: bool = False


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_TOKEN_SALT)


def session_token(play: PlaySession) -> str:
    """Return the signed token that proves the holder opened ``play``."""
    return _serializer().dumps({"s": play.id, "p": play.player_id})


@dataclass(frozen=True)
class SessionOpened:
    """A play session just opened, the token that finishes it, and its campaign's game."""

    session: PlaySession
    token: str
    campaign: Campaign


def open_session(campaign: Campaign, player: Player) -> SessionOpened:
    """Open a play session (``start_session``) and sign its token."""
    session = start_session(campaign, player)
    return SessionOpened(session, session_token(session), campaign)


def start_session(campaign: Campaign, player: Player) -> PlaySession:
    """Open a play session, within the campaign's daily play limit and extra plays.

    Two statements: the session (numbered and checked against the limit in one
    insert) and its event. The returned session is detached: read it.
    """
    lifecycle.ensure_live(campaign)
    if not get_game_type(campaign.game_type).replayed:
        raise NoSessions()
    audience.ensure_in_audience(campaign, player)
    now = utcnow()
    day = local_day(now, campaign.timezone).isoformat()
    ttl = timedelta(seconds=current_app.config["PLAY_SESSION_TTL_S"])
    for attempt in range(_START_ATTEMPTS):
        if attempt:  # lost a race for this play number to a start of the same player
            time.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
        values = {"id": uuid.uuid4().hex, "campaign_id": campaign.id, "player_id": player.id,
                  "seed": secrets.randbits(32), "game_params": campaign.game_params,
                  "game_version": campaign.game_version or 1,
                  "status": "open", "day_key": day, "created_at": now, "expires_at": now + ttl}
        try:
            play_no = _insert_numbered(campaign, values)
            if play_no is None:
                record_event("play_refused", brand_id=campaign.brand_id,
                             campaign_id=campaign.id, player_id=player.id,
                             reason="no_plays_left")
                db.session.commit()
                raise NoPlaysLeft(
                    retry_after=lifecycle.seconds_to_local_midnight(campaign, now))
            record_event("play_started", brand_id=campaign.brand_id, campaign_id=campaign.id,
                         player_id=player.id, session_id=values["id"])
            db.session.commit()
            opened = PlaySession(**values, play_no=play_no)
            make_transient_to_detached(opened)
            return opened
        except IntegrityError:  # a concurrent start took this play number: count again
            db.session.rollback()
    # only a burst far past anything a phone sends gets here: a wait, not "no plays left"
    raise ActionNotReady("请稍后再试", code="start_contended", retry_after=1)


def _insert_numbered(campaign: Campaign, values: dict) -> int | None:
    """Insert the session as the player's next play of the day; None past the daily limit.

    Past the limit, the session spends the player's oldest extra play
    (``engine.rewards.plays``) in the same insert; without one, nothing is
    inserted. ``credit_id`` is unique: two starts never spend the same one.
    """
    table = PlaySession.__table__
    play_no = (select(func.count() + 1).select_from(table).where(
        table.c.campaign_id == values["campaign_id"], table.c.player_id == values["player_id"],
        table.c.day_key == values["day_key"]).scalar_subquery())
    columns = [table.c[name] for name in values]
    selected = [*(literal(values[c.name], c.type) for c in columns), play_no]
    targets = [*columns, table.c.play_no]
    limit = campaign.plays_per_day
    if limit:
        credit = plays.unspent_credit(values["campaign_id"], values["player_id"])
        selected.append(case((play_no <= limit, null()), else_=credit))
        targets.append(table.c.credit_id)
    row = select(*selected)
    if limit:
        row = row.where(or_(play_no <= limit, credit.is_not(None)))
    inserted = db.session.execute(
        insert(table).from_select(targets, row).returning(table.c.play_no)).first()
    return inserted.play_no if inserted is not None else None


_SESSIONS = PlaySession.__table__
_REFERRALS = Referral.__table__
# the session's columns a finish reads, its campaign's version and the player's unverified
# referral: one Core statement, built once per process (its cache key memoized), read as a
# row (attribute access like the entity's, without the ORM's loading and identity map)
_LOAD = (select(*(_SESSIONS.c[name] for name in (
    "id", "campaign_id", "player_id", "seed", "game_params", "game_version", "status",
    "created_at", "expires_at", "reject_reason", "finish_digest")),
    Campaign.__table__.c.version, _REFERRALS.c.id.label("unverified_referral"))
    .join(Campaign.__table__, Campaign.__table__.c.id == _SESSIONS.c.campaign_id)
    .outerjoin(_REFERRALS, and_(_REFERRALS.c.campaign_id == _SESSIONS.c.campaign_id,
                                _REFERRALS.c.player_id == _SESSIONS.c.player_id,
                                _REFERRALS.c.verified_at.is_(None)))
    .where(_SESSIONS.c.id == bindparam("session_id")))


def _load_session(session_id: str, token: str) -> tuple[Row, CachedCampaign, bool]:
    """Return the session, its campaign and whether the player's referral awaits a play.

    One statement: the session's row (read like a ``PlaySession``: its
    columns by name) with its campaign's version (the campaign itself comes
    from the per-process cache) and the player's unverified referral.
    """
    play = db.session.connection().execute(_LOAD, {"session_id": session_id}).first()
    if play is None:
        raise NotFound("本局不存在")
    try:
        claims = _serializer().loads(token)
    except BadSignature:
        raise InvalidToken() from None
    found = cache.cached(play.campaign_id, play.version)
    # the token and the browser's identity must both name the session's player
    if (claims != {"s": play.id, "p": play.player_id}
            or identity.player_id_for(found.campaign.brand_id) != play.player_id):
        raise InvalidToken()
    return play, found, play.unverified_referral is not None


def _reject(play: PlaySession, campaign: Campaign, status: str, reason: str, detail: str,
            digest: str | None = None):
    closed = records.close(play, status, reject_reason=f"{reason}: {detail}"[:255],
                           finish_digest=digest)
    if closed:
        record_event("play_rejected", brand_id=campaign.brand_id, campaign_id=campaign.id,
                     player_id=play.player_id, session_id=play.id, reason=reason, detail=detail)
    db.session.commit()
    if not closed:
        raise AlreadyFinished()


def _elapsed_ms(play: PlaySession, now) -> int:
    """Return the session's time the move log may fill: until now, at most until expiry.

    A finish after the expiry is taken within the grace window (a lost connection
    delayed it), but its log must still fit within the session's own time.
    """
    grace = timedelta(seconds=current_app.config["FINISH_GRACE_S"])
    if now >= play.expires_at + grace:
        return -1
    return to_ms(min(now, play.expires_at)) - to_ms(play.created_at)


def finish_session(session_id: str, token: str, moves: list, client_score: int | None,
                   body: bytes) -> FinishResult:
    """Replay ``moves``, store the server's score once, and rank it.

    ``body`` is the request's body as sent, which ``token``, ``moves`` and
    ``client_score`` were read from: its digest recognises a retry and it is
    kept as the log. The identical body again gets the first answer (a retry
    after a lost answer).
    The common case (no reward won) sends two statements on PostgreSQL: the
    session with its campaign's version, then the close with the score, the
    event and the draw credit (``engine.play.records``); SQLite sends each
    write alone.
    """
    play, found, referral_pending = _load_session(session_id, token)
    campaign = found.campaign
    digest = answers.body_digest(body)

    def canonical() -> str:
        return answers.canonical_digest(token, moves, client_score)

    if play.status != "open":
        return answers.answer_again(campaign, play, digest, FinishResult, canonical)
    now = utcnow()
    elapsed_ms = _elapsed_ms(play, now)
    if elapsed_ms < 0:
        _reject(play, campaign, "expired", "expired", "session expired", digest)
        raise SessionExpired()
    score = _replay(play, campaign, moves, client_score, elapsed_ms, digest)
    # one Redis GET, before the close: no Redis round trip while the transaction holds a
    # write (on SQLite under gevent, another finish would wait for that lock blocking the
    # whole worker, the GET's greenlet included: "database is locked" after 5 s)
    found_outlier = risk_scores.outlier(campaign, score.score)
    if found_outlier is not None:
        if not records.close(play, "finished", score=score.score, finish_digest=digest):
            return _answer_race(campaign, play, digest, canonical)
        return _hold(play, campaign, score, body, now, found_outlier)
    rewards = _write(play, found, score, body, digest, now)
    if rewards is None:
        return _answer_race(campaign, play, digest, canonical)
    if referral_pending:
        referral.verified_play(campaign, play.player_id, "play")
    db.session.commit()
    ranked = standings.submit_score(campaign, play.player_id, score.score, now,
                                    play.game_version or 1)
    result = FinishResult(score=score.score, best=ranked["all"].best, rank=ranked["all"].rank,
                          period_ranks={p: r.rank for p, r in ranked.items()}, rewards=rewards)
    # the kept answer rides on the pipeline that arranges the pushes: one round trip
    live.score_changed(campaign, play.player_id, ranked,
                       along=lambda pipe: answers.keep(campaign, play, result, pipe))
    return result


def _write(play: PlaySession, found: CachedCampaign, score, body: bytes, digest: str,
           now) -> list | None:
    """Close the session, give the rewards the score reached, and write the score's rows.

    Return the rewards, or None when a concurrent finish had closed the
    session (nothing given, nothing written). Rewards share the score's
    transaction: both land, or neither does. The rules are checked in memory;
    when one is reached the session is closed first, so a concurrent finish
    cannot give them twice; otherwise the close rides with the writes.
    """
    campaign = found.campaign
    ascending = standings.is_ascending(campaign)
    reached = awards.reached(found.rules_for("score"), score.score, ascending)
    if reached and not records.close(play, "finished", score=score.score,
                                     finish_digest=digest):
        return None
    won = awards.award_for_score(campaign, play.player_id, score.score, ascending,
                                 rules=reached) if reached else []
    rewards = _REWARDS.dump(won)  # kept with the score, answered again as kept
    row = {"campaign_id": campaign.id, "player_id": play.player_id, "session_id": play.id,
           "score": score.score, "moves": score.moves, "duration_ms": score.duration_ms,
           "game_version": play.game_version or 1, "rewards": rewards, "created_at": now,
           # what the play told rides in the score's own INSERT: no round trip
           "metrics": get_game_type(campaign.game_type).session_metrics(score),
           "move_log": move_log.compress_body(body)}
    if not records.write_finish(play, campaign, row, digest, closed=bool(reached)):
        return None
    return rewards


def _answer_race(campaign: Campaign, play: PlaySession, digest: str,
                 canonical) -> FinishResult:
    """Answer a finish that lost the session's close to a concurrent one, as a retry."""
    db.session.rollback()
    # the row read before the close is the open session's: read the closed one
    play = db.session.connection().execute(_LOAD, {"session_id": play.id}).first()
    return answers.answer_again(campaign, play, digest, FinishResult, canonical)


def _hold(play: PlaySession, campaign: Campaign, score, body: bytes, now,
          found: risk_scores.Outlier) -> FinishResult:
    """Keep a score far beyond the campaign's others off the boards, flagged for review.

    Nothing it would earn is given until a marketer approves (engine.risk.scores).
    """
    held = HeldScore(campaign_id=campaign.id, player_id=play.player_id, session_id=play.id,
                     score=score.score, moves=score.moves, duration_ms=score.duration_ms,
                     metrics=get_game_type(campaign.game_type).session_metrics(score),
                     move_log=move_log.compress_body(body), created_at=now)
    risk_scores.hold(campaign, held, found, now)
    record_event("play_finished", brand_id=campaign.brand_id, campaign_id=campaign.id,
                 player_id=play.player_id, session_id=play.id, score=score.score,
                 moves=score.moves, duration_ms=score.duration_ms, held=True)
    db.session.commit()
    result = FinishResult(score=score.score, best=None, rank=None, period_ranks={},
                          rewards=[], under_review=True)
    answers.keep(campaign, play, result)
    return result


def _replay(play: PlaySession, campaign: Campaign, moves: list, client_score: int | None,
            elapsed_ms: int, digest: str):
    game = get_game_type(campaign.game_type)
    try:
        moves = game.load_moves(moves)
        params = play.game_params if play.game_params is not None else campaign.game_params
        result = game.replay(play.seed, params or {}, moves, elapsed_ms)
    except ValidationError as exc:
        _reject(play, campaign, "rejected", "invalid_moves", str(exc.messages)[:200], digest)
        raise InvalidMoves(fields={"moves": exc.messages}) from None
    except MoveRejected as exc:
        _reject(play, campaign, "rejected", exc.code, exc.reason, digest)
        raise InvalidMoves(exc.reason, fields={"moves": [exc.code]}) from None
    if client_score is not None and client_score != result.score:
        _reject(play, campaign, "rejected", "replay_mismatch",
                f"client {client_score} != server {result.score}", digest)
        raise ReplayMismatch()
    return result


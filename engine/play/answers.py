"""Finish answers kept for retries: an identical finish body gets the first answer again.

A phone that lost the answer to its finish sends the same body again. The
body's digest (sha256 of the request body's bytes: a log of a thousand moves
is not encoded again to be recognised) is stored with the session when it
closes; a body of other bytes is compared as canonical JSON with the kept
first body (the same JSON written otherwise is the same body). The answer
itself is kept in Redis for a day; a retry of the same body gets it word for
word; if Redis lost it, the answer is built again from the stored score and
its rewards (and the score is put back on the boards, which heals a board
write lost after the commit).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable
from dataclasses import asdict

from flask import current_app

from engine import keys
from engine.boards import live, standings
from engine.errors import AlreadyFinished, InvalidMoves, ReplayMismatch, SessionExpired
from engine.extensions import db, redis_store
from engine.models import Campaign, HeldScore, PlaySession, Score
from engine.risk import scores as risk_scores


def body_digest(body: bytes) -> str:
    """Return the sha256 of a finish request's body, byte for byte."""
    return hashlib.sha256(body).hexdigest()


def canonical_digest(token: str, moves: list, client_score: int | None) -> str:
    """Return the sha256 of a finish body's canonical JSON (a missing score is null).

    Sessions closed before digests were taken of the bytes hold this one; a
    retry of such a session is recognised by it.
    """
    canonical = json.dumps({"token": token, "moves": moves, "client_score": client_score},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def keep(campaign: Campaign, play: PlaySession, result, pipe=None) -> None:
    """Keep the first answer of a finish for an identical retry.

    With ``pipe`` (the campaign's pipeline) the write is queued for its caller
    to execute.
    """
    (pipe if pipe is not None else redis_store.r).set(
        keys.finish_result(campaign.id, play.id),
        json.dumps(asdict(result), separators=(",", ":")),
        ex=current_app.config["FINISH_RESULT_TTL_S"])


def answer_again(campaign: Campaign, play: PlaySession, digest: str, result_type,
                 canonical: Callable[[], str]):
    """Answer a finish of a closed session: the first answer if the body is the same.

    ``canonical`` gives the body's canonical digest, asked for only when the
    byte digest differs (a session closed before byte digests).
    """
    if play.finish_digest != digest and not _same_canonical(play, canonical):
        raise AlreadyFinished()
    if play.status != "finished":
        raise _first_refusal(play)
    kept = redis_store.r.get(keys.finish_result(campaign.id, play.id))
    if kept is not None:
        return result_type(**json.loads(kept))
    score = db.session.query(Score).filter_by(session_id=play.id).one_or_none()
    held = risk_scores.held_for_session(play.id) if score is None else None
    if held is not None:  # held for review (engine.risk.scores): never put on the boards here
        result = result_type(score=held.score, best=None, rank=None, period_ranks={},
                             rewards=[], under_review=held.status == "held")
        keep(campaign, play, result)
        return result
    if score is None:  # the first finish is still committing: the client retries
        raise AlreadyFinished("成绩正在保存，请稍候", code="finish_pending", retry_after=1)
    ranked = standings.submit_score(campaign, play.player_id, score.score, score.created_at,
                                    score.game_version)
    result = result_type(score=score.score, best=ranked["all"].best, rank=ranked["all"].rank,
                         period_ranks={p: r.rank for p, r in ranked.items()},
                         rewards=list(score.rewards or []))
    live.score_changed(campaign, play.player_id, ranked,
                       along=lambda pipe: keep(campaign, play, result, pipe))
    return result


def _same_canonical(play: PlaySession, canonical: Callable[[], str]) -> bool:
    """Tell whether a body of other bytes is the same JSON as the session's first finish.

    The rare path (a retry serialised otherwise, or a different body): the
    first body is read back from the kept log and both are compared as
    canonical JSON. A session closed before byte digests holds the canonical
    digest itself; a refused session keeps no body, so only its bytes match.
    """
    wanted = canonical()
    if play.finish_digest == wanted:
        return True
    blob = (db.session.query(Score.move_log).filter_by(session_id=play.id).scalar()
            or db.session.query(HeldScore.move_log).filter_by(session_id=play.id).scalar())
    if blob is None:
        return False
    kept = json.loads(zlib.decompress(blob))
    if not isinstance(kept, dict):  # a log kept before bodies were: moves alone
        return False
    first = canonical_digest(kept.get("token"), kept.get("moves"), kept.get("client_score"))
    return first == wanted


def _first_refusal(play: PlaySession):
    """Return the error the first finish of a refused session answered."""
    reason = (play.reject_reason or "").split(":", 1)[0]
    if play.status == "expired":
        return SessionExpired()
    if reason == "replay_mismatch":
        return ReplayMismatch()
    return InvalidMoves(fields={"moves": [reason or "invalid_moves"]})

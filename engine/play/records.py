"""The rows a finish writes, in as few statements as the database allows.

A finish closes its session (open to finished, once: a concurrent finish of
the same session finds it closed and answers as a retry) and writes its
score, its ``play_finished`` event and the draw credits the play earns, in
the transaction of the rewards it won. On PostgreSQL the close and the three
inserts are one statement: the close is a data-modifying CTE that returns
the session's id, and each insert selects its row from it, so a close that
finds the session closed already writes nothing. SQLite has no
data-modifying CTE: there the close, then each insert. Both are Core
statements: a finish adds nothing to the ORM's unit of work.
"""

from __future__ import annotations

from sqlalchemy import Executable, insert, literal, select, update
from sqlalchemy.sql import FromClause

from engine.clock import utcnow
from engine.events import event_insert
from engine.extensions import db
from engine.models import Campaign, PlaySession, Score
from engine.rewards import draws

_SESSIONS = PlaySession.__table__
_SCORES = Score.__table__


def close(play: PlaySession, status: str, **values) -> bool:
    """Move an open session to ``status``; return False if it was not open."""
    return _execute(_close_statement(play, status, **values)).rowcount == 1


def write_finish(play: PlaySession, campaign: Campaign, score: dict, digest: str, *,
                 closed: bool = False) -> bool:
    """Close ``play`` as finished and write its score, event and draw credits.

    ``score`` holds the score row's values; the session keeps its score and
    ``digest`` (the finish body's, to know a retry). With ``closed`` the session was
    closed earlier in this transaction (before awarding the rewards the
    score row lists). Returns False, having written nothing, when the
    session was not open: the caller rolls back and answers as a retry.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        if not closed and not close(play, "finished", score=score["score"],
                                    finish_digest=digest):
            return False
        for statement in _inserts(play, campaign, score, None):
            _execute(statement)
        return True
    if closed:
        scored, *others = _inserts(play, campaign, score, None)
        _execute(scored.add_cte(*(o.cte(f"w{i}") for i, o in enumerate(others))))
        return True
    closing = (_close_statement(play, "finished", score=score["score"], finish_digest=digest)
               .returning(_SESSIONS.c.id).cte("closed"))
    writes = [w.cte(f"w{i}") for i, w in enumerate(_inserts(play, campaign, score, closing))]
    return _execute(select(closing.c.id).add_cte(*writes)).first() is not None


def _close_statement(play: PlaySession, status: str, **values):
    return (update(_SESSIONS).where(_SESSIONS.c.id == play.id, _SESSIONS.c.status == "open")
            .values(status=status, finished_at=utcnow(), **values))


def _inserts(play: PlaySession, campaign: Campaign, score: dict,
             after: FromClause | None) -> list[Executable]:
    """Return the score's, the event's and the draw credits' INSERTs (score first)."""
    if after is None:
        scored = insert(_SCORES).values(score)
    else:
        columns = [_SCORES.c[name] for name in score]
        scored = insert(_SCORES).from_select(columns, select(
            *(literal(score[c.name], c.type) for c in columns)).select_from(after))
    found = [scored, event_insert(
        "play_finished", brand_id=campaign.brand_id, campaign_id=campaign.id,
        player_id=play.player_id, after=after, session_id=play.id, score=score["score"],
        moves=score["moves"], duration_ms=score["duration_ms"])]
    credits = draws.play_credits_insert(campaign, play.player_id, play.id, after)
    return found if credits is None else [*found, credits]


def _execute(statement: Executable):
    # the session's connection, not the ORM's execute: nothing here is an ORM entity
    return db.session.connection().execute(statement)

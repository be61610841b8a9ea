"""The rows a play writes, in as few statements as the database allows.

A finish closes its session (open to finished, once: a concurrent finish of
the same session finds it closed and answers as a retry) and writes its
score, its ``play_finished`` event and the draw credits the play earns, in
the transaction of the rewards it won. On PostgreSQL the close and the three
inserts are one statement: the close is a data-modifying CTE that returns
the session's id, and each insert selects its row from it, so a close that
finds the session closed already writes nothing. SQLite has no
data-modifying CTE: there the close, then each insert. Both are Core
statements: a finish adds nothing to the ORM's unit of work. A nurture action
(``write_action``) is written the same way: its state's UPDATE (only at the
version read) with its event and the action kept, one statement on PostgreSQL.

Each statement is built once per process and shape (the database, whether
the session is closed already, the score's columns, the draw credits per
play), its values bind parameters: a finish only fills them in. A statement
object kept memoizes its cache key, so SQLAlchemy finds its compiled form
without walking the statement again.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Executable, bindparam, insert, select, update
from sqlalchemy.sql import FromClause

from engine.clock import utcnow
from engine.events import EVENT_COLUMNS, event_values
from engine.extensions import db
from engine.models import Campaign, Event, GameAction, GameState, PlaySession, Score
from engine.rewards import draws

_SESSIONS = PlaySession.__table__
_SCORES = Score.__table__
_EVENTS = Event.__table__
_STATES = GameState.__table__
_ACTIONS = GameAction.__table__
# (database, shape) -> the statement (or SQLite's statements) built for it, per process
_built: dict[tuple, object] = {}


def close(play: PlaySession, status: str, **values) -> bool:
    """Move an open session to ``status``; return False if it was not open."""
    statement = _once(("close", *values), lambda: _close_statement(values))
    return _execute(statement, _close_params(play, status, values)).rowcount == 1


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
        per_play, each = _write_params(play, campaign, score)
        statements = _once(("sqlite", tuple(score), per_play),
                           lambda: _inserts(score, per_play, None, "sqlite"))
        for statement, params in zip(statements, each, strict=True):
            _execute(statement, params)
        return True
    per_play, each = _write_params(play, campaign, score)
    params = {name: value for one in each for name, value in one.items()}
    if closed:
        _execute(_once(("pg closed", tuple(score), per_play),
                       lambda: _written(score, per_play)), params)
        return True
    params.update(_close_params(play, "finished", {"score": score["score"],
                                                   "finish_digest": digest}))
    statement = _once(("pg", tuple(score), per_play), lambda: _closed_and_written(score, per_play))
    return _execute(statement, params).first() is not None


def write_action(state_id: int, version: int, values: dict, event: dict, action: dict) -> bool:
    """Write a game state's ``values`` if it is still at ``version``, its event and action.

    ``values`` are the state's new columns (its version grows by one);
    ``event`` is ``events.event_values``'s; ``action`` the ``GameAction`` row
    kept under its key. Returns False, having written nothing, when the state
    moved on (the caller rolls back); a key used before raises ``IntegrityError``.
    """
    params = [{"g_id": state_id, "g_version": version, **_prefixed("g_", values)},
              _prefixed("e_", event), _prefixed("a_", action)]
    if db.session.get_bind().dialect.name != "postgresql":
        saving, *inserts = _once(("sqlite action", tuple(values), tuple(action)),
                                 lambda: _action_writes(values, action, None))
        if _execute(saving, params[0]).rowcount != 1:
            return False
        for statement, each in zip(inserts, params[1:], strict=True):
            _execute(statement, each)
        return True
    statement = _once(("pg action", tuple(values), tuple(action)),
                      lambda: _action_written(values, action))
    merged = {name: value for each in params for name, value in each.items()}
    return _execute(statement, merged).first() is not None


def _state_update(values: Iterable[str]):
    return (update(_STATES)
            .where(_STATES.c.id == bindparam("g_id"), _STATES.c.version == bindparam("g_version"))
            .values(version=_STATES.c.version + 1,
                    **{name: bindparam(f"g_{name}", type_=_STATES.c[name].type)
                       for name in values}))


def _action_writes(values: Iterable[str], action: Iterable[str], after: FromClause | None):
    return [_state_update(values), _bound_insert(_EVENTS, EVENT_COLUMNS, "e_", after),
            _bound_insert(_ACTIONS, action, "a_", after)]


def _action_written(values: Iterable[str], action: Iterable[str]):
    saved = _state_update(values).returning(_STATES.c.id).cte("saved")
    _, *inserts = _action_writes(values, action, saved)
    return select(saved.c.id).add_cte(*(w.cte(f"w{i}") for i, w in enumerate(inserts)))


def _write_params(play: PlaySession, campaign: Campaign, score: dict) -> tuple[int, list]:
    """Return the draw credits the play earns and each of the finish's INSERTs' parameters."""
    credits = draws.play_credits(campaign, play.player_id, play.id)
    each = [_prefixed("s_", score), _event_params(play, campaign, score)]
    if credits is None:
        return 0, each
    return credits.count, [*each, credits.params]


def _once(shape: tuple, build):
    found = _built.get(shape)
    if found is None:
        found = _built[shape] = build()
    return found


def _close_statement(values: Iterable[str]):
    return (update(_SESSIONS)
            .where(_SESSIONS.c.id == bindparam("c_id"), _SESSIONS.c.status == "open")
            .values(status=bindparam("c_status"), finished_at=bindparam("c_finished_at"),
                    **{name: bindparam(f"c_{name}") for name in values}))


def _close_params(play: PlaySession, status: str, values: dict) -> dict:
    return {"c_id": play.id, "c_status": status, "c_finished_at": utcnow(),
            **_prefixed("c_", values)}


def _written(score: dict, per_play: int):
    scored, *others = _inserts(score, per_play, None, "postgresql")
    return scored.add_cte(*(o.cte(f"w{i}") for i, o in enumerate(others)))


def _closed_and_written(score: dict, per_play: int):
    closing = _close_statement(("score", "finish_digest")).returning(_SESSIONS.c.id).cte("closed")
    writes = [w.cte(f"w{i}") for i, w in enumerate(_inserts(score, per_play, closing,
                                                            "postgresql"))]
    return select(closing.c.id).add_cte(*writes)


def _inserts(score: dict, per_play: int, after: FromClause | None,
             dialect: str) -> list[Executable]:
    """Return the score's, the event's and the draw credits' INSERTs (score first)."""
    found = [_bound_insert(_SCORES, score, "s_", after),
             _bound_insert(_EVENTS, EVENT_COLUMNS, "e_", after)]
    if per_play:
        found.append(draws.play_credits_statement(per_play, dialect, after))
    return found


def _bound_insert(table, names: Iterable[str], prefix: str, after: FromClause | None):
    """Return an INSERT of one row of ``table`` whose values are bind parameters.

    With ``after`` (a CTE of the statement it joins) the row is selected from it.
    """
    columns = [table.c[name] for name in names]
    if after is None:
        return insert(table).values({c.name: bindparam(prefix + c.name, type_=c.type)
                                     for c in columns})
    return insert(table).from_select(columns, select(
        *(bindparam(prefix + c.name, type_=c.type) for c in columns)).select_from(after))


def _event_params(play: PlaySession, campaign: Campaign, score: dict) -> dict:
    values = event_values("play_finished", brand_id=campaign.brand_id, campaign_id=campaign.id,
                          player_id=play.player_id, session_id=play.id, score=score["score"],
                          moves=score["moves"], duration_ms=score["duration_ms"])
    return _prefixed("e_", values)


def _prefixed(prefix: str, values: dict) -> dict:
    return {prefix + name: value for name, value in values.items()}


def _execute(statement: Executable, params: dict):
    # the session's connection, not the ORM's execute: nothing here is an ORM entity
    return db.session.connection().execute(statement, params)

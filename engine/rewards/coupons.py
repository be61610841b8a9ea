"""Coupons: batches, codes, and the one issuing service every reward source uses.

Inventory is the set of code rows; issuing takes one ``available`` row with a
conditional update (``FOR UPDATE SKIP LOCKED`` on PostgreSQL so concurrent
claimers take different rows). When every free row is held by a claim in
flight, the next attempt waits on the lowest one (a claim can still roll
back). An attempt that takes nothing rolls back its savepoint, and with it
every row lock its statements took: PostgreSQL keeps the lock on a row a
``FOR UPDATE`` scan locked and then found issued, and a claimer that waits
while holding such a lock from an earlier attempt can close a cycle with
another doing the same (a ``deadlock detected`` 500). Within one attempt rows
are locked in id order, so waits cannot form a cycle. The per-player limit is a unique constraint on
``(batch, player, slot)`` and an award key is unique per brand, so neither
can be beaten by concurrency: the loser's ``IntegrityError`` becomes a
domain answer (STYLE rule 11).
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from engine.clock import as_utc, utcnow
from engine.errors import (
    AlreadyRedeemed,
    CouponExpired,
    CouponLimitReached,
    CouponNotAvailable,
    CouponNotYetValid,
    CouponsExhausted,
    CouponUnderReview,
    NotFound,
)
from engine.events import event_values, record_event
from engine.extensions import db
from engine.models import Coupon, CouponBatch, Event
from engine.rewards import codes

log = logging.getLogger(__name__)
_ATTEMPTS = 12
_INSERT_CHUNK = 1000
_ISSUED_EVENT = insert(Event.__table__)  # the coupon_issued event: events.event_values's row
_DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for deadlock_detected


class _LookAgain(Exception):
    """This attempt took no coupon: roll its savepoint (and its row locks) back and retry.

    ``wait`` says whether the next attempt should wait on a locked free row
    (every free row is held by a claim in flight) rather than skip it.
    """

    def __init__(self, wait: bool):
        super().__init__()
        self.wait = wait


def coupon_status(coupon: Coupon, now: datetime | None = None) -> str:
    """Return issued, redeemed, expired or held (a risk flag waits) as a player sees it."""
    if coupon.status == "issued" and coupon.expires_at and as_utc(coupon.expires_at) <= (
            now or utcnow()):
        return "expired"
    return coupon.status


def add_codes(batch: CouponBatch, new_codes: list[str]) -> int:
    """Insert ``new_codes`` as available coupons of ``batch``; return how many."""
    rows = [{"batch_id": batch.id, "brand_id": batch.brand_id, "code": code,
             "status": "available"} for code in new_codes]
    for start in range(0, len(rows), _INSERT_CHUNK):
        db.session.execute(insert(Coupon), rows[start:start + _INSERT_CHUNK])
    return len(rows)


def create_batch(brand_id: int, campaign_id: int | None, inventory: int = 0,
                 **fields) -> CouponBatch:
    """Create a batch with ``inventory`` generated codes (0 when codes are imported)."""
    batch = CouponBatch(brand_id=brand_id, campaign_id=campaign_id, **fields)
    db.session.add(batch)
    db.session.flush()
    if inventory:
        batch.code_source = "generated"
        for _ in range(_ATTEMPTS):
            try:
                with db.session.begin_nested():
                    add_codes(batch, codes.generate_codes(inventory))
                break
            except IntegrityError:  # a generated code collided with an existing one
                log.warning("code collision while generating batch %s; regenerating", batch.id)
    return batch


def import_codes(batch: CouponBatch, csv_text: str) -> codes.ImportReport:
    """Add the valid codes of a CSV to ``batch``; report every refused row."""
    # only codes that can be accepted are looked up: the others (a NUL byte, a stray
    # character) are refused row by row and never reach the database
    candidates = [code for code in {codes.normalize(r[0]) for r in _first_column(csv_text)}
                  if codes.is_importable(code)]
    taken: set[str] = set()
    for start in range(0, len(candidates), _INSERT_CHUNK):  # bounded IN lists
        chunk = candidates[start:start + _INSERT_CHUNK]
        taken.update(db.session.scalars(select(Coupon.code).where(
            Coupon.brand_id == batch.brand_id, Coupon.code.in_(chunk))))
    report = codes.parse_code_csv(csv_text, taken)
    had_codes = batch.code_source == "generated" and _inventory(batch.id) > 0
    add_codes(batch, report.accepted)
    batch.code_source = "mixed" if had_codes and report.accepted else (
        batch.code_source if had_codes else "imported")
    return report


def _inventory(batch_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Coupon)
                             .where(Coupon.batch_id == batch_id)) or 0


def _first_column(text: str):
    return (row for row in csv.reader(io.StringIO(text)) if row)


def batch_counts(batch_ids: list[int]) -> dict[int, dict[str, int]]:
    """Return inventory, issued, redeemed and available counts per batch."""
    found = {bid: {"inventory": 0, "available": 0, "issued": 0, "redeemed": 0}
             for bid in batch_ids}
    rows = db.session.execute(select(Coupon.batch_id, Coupon.status, func.count())
                              .where(Coupon.batch_id.in_(batch_ids))
                              .group_by(Coupon.batch_id, Coupon.status))
    for batch_id, status, count in rows:
        found[batch_id][status] = count
        found[batch_id]["inventory"] += count
    for counts in found.values():  # redeemed coupons were issued too
        counts["issued"] += counts["redeemed"]
    return found


def expiry_for(batch: CouponBatch, issued_at: datetime) -> datetime | None:
    """Return when a coupon of ``batch`` issued at ``issued_at`` expires."""
    ends = as_utc(batch.valid_until) if batch.valid_until else None
    if batch.valid_days:
        relative = issued_at + timedelta(days=batch.valid_days)
        return min(relative, ends) if ends else relative
    return ends


def issue_coupon(batch: CouponBatch, player_id: int, *, source: str,
                 award_key: str | None = None, campaign_id: int | None = None,
                 past_limit: bool = False) -> Coupon:
    """Give the player one coupon of ``batch``; the same award key, the same coupon.

    Raises ``CouponsExhausted`` when no code is left, ``CouponLimitReached``
    when the player holds the batch's per-player limit (unless ``past_limit``:
    a prize won once per period), ``CouponNotAvailable`` when the batch has
    expired. The caller commits.
    """
    now = utcnow()
    if award_key and (found := _awarded(batch.brand_id, award_key)):
        return found
    expires = expiry_for(batch, now)
    if expires is not None and expires <= now:
        raise CouponNotAvailable("优惠券已过期，无法发放")
    wait = False
    for _ in range(_ATTEMPTS):
        held = _held(batch.id, player_id)
        if held >= batch.per_player_limit and not past_limit:
            raise CouponLimitReached()
        try:
            with db.session.begin_nested():
                coupon = _take_one(batch, player_id, held + 1, source, award_key, now, expires,
                                   wait)
        except _LookAgain as again:
            wait = again.wait
            continue
        except IntegrityError:  # a concurrent award took this slot or this key: look again
            if award_key and (found := _awarded(batch.brand_id, award_key)):
                return found
            continue
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != _DEADLOCK:
                raise
            # the savepoint is rolled back and its locks are gone: the claim is whole again
            log.warning("claim on batch %s was a deadlock victim; retrying", batch.id)
            continue
        # a Core INSERT of one statement built once, not an Event through the unit of work
        db.session.execute(_ISSUED_EVENT, event_values(
            "coupon_issued", brand_id=batch.brand_id, player_id=player_id,
            campaign_id=campaign_id or batch.campaign_id, coupon_id=coupon.id,
            batch_id=batch.id, source=source))
        return coupon
    raise CouponsExhausted("领取人数过多，请稍后再试")


def _awarded(brand_id: int, award_key: str) -> Coupon | None:
    return db.session.scalar(select(Coupon).where(Coupon.brand_id == brand_id,
                                                  Coupon.award_key == award_key))


def _held(batch_id: int, player_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Coupon).where(
        Coupon.batch_id == batch_id, Coupon.player_id == player_id)) or 0


def _available(batch_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Coupon).where(
        Coupon.batch_id == batch_id, Coupon.status == "available")) or 0


def _pick_available(batch_id: int, wait: bool) -> int | None:
    """Return an available coupon id, locked on PostgreSQL until the commit.

    Free rows another claim has locked are skipped unless ``wait``: then the
    lowest one is waited for.
    """
    pick = (select(Coupon.id).where(Coupon.batch_id == batch_id, Coupon.status == "available")
            .order_by(Coupon.id).limit(1))
    if db.session.get_bind().dialect.name != "postgresql":
        return db.session.scalar(pick)  # SQLite has one writer at a time
    return db.session.scalar(pick.with_for_update(skip_locked=not wait))


def _take_one(batch, player_id, slot, source, award_key, now, expires, wait) -> Coupon:
    coupon_id = _pick_available(batch.id, wait)
    if coupon_id is None:
        if not _available(batch.id):
            raise CouponsExhausted()
        raise _LookAgain(wait=True)  # the free rows are held by claims in flight
    # the row comes back with the UPDATE (RETURNING): no SELECT to load the coupon after it
    taken = db.session.scalars(
        update(Coupon).where(Coupon.id == coupon_id, Coupon.status == "available")
        .values(status="issued", player_id=player_id, slot=slot, source=source,
                award_key=award_key, issued_at=now, expires_at=expires)
        .returning(Coupon), execution_options={"populate_existing": True}).first()
    if taken is None:
        raise _LookAgain(wait=False)  # another claimer won this row between our read and write
    return taken


def redeem_coupon(brand_id: int, code: str, store_id: str | None = None,
                  order_id: str | None = None) -> Coupon:
    """Mark an issued coupon redeemed once; 409 after, 410 expired, 404 unknown."""
    code = codes.normalize(code)
    coupon = db.session.scalar(select(Coupon).where(Coupon.brand_id == brand_id,
                                                    Coupon.code == code))
    if coupon is None or coupon.status == "available":
        raise NotFound("优惠券不存在")
    now = utcnow()
    status = coupon_status(coupon, now)
    if status != "issued":
        _refused(coupon, status)
    batch = db.session.get(CouponBatch, coupon.batch_id)
    if batch.valid_from and as_utc(batch.valid_from) > now:
        _refused(coupon, "not_yet_valid")
    done = db.session.execute(
        update(Coupon).where(Coupon.id == coupon.id, Coupon.status == "issued")
        .values(status="redeemed", redeemed_at=now, store_id=store_id, order_id=order_id))
    if done.rowcount != 1:  # a concurrent redemption won
        db.session.rollback()
        raise AlreadyRedeemed()
    record_event("coupon_redeemed", brand_id=brand_id, player_id=coupon.player_id,
                 coupon_id=coupon.id, batch_id=coupon.batch_id, store_id=store_id,
                 order_id=order_id)
    db.session.commit()
    return db.session.get(Coupon, coupon.id, populate_existing=True)


def _refused(coupon: Coupon, status: str):
    record_event("coupon_redeem_refused", brand_id=coupon.brand_id, player_id=coupon.player_id,
                 coupon_id=coupon.id, reason=status)
    db.session.commit()
    if status == "redeemed":
        raise AlreadyRedeemed()
    if status == "not_yet_valid":
        raise CouponNotYetValid()
    if status == "held":
        raise CouponUnderReview()
    raise CouponExpired()


def coupons_of(player_ids: list[int]) -> list[tuple[Coupon, CouponBatch]]:
    """Return the coupons the players hold, newest first, with their batches."""
    if not player_ids:
        return []
    rows = db.session.execute(select(Coupon, CouponBatch)
                              .join(CouponBatch, CouponBatch.id == Coupon.batch_id)
                              .where(Coupon.player_id.in_(player_ids))
                              .order_by(Coupon.issued_at.desc(), Coupon.id.desc()))
    return [(c, b) for c, b in rows]


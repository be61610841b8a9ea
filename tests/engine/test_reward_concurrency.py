"""Rewards under real concurrency on PostgreSQL: never over-issue, never twice.

Each claimer is a thread with its own app context, so its own session and
database connection: the races are the database's, not Python's.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select, text

from engine.errors import CouponLimitReached, CouponsExhausted, NoDrawsLeft
from engine.extensions import db
from engine.models import Campaign, Coupon, CouponBatch, Draw, Player, Prize
from engine.rewards import draws
from engine.rewards.coupons import add_codes, create_batch, issue_coupon
from tests.factories import make_campaign, make_player
from tests.support.concurrency import run_together, wait_until

WORKERS = 32


def run_all(pool_app, jobs, work):
    """Run ``work((index, job))`` for every job on WORKERS threads released together."""
    return run_together(pool_app, list(enumerate(jobs)), work, WORKERS)


def claim(batch_id):
    def work(job):
        _, player_id = job
        batch = db.session.get(CouponBatch, batch_id)
        try:
            coupon = issue_coupon(batch, player_id, source="claim")
            db.session.commit()
            return coupon.code
        except (CouponsExhausted, CouponLimitReached) as exc:
            db.session.rollback()
            return exc.code
    return work


def test_200_claimers_50_coupons_exactly_50(pool_app):
    campaign = make_campaign()
    batch = create_batch(campaign.brand_id, campaign.id, 50, title="限量券", valid_days=7)
    db.session.commit()
    players = [make_player(campaign.brand).id for _ in range(200)]
    batch_id = batch.id
    results = run_all(pool_app, players, claim(batch_id))
    codes = [r for r in results if r not in ("coupons_exhausted", "coupon_limit_reached")]
    assert len(codes) == 50 and len(set(codes)) == 50
    assert results.count("coupons_exhausted") == 150
    db.session.expire_all()
    issued = db.session.scalars(select(Coupon).where(Coupon.batch_id == batch_id)).all()
    assert sum(c.status == "issued" for c in issued) == 50
    assert len({c.player_id for c in issued}) == 50


def test_per_player_limit_holds_when_one_player_taps_many_times(pool_app):
    campaign = make_campaign()
    batch = create_batch(campaign.brand_id, campaign.id, 100, title="每人限2张", valid_days=7,
                         per_player_limit=2)
    db.session.commit()
    players = [make_player(campaign.brand).id for _ in range(10)]
    batch_id = batch.id
    results = run_all(pool_app, players * 20, claim(batch_id))  # 20 taps each
    got = db.session.execute(select(Coupon.player_id, func.count()).where(
        Coupon.batch_id == batch_id, Coupon.player_id.is_not(None))
        .group_by(Coupon.player_id)).all()
    assert sorted(n for _, n in got) == [2] * 10
    assert results.count("coupon_limit_reached") == 180


def test_same_award_key_from_many_threads_is_one_coupon(pool_app):
    campaign = make_campaign()
    batch = create_batch(campaign.brand_id, campaign.id, 20, title="排名奖", valid_days=7,
                         per_player_limit=20)
    db.session.commit()
    player, batch_id = make_player(campaign.brand).id, batch.id

    def work(_job):
        coupon = issue_coupon(db.session.get(CouponBatch, batch_id), player, source="rank",
                              award_key="close:daily:2026-11-23:rank:1")
        db.session.commit()
        return coupon.code

    results = run_all(pool_app, list(range(40)), work)
    assert len(set(results)) == 1
    assert db.session.scalar(select(func.count()).select_from(Coupon)
                             .where(Coupon.player_id == player)) == 1


def test_prize_stock_never_oversold_by_concurrent_draws(pool_app):
    campaign = make_campaign(draw_config={"per_day": 1})
    batch = create_batch(campaign.brand_id, campaign.id, 100, title="抽奖券", valid_days=7)
    db.session.add(Prize(brand_id=campaign.brand_id, campaign_id=campaign.id, name="一等奖",
                         batch_id=batch.id, probability_ppm=1_000_000, stock=10))
    db.session.commit()
    players = [make_player(campaign.brand).id for _ in range(60)]
    campaign_id = campaign.id

    def work(job):
        _, player_id = job
        try:
            result = draws.draw(db.session.get(Campaign, campaign_id),
                                db.session.get(Player, player_id))
        except NoDrawsLeft:
            return "none"
        return "won" if result.prize else "lost"

    results = run_all(pool_app, players + players[:20], work)  # 20 players tap twice
    assert results.count("won") == 10 and results.count("none") == 20
    db.session.expire_all()
    assert db.session.scalar(select(Prize.awarded)) == 10
    assert db.session.scalar(select(func.count()).select_from(Draw)) == 60
    assert db.session.scalar(select(func.count()).select_from(Coupon)
                             .where(Coupon.status == "issued")) == 10


def test_a_claim_that_waited_and_lost_a_row_keeps_no_lock_on_it(pool_app):
    """A waiting claim that finds its row issued lets go of it before it looks again.

    PostgreSQL keeps the lock a ``FOR UPDATE`` scan took on a row it then found
    issued; a claimer that waited again while holding it could close a lock
    cycle with another (the ``deadlock detected`` this test pins down). Here
    one code is held by an open claim; a second claimer waits on it; a new
    code arrives; the first claim commits, so the waiter's scan finds its row
    issued and the next attempt takes the new code. While the waiter's
    transaction is still open, the lost row must be free to lock.
    """
    campaign = make_campaign()
    batch = create_batch(campaign.brand_id, campaign.id, 1, title="一张券", valid_days=7)
    db.session.commit()
    first, second = make_player(campaign.brand).id, make_player(campaign.brand).id
    batch_id = batch.id
    lost = db.session.scalar(select(Coupon.id).where(Coupon.batch_id == batch_id))
    holding, commit_first, issued, end_second = (threading.Event() for _ in range(4))

    def claim_and_hold(player_id, claimed, release):
        """Claim, say so, keep the transaction open until ``release``, then commit."""
        with pool_app.app_context():
            try:
                batch = db.session.get(CouponBatch, batch_id)
                code = issue_coupon(batch, player_id, source="claim").code
                claimed.set()
                assert release.wait(30)
                db.session.commit()
                return code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(claim_and_hold, first, holding, commit_first)
        assert holding.wait(30)
        waiter = pool.submit(claim_and_hold, second, issued, end_second)
        wait_until(_waiting_on_a_row_lock, 30, "the second claim waits on the held row")
        add_codes(db.session.get(CouponBatch, batch_id), ["NEWCODE0001"])
        db.session.commit()
        commit_first.set()
        assert issued.wait(30), "the second claim took the new code"
        try:
            locked = db.session.execute(text(
                "SELECT id FROM coupons WHERE id = :id FOR UPDATE NOWAIT"), {"id": lost}).scalar()
            db.session.rollback()
        finally:
            end_second.set()
        assert locked == lost
        assert held.result(30) != waiter.result(30) == "NEWCODE0001"


def _waiting_on_a_row_lock() -> bool:
    waiting = db.session.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'")).scalar()
    db.session.rollback()  # pg_stat_activity is read once per transaction
    return bool(waiting)

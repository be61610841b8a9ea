"""Coupon claims from one device for many players: the coupon is held for review.

A device is the claim's address and user agent, hashed
(``engine.access.rate_limits.device_key``): the server derives it, so a
script cannot shed it by dropping cookies, the way it sheds players. Each
claim adds its player to a Redis sorted set per campaign and device, scored
by time, in one round trip made before the coupon is issued (add, trim to
the window, count, read the last players). When ``claim_device_players``
distinct players have claimed from the device within ``claim_window_s``,
this claim's coupon is kept ``held``: reserved for the player and shown as
held, but not redeemable. Approval makes it ``issued``; rejection puts the code back in
the batch's stock. Carrier NAT makes one address many phones, and phones of
one model share a user agent, so the default is loose (5 players an hour)
and a flag only asks a marketer: nothing is refused.
"""

from __future__ import annotations

import time

from engine import keys
from engine.events import record_event
from engine.extensions import db, redis_store
from engine.models import Campaign, Coupon, RiskFlag
from engine.risk import flags

SHOWN_PLAYERS = 50


def note_claim(campaign: Campaign, device: str, player_id: int) -> tuple[list[int], int]:
    """Record a claim from ``device``; return the players who claimed from it in the window.

    Called before the coupon is issued: a Redis round trip never runs inside
    the claim's write transaction (it stalls SQLite under gevent), so a claim
    that then finds no coupon left counts for its device too.
    """
    window_s = flags.risk_config(campaign)["claim_window_s"]
    key, now = keys.claim_device(campaign.id, device), time.time()
    pipe = redis_store.campaign_pipeline(campaign.id)
    pipe.zadd(key, {str(player_id): now})
    pipe.zremrangebyscore(key, "-inf", now - window_s)
    pipe.zrevrange(key, 0, SHOWN_PLAYERS - 1)
    pipe.zcard(key)
    pipe.expire(key, window_s)
    _, _, recent, count, _ = pipe.execute()
    return [int(p) for p in recent], int(count)


def check_claim(campaign: Campaign, coupon: Coupon, device: str,
                noted: tuple[list[int], int]) -> RiskFlag | None:
    """Hold ``coupon`` and flag it if its device claimed for too many players; caller commits.

    ``noted`` is what ``note_claim`` answered for this claim.
    """
    cfg = flags.risk_config(campaign)
    recent, count = noted
    if count < cfg["claim_device_players"]:
        return None
    flag = flags.raise_flag(
        campaign, kind="claim_device_players", subject_kind="coupon", subject_id=coupon.id,
        player_id=coupon.player_id,
        reason=f"同一设备在 {cfg['claim_window_s']} 秒内为 {count} 位玩家领券"
               f"（阈值 {cfg['claim_device_players']}）",
        details={"count": count, "window_s": cfg["claim_window_s"],
                 "limit": cfg["claim_device_players"], "device": device,
                 "players": recent, "batch_id": coupon.batch_id})
    if flag is None:
        return None
    coupon.status = "held"
    flag.held = [coupon.id]
    return flag


def release(flag: RiskFlag, approved: bool) -> None:
    """Issue a held coupon (approved) or put its code back in stock; the caller commits."""
    for coupon_id in flag.held or []:
        coupon = db.session.get(Coupon, coupon_id)
        if coupon is None or coupon.status != "held":
            continue
        record_event("coupon_released" if approved else "coupon_withdrawn",
                     brand_id=coupon.brand_id, campaign_id=flag.campaign_id,
                     player_id=coupon.player_id, coupon_id=coupon.id, batch_id=coupon.batch_id)
        if approved:
            coupon.status = "issued"
            continue
        coupon.status, coupon.player_id, coupon.slot = "available", None, None
        coupon.award_key = coupon.source = coupon.issued_at = coupon.expires_at = None

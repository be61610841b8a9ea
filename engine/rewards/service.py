"""What the player API asks of rewards, each answer in one call."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from engine.campaigns import lifecycle
from engine.errors import CouponNotAvailable
from engine.extensions import db
from engine.models import Campaign, Coupon, CouponBatch, Player, Prize
from engine.rewards import coupons, draws
from engine.risk import claims


@dataclass(frozen=True)
class HeldCoupon:
    """A coupon its holder has, with its batch and the status it has now for them."""

    coupon: Coupon
    batch: CouponBatch
    status: str

    @classmethod
    def of(cls, coupon: Coupon, batch: CouponBatch) -> HeldCoupon:
        """Return ``coupon`` of ``batch`` with the status its holder sees now."""
        return cls(coupon, batch, coupons.coupon_status(coupon))

    @property
    def code(self) -> str | None:
        """Return the code its holder may show, None while a risk review holds it."""
        return None if self.status == "held" else self.coupon.code


@dataclass(frozen=True)
class PrizeWon:
    """A prize a draw won, with the coupon it carried (None: an item, or no code left)."""

    prize: Prize
    coupon: HeldCoupon | None


@dataclass(frozen=True)
class DrawOutcome:
    """What one draw won (None: nothing) and how many draws are left."""

    prize: PrizeWon | None
    draws_left: int


def draw_for(campaign: Campaign, player: Player) -> DrawOutcome:
    """Draw once and return the prize won, if any, and the draws left."""
    result = draws.draw(campaign, player)
    prize = None
    if result.prize is not None:
        coupon = None
        if result.draw.coupon_id:
            won = db.session.get(Coupon, result.draw.coupon_id)
            coupon = HeldCoupon.of(won, db.session.get(CouponBatch, won.batch_id))
        prize = PrizeWon(result.prize, coupon)
    return DrawOutcome(prize=prize, draws_left=result.draws_left)


def claim(campaign: Campaign, player: Player, batch_id: int, device: str | None = None
          ) -> HeldCoupon:
    """Issue the player a coupon of a claimable batch of this live campaign.

    ``device`` (address and user agent, hashed) is checked for claiming for
    many players: then the coupon is held for review (engine.risk.claims).
    """
    lifecycle.ensure_live(campaign)
    batch = db.session.get(CouponBatch, batch_id)
    if batch is None or batch.campaign_id != campaign.id or not batch.claimable:
        raise CouponNotAvailable()
    noted = claims.note_claim(campaign, device, player.id) if device else None
    coupon = coupons.issue_coupon(batch, player.id, source="claim", campaign_id=campaign.id)
    if noted is not None:
        claims.check_claim(campaign, coupon, device, noted)
    db.session.flush()
    # the answer is read after the commit: detached, the coupon and batch are not loaded
    # again (two SELECTs and a pool checkout a claim)
    db.session.expunge(coupon)
    db.session.expunge(batch)
    db.session.commit()
    return HeldCoupon.of(coupon, batch)


def my_coupons(player_ids: list[int]) -> list[HeldCoupon]:
    """Return the coupons the players hold, newest first."""
    return [HeldCoupon.of(c, b) for c, b in coupons.coupons_of(player_ids)]


@dataclass(frozen=True)
class Claimable:
    """A coupon batch open to claim (领券) and how many of its codes are left."""

    batch: CouponBatch
    left: int


@dataclass(frozen=True)
class PublicRewards:
    """What the campaign page shows of rewards: prizes, my draws left, batches to claim."""

    prizes: list[Prize]
    draws_left: int
    claimable: list[Claimable]


def public_rewards(campaign: Campaign, player: Player | None) -> PublicRewards:
    """Return what the campaign page shows of prizes, draws and claimable coupons."""
    prizes = db.session.scalars(select(Prize).where(Prize.campaign_id == campaign.id)
                                .order_by(Prize.position, Prize.id))
    batches = list(db.session.scalars(select(CouponBatch).where(
        CouponBatch.campaign_id == campaign.id, CouponBatch.claimable.is_(True))))
    counts = coupons.batch_counts([b.id for b in batches])
    return PublicRewards(prizes=list(prizes),
                         draws_left=draws.draws_left(campaign, player.id if player else None),
                         claimable=[Claimable(b, counts[b.id]["available"]) for b in batches])

"""Seed a demo brand with a live campaign per game type, idempotently."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from engine.campaigns.lifecycle import create_campaign
from engine.clock import utcnow
from engine.extensions import db
from engine.models import Brand, BrandMember, Campaign, Marketer, Prize, RewardRule
from engine.rewards.coupons import create_batch
from games import GAME_TYPES

DEMO_BRAND = "demo"
DEMO_EMAIL = "marketer@demo.hudong.local"
DEMO_BRANDING = {"primary_color": "#e8474c", "background": "#fff7e6",
                 "logo": "/static/demo/brand-logo.svg",
                 "share_title": "来合成大西瓜，赢取新品优惠券！"}
DEMO_TITLES = {"synthesis": "合成大西瓜 · 夏日新品挑战", "racing": "鲜果快递 · 极速配送赛",
               "nurture": "种一棵鲜果茶树 · 七日养成记"}
DEMO_RULES = {True: "每天可玩 20 次，成绩以服务器计算为准。排行榜实时更新。",
              False: "每天浇水、晒太阳、施肥，让茶树长大；连续打卡有额外成长，"
                     "邀请的好友首次完成游戏，茶树额外成长。茶树结果即得新品免单券。"}


def seed_demo() -> tuple[Brand, list[Campaign], str]:
    """Create (or refresh) the demo brand; return it, its campaigns, the login password."""
    brand = db.session.scalar(select(Brand).where(Brand.slug == DEMO_BRAND))
    if brand is None:
        brand = Brand(slug=DEMO_BRAND, name="鲜果茶饮（示例品牌）")
        db.session.add(brand)
        db.session.flush()
    password = secrets.token_urlsafe(9)
    marketer = db.session.scalar(select(Marketer).where(Marketer.email == DEMO_EMAIL))
    if marketer is None:
        marketer = Marketer(email=DEMO_EMAIL, name="示例运营")
        marketer.set_password(password)
        db.session.add(marketer)
        db.session.flush()
        db.session.add(BrandMember(brand_id=brand.id, marketer_id=marketer.id, role="owner"))
    marketer.set_password(password)
    found = [_demo_campaign(brand, name) for name in GAME_TYPES]
    db.session.commit()
    return brand, found, password


def _demo_campaign(brand: Brand, game_type: str) -> Campaign:
    slug = f"demo-{game_type}"
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    now = utcnow()
    if campaign is None:
        campaign = create_campaign(
            brand, slug=slug, title=DEMO_TITLES.get(game_type, GAME_TYPES[game_type].title),
            game_type=game_type, game_params={}, branding=dict(DEMO_BRANDING),
            rules_text=DEMO_RULES[GAME_TYPES[game_type].replayed],
            plays_per_day=20, starts_at=now - timedelta(days=1),
            draw_config={"per_day": 1, "per_play": 1, "max_play_credits_per_day": 3,
                         "per_friend": 1})
        seed_demo_rewards(campaign)
    campaign.status = "live"
    # keep the demo live for a quarter from whenever it is seeded again
    campaign.ends_at = now + timedelta(days=90)
    return campaign


def seed_demo_rewards(campaign: Campaign) -> None:
    """Give a demo campaign a welcome coupon, score and rank prizes, and a lottery."""
    def batch(title: str, value: str, inventory: int, **extra):
        return create_batch(campaign.brand_id, campaign.id, inventory, title=title,
                            value_text=value, valid_days=14, **extra)

    batch("新人见面礼", "满20减3", 500, claimable=True)
    good_score = batch("高分奖励券", "满30减8", 300)
    top_three = batch("日榜前三名奖", "免费中杯", 90, per_player_limit=30)
    grand = batch("抽奖一等奖", "任意饮品免单", 30)
    second = batch("抽奖二等奖", "第二杯半价", 300)
    if not GAME_TYPES[campaign.game_type].replayed:  # a plant that matures: its reward
        ripe = batch("茶树结果礼", "新品免单", 500)
        db.session.add(RewardRule(brand_id=campaign.brand_id, campaign_id=campaign.id,
                                  trigger="goal_reached", batch_id=ripe.id, title="茶树结果礼"))
    threshold = 2 if campaign.game_type == "nurture" else 500
    db.session.add_all([
        RewardRule(brand_id=campaign.brand_id, campaign_id=campaign.id, trigger="score",
                   threshold=threshold, batch_id=good_score.id, title="高分奖励"),
        RewardRule(brand_id=campaign.brand_id, campaign_id=campaign.id, trigger="rank",
                   period="daily", rank_from=1, rank_to=3, batch_id=top_three.id,
                   title="日榜前三"),
        Prize(brand_id=campaign.brand_id, campaign_id=campaign.id, name="免单券",
              batch_id=grand.id, probability_ppm=50_000, stock=30, paced=True, position=1),
        Prize(brand_id=campaign.brand_id, campaign_id=campaign.id, name="第二杯半价",
              batch_id=second.id, probability_ppm=250_000, stock=300, daily_cap=40,
              position=2),
    ])

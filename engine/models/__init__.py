"""Every table, one module per concept, imported here for Alembic and callers."""

from engine.models.access import AccessToken, ApiKey
from engine.models.brand import Brand, BrandMember, Marketer
from engine.models.campaign import Campaign
from engine.models.console import ConsoleSession, Invite
from engine.models.crm import CrmEndpoint, Delivery, PlayerWeCom, WeComTag
from engine.models.event import Event
from engine.models.game_state import GameAction, GameState
from engine.models.idempotency import IdempotencyKey
from engine.models.play import HeldScore, PlaySession, Score
from engine.models.player import Player
from engine.models.profile import PlayerErasure, PlayerProfile, ProfileForm
from engine.models.referral import Referral, ReferralReward
from engine.models.reward import (
    AwardFailure,
    Coupon,
    CouponBatch,
    Draw,
    DrawCredit,
    PlayCredit,
    Prize,
    PrizeDay,
    RewardRule,
)
from engine.models.risk import RiskFlag
from engine.models.standing import FinalStanding, PeriodClose
from engine.models.tag import TAG_OPS, PlayerTag, ProfilingConsent, TagChange, TagGroup, TagRule
from engine.models.upload import Upload
from engine.models.wechat import WeChatAccount

__all__ = ["TAG_OPS", "AccessToken", "ApiKey", "AwardFailure", "Brand", "BrandMember",
           "Campaign", "ConsoleSession", "Coupon", "CouponBatch", "CrmEndpoint", "Delivery",
           "Draw", "DrawCredit", "Event", "FinalStanding", "GameAction", "GameState",
           "HeldScore", "IdempotencyKey", "Invite", "Marketer", "PeriodClose", "PlayCredit",
           "PlaySession", "Player", "PlayerErasure", "PlayerProfile", "PlayerTag", "PlayerWeCom",
           "Prize", "PrizeDay", "ProfileForm", "ProfilingConsent", "Referral", "ReferralReward",
           "RewardRule", "RiskFlag", "Score", "TagChange", "TagGroup", "TagRule", "Upload",
           "WeChatAccount", "WeComTag"]

"""Domain errors, and the one place that turns them into HTTP answers.

Service functions raise these; they know nothing of status codes. The API
layer maps each to the error shape of API.md:
``{"error": {"code", "message", "fields"}}``.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service function raises on purpose."""

    status = 400
    code = "bad_request"
    message = "请求无效"

    def __init__(self, message: str | None = None, *, fields: dict | None = None,
                 retry_after: int | None = None, code: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.fields = fields or {}
        self.retry_after = retry_after
        if code:
            self.code = code

    def to_dict(self) -> dict:
        """Return the API.md error shape."""
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class NotFound(DomainError):
    status, code, message = 404, "not_found", "找不到该对象"


class NotAuthenticated(DomainError):
    status, code, message = 401, "not_authenticated", "请先登录"


class Forbidden(DomainError):
    status, code, message = 403, "forbidden", "无权进行此操作"


class CampaignNotLive(DomainError):
    status, code, message = 403, "campaign_not_live", "活动未开始或已结束"


class SnapshotUser(DomainError):
    status, code, message = 403, "snapshot_user", "请点击屏幕下方的“使用完整服务”后参与活动"


class NoPlaysLeft(DomainError):
    status, code, message = 429, "no_plays_left", "今日游戏次数已用完，明天再来吧"


class AlreadyFinished(DomainError):
    status, code, message = 409, "already_finished", "本局已结束"


class SessionExpired(DomainError):
    status, code, message = 410, "expired", "本局已过期，请重新开始"


class InvalidToken(DomainError):
    status, code, message = 403, "invalid_token", "游戏凭证无效"


class InvalidMoves(DomainError):
    status, code, message = 422, "invalid_moves", "操作记录无效"


class ReplayMismatch(DomainError):
    status, code, message = 422, "replay_mismatch", "成绩与操作记录不符"


class InvalidParams(DomainError):
    status, code, message = 422, "invalid_params", "游戏参数无效"


class ValidationFailed(DomainError):
    status, code, message = 400, "validation_error", "请求参数有误"


class ExternalServiceError(DomainError):
    status, code, message = 502, "upstream_error", "外部服务暂时不可用"


class CouponsExhausted(DomainError):
    status, code, message = 409, "coupons_exhausted", "优惠券已领完"


class CouponLimitReached(DomainError):
    status, code, message = 409, "coupon_limit_reached", "你已领取过该优惠券"


class CouponNotAvailable(DomainError):
    status, code, message = 403, "coupon_not_available", "该优惠券不可领取"


class AlreadyRedeemed(DomainError):
    status, code, message = 409, "already_redeemed", "优惠券已核销"


class CouponExpired(DomainError):
    status, code, message = 410, "coupon_expired", "优惠券已过期"


class CouponNotYetValid(DomainError):
    status, code, message = 422, "coupon_not_yet_valid", "优惠券尚未到可用时间"


class NoDrawsLeft(DomainError):
    status, code, message = 429, "no_draws_left", "今日抽奖次数已用完"


class MissingScope(DomainError):
    status, code, message = 403, "missing_scope", "API key 没有此操作的权限"


class Unprocessable(DomainError):
    """Say valid JSON breaks a rule (422); ``code`` says which."""

    status, code, message = 422, "unprocessable", "内容不符合规则"


class Conflict(DomainError):
    """The request clashes with the object's state (409)."""

    status, code, message = 409, "conflict", "与当前状态冲突"


class ImportTooLarge(DomainError):
    """An upload past the import limits (413)."""

    status, code, message = 413, "too_large", "文件过大"


class NoSessions(DomainError):
    status, code, message = 422, "no_sessions", "该游戏无需开局，请直接在页面上操作"


class ActionNotReady(DomainError):
    """An action refused for now; ``code`` says why and ``retry_after`` how long to wait."""

    status, code, message = 429, "action_not_ready", "操作太频繁，请稍后再试"


class GoalAlreadyReached(DomainError):
    """A server-authoritative state is complete; the code keeps its first public name."""

    status, code, message = 409, "already_matured", "已经完成啦，去领取奖励吧"


class UnknownAction(DomainError):
    status, code, message = 422, "unknown_action", "没有这个操作"


class IdempotencyConflict(DomainError):
    status, code, message = 409, "idempotency_conflict", "该请求编号已用于另一个操作"

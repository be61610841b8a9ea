"""Domain errors: what went wrong, in the domain's words.

Service functions raise these; they know nothing of HTTP. Each carries a
machine ``code``, a human ``message`` and per-field ``fields``; the API
layer (``engine/api/errors.py``) alone maps each class to a status and
builds the error body of API.md: ``{"error": {"code", "message", "fields"}}``.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service function raises on purpose."""

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


class NotFound(DomainError):
    code, message = "not_found", "找不到该对象"


class NotAuthenticated(DomainError):
    code, message = "not_authenticated", "请先登录"


class Forbidden(DomainError):
    code, message = "forbidden", "无权进行此操作"


class CampaignNotLive(DomainError):
    code, message = "campaign_not_live", "活动未开始或已结束"


class SnapshotUser(DomainError):
    code, message = "snapshot_user", "请点击屏幕下方的“使用完整服务”后参与活动"


class NoPlaysLeft(DomainError):
    code, message = "no_plays_left", "今日游戏次数已用完，明天再来吧"


class AlreadyFinished(DomainError):
    code, message = "already_finished", "本局已结束"


class SessionExpired(DomainError):
    code, message = "expired", "本局已过期，请重新开始"


class InvalidToken(DomainError):
    code, message = "invalid_token", "游戏凭证无效"


class InvalidMoves(DomainError):
    code, message = "invalid_moves", "操作记录无效"


class ReplayMismatch(DomainError):
    code, message = "replay_mismatch", "成绩与操作记录不符"


class InvalidParams(DomainError):
    code, message = "invalid_params", "游戏参数无效"


class ValidationFailed(DomainError):
    """Say well-formed input fails its schema; ``fields`` says where."""

    code, message = "validation_error", "请求参数有误"


class ExternalServiceError(DomainError):
    code, message = "upstream_error", "外部服务暂时不可用"


class CouponsExhausted(DomainError):
    code, message = "coupons_exhausted", "优惠券已领完"


class CouponLimitReached(DomainError):
    code, message = "coupon_limit_reached", "你已领取过该优惠券"


class CouponNotAvailable(DomainError):
    code, message = "coupon_not_available", "该优惠券不可领取"


class AlreadyRedeemed(DomainError):
    code, message = "already_redeemed", "优惠券已核销"


class CouponExpired(DomainError):
    code, message = "coupon_expired", "优惠券已过期"


class CouponNotYetValid(DomainError):
    code, message = "coupon_not_yet_valid", "优惠券尚未到可用时间"


class CouponUnderReview(DomainError):
    code, message = "coupon_under_review", "优惠券审核中，暂不可核销"


class NoDrawsLeft(DomainError):
    code, message = "no_draws_left", "今日抽奖次数已用完"


class MissingScope(DomainError):
    code, message = "missing_scope", "API key 没有此操作的权限"


class Unprocessable(DomainError):
    """Say a well-formed request breaks a rule; ``code`` says which."""

    code, message = "unprocessable", "内容不符合规则"


class Conflict(DomainError):
    """Say the request clashes with the object's state."""

    code, message = "conflict", "与当前状态冲突"


class ImportTooLarge(DomainError):
    """Say an upload is past the import limits."""

    code, message = "too_large", "文件过大"


class NoSessions(DomainError):
    code, message = "no_sessions", "该游戏无需开局，请直接在页面上操作"


class ActionNotReady(DomainError):
    """An action refused for now; ``code`` says why and ``retry_after`` how long to wait."""

    code, message = "action_not_ready", "操作太频繁，请稍后再试"


class GoalAlreadyReached(DomainError):
    """A server-authoritative state is complete; the code keeps its first public name."""

    code, message = "already_matured", "已经完成啦，去领取奖励吧"


class UnknownAction(DomainError):
    code, message = "unknown_action", "没有这个操作"


class IdempotencyConflict(DomainError):
    code, message = "idempotency_conflict", "该请求编号已用于另一个操作"


class MalformedBody(DomainError):
    """Say a request cannot be read: unparseable JSON, nesting too deep, control characters."""

    code, message = "malformed_request", "请求格式有误"


class BodyTooLarge(DomainError):
    """Say a request body is past the limit of its route."""

    code, message = "too_large", "请求内容过大"


class CsrfFailed(Forbidden):
    """Say a cookie-authenticated write came without this session's CSRF token."""

    code, message = "csrf_failed", "缺少或错误的 CSRF 令牌，请刷新页面后重试"

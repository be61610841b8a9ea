"""Build every Redis key Hudong uses, in one place.

Each campaign's keys carry the hash tag ``{c<id>}`` so a Redis Cluster keeps
them in one slot (a Lua script may touch several of them at once).
"""

from __future__ import annotations

PREFIX = "hd"


# Flask-Limiter's counters: it builds the rest of each key itself
RATE_LIMIT_PREFIX = f"{PREFIX}:rl"


def _campaign(campaign_id: int) -> str:
    return f"{PREFIX}:{{c{campaign_id}}}"


def campaign_tag(campaign_id: int) -> str:
    """Return a key in the slot of every key of the campaign (for routing on a cluster)."""
    return _campaign(campaign_id)


def _board(campaign_id: int, kind: str, period: str, period_key: str, game_version: int) -> str:
    # version 1 keeps the keys boards had before versions existed; a bumped
    # game_version (rules edited after plays) starts boards of its own
    version = "" if game_version == 1 else f"v{game_version}:"
    return f"{_campaign(campaign_id)}:{kind}:{version}{period}:{period_key}"


def leaderboard(campaign_id: int, period: str, period_key: str, game_version: int = 1) -> str:
    """Return the sorted set of one leaderboard bucket of one game version.

    Tie rule: members are ``<tiebreak:013d>:<player_id>``; the tiebreak is
    built from the moment the score was reached so that, among equal scores,
    Redis's byte order of members puts the earlier one first (see
    ``engine.boards.leaderboard.member_for``). The score itself stays an exact
    integer (below 2^53), never composed with a time.
    """
    return _board(campaign_id, "lb", period, period_key, game_version)


def leaderboard_members(campaign_id: int, period: str, period_key: str,
                        game_version: int = 1) -> str:
    """Return the hash player_id -> member of one leaderboard bucket."""
    return _board(campaign_id, "lbm", period, period_key, game_version)


def leaderboard_pattern(campaign_id: int) -> str:
    """Return a SCAN pattern matching every leaderboard key of a campaign (all versions)."""
    return f"{_campaign(campaign_id)}:lb*"


def live_pending(campaign_id: int, period: str) -> str:
    """Return the flag that marks a room's push window (a push went out within it)."""
    return f"{_campaign(campaign_id)}:live:pending:{period}"


def live_trailing(campaign_id: int, period: str) -> str:
    """Return the flag that says a room's trailing push is already scheduled."""
    return f"{_campaign(campaign_id)}:live:trailing:{period}"


def live_version(campaign_id: int, period: str) -> str:
    """Return the counter that versions a room's leaderboard pushes."""
    return f"{_campaign(campaign_id)}:live:version:{period}"


def live_epoch(campaign_id: int, period: str) -> str:
    """Return the token naming the life of a room's version counter (new after a flush)."""
    return f"{_campaign(campaign_id)}:live:epoch:{period}"


def finish_result(campaign_id: int, session_id: str) -> str:
    """Return the first answer of a session's finish, kept for an identical retry."""
    return f"{_campaign(campaign_id)}:finish:{session_id}"


def _brand(brand_id: int) -> str:
    return f"{PREFIX}:{{b{brand_id}}}"


def tags_dirty(brand_id: int) -> str:
    """Return the set of markers (players, campaigns, trees) whose tags need re-evaluating."""
    return f"{_brand(brand_id)}:tags:dirty"


def tags_scheduled(brand_id: int, kind: str) -> str:
    """Return the flag that coalesces a brand's tag jobs of ``kind`` (incremental or full)."""
    return f"{_brand(brand_id)}:tags:scheduled:{kind}"
def crm_sync_queued() -> str:
    """Return the flag saying a CRM sync job is queued (one at a time is enough)."""
    return f"{PREFIX}:crm:sync-queued"


def wecom_token(corp_id: str) -> str:
    """Return the cached WeCom access token of a corp (expires with the token)."""
    return f"{PREFIX}:wecom:{{{corp_id}}}:token"


def wecom_token_lock(corp_id: str) -> str:
    """Return the lock held while one process refreshes a corp's access token."""
    return f"{PREFIX}:wecom:{{{corp_id}}}:token-lock"


def wecom_mark_slots(corp_id: str) -> str:
    """Return the sorted set of a corp's mark_tag calls in flight (a semaphore)."""
    return f"{PREFIX}:wecom:{{{corp_id}}}:mark-slots"


def reconcile_checkpoint() -> str:
    """Return when the last board reconcile started (ISO 8601), rebuilt if lost."""
    return f"{PREFIX}:boards:reconciled-at"


def poster(campaign_id: int, player_id: int, digest: str) -> str:
    """Return the cached share poster (base64 PNG) of one sharer, by what is drawn on it."""
    return f"{_campaign(campaign_id)}:poster:{player_id}:{digest}"


def jsapi_credential(kind: str, appid: str) -> str:
    """Return WeChat's cached ``access_token`` or ``jsapi_ticket`` of one AppID."""
    return f"{PREFIX}:wx:{kind}:{appid}"


def jsapi_lock(appid: str) -> str:
    """Return the lock that lets one process refresh an AppID's token and ticket."""
    return f"{PREFIX}:wx:lock:{appid}"


def score_limit(campaign_id: int, version: int) -> str:
    """Return the cached score-outlier threshold of one campaign version (engine.risk.scores)."""
    return f"{_campaign(campaign_id)}:risk:score-limit:{version}"


def score_limit_lock(campaign_id: int) -> str:
    """Return the lock that lets one process recompute a campaign's score threshold."""
    return f"{_campaign(campaign_id)}:risk:score-limit-lock"


def claim_device(campaign_id: int, device: str) -> str:
    """Return the sorted set of players who claimed coupons from one device (by time)."""
    return f"{_campaign(campaign_id)}:risk:claims:{device}"


def referral_version(campaign_id: int) -> str:
    """Return the counter bumped by each new referral and referred play of a campaign."""
    return f"{_campaign(campaign_id)}:referral:version"


def referral_report(campaign_id: int, what: str) -> str:
    """Return a kept referral report (or tree) with its data version; ``what`` names it."""
    return f"{_campaign(campaign_id)}:referral:report:{what}"


def referral_report_lock(campaign_id: int, what: str) -> str:
    """Return the lock held while one process computes a referral report."""
    return f"{_campaign(campaign_id)}:referral:report-lock:{what}"

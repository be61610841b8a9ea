"""The console's display names for roles, statuses and game types, from the catalogs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from games import GAME_TYPES

ROLE_NAMES = {"owner": _l("Owner"), "marketer": _l("Marketer"), "analyst": _l("Analyst")}
STATUS_NAMES = {"draft": _l("Draft"), "live": _l("Live"), "paused": _l("Paused"),
                "ended": _l("Ended")}
# a game type without a translated name shows its own title
_GAME_NAMES = {"synthesis": _l("Merge game"), "racing": _l("Racing"),
               "nurture": _l("Grow a plant")}

GAME_BLURBS = {"synthesis": _l("Merge equal tiles into bigger ones; the score is the sum."),
               "racing": _l("Steer a car past obstacles; distance or time ranks."),
               "nurture": _l("Care for a plant every day; invite friends to help it grow.")}


class _GameNames(dict):
    def __missing__(self, key):
        game = GAME_TYPES.get(key)
        return game.title if game else key


GAME_NAMES = _GameNames(_GAME_NAMES)


PERIOD_NAMES = {"all": _l("All time"), "daily": _l("Today"), "weekly": _l("This week")}
CODE_SOURCES = {"generated": _l("generated"), "imported": _l("imported"),
                "mixed": _l("generated and imported")}


# why an earned reward was not issued (engine.rewards.failures), and what to do about it
FAILURE_REASONS = {
    "coupons_exhausted": _l("Out of coupons: add codes to the batch, then retry"),
    "coupon_limit_reached": _l("The player already holds as many as the batch allows"),
    "coupon_not_available": _l("The batch is not valid now: check its dates, then retry"),
    "already_resolved": _l("Already issued"),
}
AWARD_SOURCES = {"score": _l("Score reached"), "rank": _l("Rank prize"),
                 "goal_reached": _l("Goal reached")}


# referral reward kinds (engine.referral.rewards.REWARD_KINDS); a new kind shows its key
REWARD_KINDS = {"coupon": _l("A coupon"), "draws": _l("Lottery draws"),
                "plays": _l("Extra plays"), "extra_plays": _l("Extra plays"),
                "boost": _l("Nurture boost")}
FLAG_STATUSES = {"pending": _l("Pending"), "approved": _l("Approved"), "rejected": _l("Rejected")}
FLAG_KINDS = {"referral_burst_address": _l("Many referrals from one address"),
              "referral_sharer_burst": _l("A burst of referrals for one sharer"),
              "score_outlier": _l("A score far beyond the others")}
FLAG_ACTIONS = {"approve": _l("approve"), "reject": _l("reject")}
ENDPOINT_KINDS = {"webhook": _l("Webhook"), "wecom": _l("WeCom (企业微信)")}
DELIVERY_STATES = {"pending": _l("Pending"), "delivered": _l("Delivered"),
                   "dead": _l("Dead letters")}


def names() -> dict:
    """Return the name tables every console template uses."""
    return {"role_names": ROLE_NAMES, "status_names": STATUS_NAMES, "game_names": GAME_NAMES,
            "game_blurbs": GAME_BLURBS, "period_names": PERIOD_NAMES,
            "code_sources": CODE_SOURCES, "failure_reasons": FAILURE_REASONS,
            "award_sources": AWARD_SOURCES, "reward_kinds": REWARD_KINDS,
            "flag_statuses": FLAG_STATUSES, "flag_kinds": FLAG_KINDS,
            "flag_actions": FLAG_ACTIONS, "endpoint_kinds": ENDPOINT_KINDS,
            "delivery_states": DELIVERY_STATES}


# the game parameters' labels and hints, by field name, for the generated form
PARAM_LABELS = {
    "rows": _l("Rows"), "cols": _l("Columns"),
    "spawn_high_pct": _l("Chance of a higher tile (%)"),
    "min_move_interval_ms": _l("Fastest move allowed (ms)"), "levels": _l("Levels"),
    "name": _l("Name"), "image": _l("Picture"), "points": _l("Points"),
    "lanes": _l("Lanes"), "tick_rate": _l("Ticks per second"), "duration_s": _l("Time limit (s)"),
    "course_length": _l("Course length (m)"), "start_speed": _l("Start speed (m/s)"),
    "max_speed": _l("Top speed (m/s)"), "acceleration": _l("Acceleration (m/s²)"),
    "obstacle_density": _l("Obstacles (% per lane and row)"),
    "pickup_density": _l("Pick-ups (% per lane and row)"),
    "pickup_points": _l("Points per pick-up"),
    "lives": _l("Lives"), "min_input_gap_ticks": _l("Fastest steering (ticks)"),
    "score_mode": _l("Score by"), "skins": _l("Pictures"), "car": _l("Car"), "track": _l("Track"),
    "obstacle": _l("Obstacle"), "pickup": _l("Pick-up"), "theme": _l("Theme"),
    "stages": _l("Stages of growth"), "threshold": _l("Growth needed"), "actions": _l("Actions"),
    "key": _l("Key"), "growth": _l("Growth"), "energy": _l("Energy cost"),
    "cooldown_s": _l("Cooldown (s)"), "daily_limit": _l("Times a day"),
    "energy_max": _l("Energy bar"), "streak_bonus": _l("Daily streak bonus"),
    "friend_boost": _l("Growth from a referred friend's first play"),
}
PARAM_HELP = {
    "min_move_interval_ms": _l("Moves faster than this are refused as not human."),
    "score_mode": _l("distance: metres driven in the time limit; time: seconds to the finish."),
    "key": _l("Lower-case letters, digits and _."),
    "threshold": _l("The first stage starts at 0; each next one needs more."),
}


def param_label(name: str) -> str:
    """Return the translated label of a game parameter (its name if none is known)."""
    return str(PARAM_LABELS.get(name, name.replace("_", " ")))


def param_help(name: str) -> str:
    """Return the translated hint of a game parameter, or an empty string."""
    return str(PARAM_HELP.get(name, ""))

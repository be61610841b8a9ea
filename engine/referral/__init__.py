"""Referral: share tokens, first-touch attribution and friends' verified plays.

``tokens`` signs and reads share tokens; ``shares`` makes share links and
posters; ``attribution`` records share opens, fixes each player's referrer
at first touch and, at a referred friend's first valid play, hands over to
``rewards`` (a welcome and at most two levels). ``forest`` and ``report``
compute the KPIs; ``report_cache`` keeps them in Redis per data version.
Rewards are never given for sharing itself.
"""

from engine.referral.attribution import (
    attribute_first_touch,
    depth_of,
    open_share,
    verified_play,
)
from engine.referral.tokens import share_token_for, sharer_from_token

__all__ = ["attribute_first_touch", "depth_of", "open_share", "share_token_for",
           "sharer_from_token", "verified_play"]

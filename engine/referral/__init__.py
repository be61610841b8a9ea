"""Referral: share tokens, first-touch attribution and friends' verified plays.

``tokens`` signs and reads share tokens; ``attribution`` fixes each player's
referrer at first touch and rewards the direct referrer once a referred
friend's first valid play happens. Rewards are never given for sharing itself.
"""

from engine.referral.attribution import attribute_first_touch, depth_of, verified_play
from engine.referral.tokens import share_token_for, sharer_from_token

__all__ = ["attribute_first_touch", "depth_of", "share_token_for", "sharer_from_token",
           "verified_play"]

"""Leaderboards: Redis boards, standings, period close and live push.

May import: models, keys, extensions, clock, rewards.
"""

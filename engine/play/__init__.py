"""Playing: replayed play sessions and server-authoritative game state.

May import: campaigns, boards, rewards, referral, access, games (registry).
"""

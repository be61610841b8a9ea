"""Campaigns: lifecycle, the marketer's administration, the player's view, the demo.

May import: models, games (through the registry), boards, rewards, access.
"""

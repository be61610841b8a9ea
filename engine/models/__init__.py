"""Every table, one module per concept, imported here for Alembic and callers."""

from engine.models.brand import Brand, BrandMember, Marketer
from engine.models.campaign import Campaign
from engine.models.event import Event
from engine.models.play import PlaySession, Score
from engine.models.player import Player

__all__ = ["Brand", "BrandMember", "Campaign", "Event", "Marketer", "PlaySession", "Player",
           "Score"]

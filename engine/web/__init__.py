"""HTML pages: the player's play pages and the marketer's console.

Entry points: import services; no service imports them.
"""

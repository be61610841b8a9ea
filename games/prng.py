"""The seeded PRNG every replayed game shares with its JavaScript client.

mulberry32 on 32-bit unsigned integers; ``static/games/prng.js`` is the same
generator, and golden vectors prove both produce identical sequences.
"""

from __future__ import annotations

MASK32 = 0xFFFFFFFF
_GOLDEN_GAMMA = 0x6D2B79F5


def _imul(a: int, b: int) -> int:
    """Multiply two 32-bit integers modulo 2**32 (JavaScript's ``Math.imul``)."""
    return (a * b) & MASK32


class Prng:
    """Generate a deterministic stream of 32-bit integers from a seed (mulberry32)."""

    def __init__(self, seed: int):
        self.state = seed & MASK32

    def next_u32(self) -> int:
        """Advance the generator and return an integer in ``[0, 2**32)``."""
        self.state = (self.state + _GOLDEN_GAMMA) & MASK32
        t = self.state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & MASK32
        return (t ^ (t >> 14)) & MASK32

    def next_int(self, n: int) -> int:
        """Return an integer in ``[0, n)`` (``next_u32() % n``)."""
        if n <= 0:
            raise ValueError("n must be positive")
        return self.next_u32() % n

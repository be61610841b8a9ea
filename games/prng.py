"""The seeded PRNG every replayed game shares with its JavaScript client.

mulberry32 on 32-bit unsigned integers; ``static/games/prng.js`` is the same
generator, and golden vectors prove both produce identical sequences.
"""

from __future__ import annotations

import numpy as np

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

    def stream(self, n: int) -> np.ndarray:
        """Return the next ``n`` outputs at once (uint32) and advance past them.

        mulberry32's state only ever grows by a constant, so the ``i``-th state
        is known without the ones before it and the whole stream is one
        vectorized pass; numpy's uint32 products wrap like ``Math.imul``.
        """
        steps = np.arange(1, n + 1, dtype=np.uint64) * np.uint64(_GOLDEN_GAMMA)
        t = ((steps + np.uint64(self.state)) & np.uint64(MASK32)).astype(np.uint32)
        t = (t ^ (t >> 15)) * (t | 1)
        t ^= t + (t ^ (t >> 7)) * (t | 61)
        self.state = (self.state + n * _GOLDEN_GAMMA) & MASK32
        return t ^ (t >> 14)

"""The referral forest in numpy: depth, root and downstream size of every player at once.

A forest of n players is one array: ``parents[i]`` is the index of i's
referrer, or i itself for a player nobody referred (a root). Depth and root
come from pointer jumping (each round doubles how far every node has looked
up, so a chain of 13 or 40 levels takes 4 or 6 rounds over the whole array);
downstream sizes come from one ``bincount`` per depth, deepest first. No
per-node queries and no Python loop over players.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Forest:
    """Every player's depth, root, direct referrals and downstream size (tree below, not self)."""

    parents: np.ndarray
    depth: np.ndarray
    root: np.ndarray
    direct: np.ndarray
    downstream: np.ndarray

    @property
    def max_depth(self) -> int:
        """Return the deepest level (0 for a forest of roots only)."""
        return int(self.depth.max()) if len(self.depth) else 0

    def depth_histogram(self) -> np.ndarray:
        """Return how many players sit at each depth."""
        return np.bincount(self.depth) if len(self.depth) else np.zeros(1, dtype=np.int64)

    def k_by_generation(self) -> list[float]:
        """Return, per depth g, players at depth g+1 per player at depth g."""
        counts = self.depth_histogram().astype(np.float64)
        return [float(counts[g + 1] / counts[g]) for g in range(len(counts) - 1)]


def depths_and_roots(parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each node's depth and root by pointer jumping over ``parents``.

    Invariant: ``dist[i]`` is the number of edges from i up to ``anc[i]``.
    Each round adds the ancestor's distance and jumps to the ancestor's
    ancestor; it stops when every ``anc`` is a root.
    """
    idx = np.arange(len(parents))
    anc = parents.astype(np.int64, copy=True)
    dist = (anc != idx).astype(np.int64)
    while True:
        further = anc[anc]
        if np.array_equal(further, anc):
            return dist, anc
        dist += dist[anc]
        anc = further


def downstream_sizes(parents: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Return how many players descend from each node, adding level by level from the deepest.

    Nodes are laid out by depth (a radix sort: depths are small), so a level's
    parents all fall in the level above, and each level's ``bincount`` only
    spans that level: O(n) in all, whatever the depth.
    """
    n = len(parents)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(depth.astype(np.int16 if depth.max() < 2**15 else np.int64),
                       kind="stable")
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    up = position[parents[order]]  # each node's parent, as a position in depth order
    bounds = np.concatenate(([0], np.cumsum(np.bincount(depth))))
    size = np.ones(n, dtype=np.int64)
    for d in range(len(bounds) - 2, 0, -1):
        lo, hi, above = bounds[d], bounds[d + 1], bounds[d - 1]
        size[above:lo] += np.bincount(up[lo:hi] - above, weights=size[lo:hi],
                                      minlength=lo - above).astype(np.int64)
    downstream = np.empty(n, dtype=np.int64)
    downstream[order] = size - 1
    return downstream


def build(parents: np.ndarray) -> Forest:
    """Compute the whole forest from its parents array."""
    parents = np.asarray(parents, dtype=np.int64)
    depth, root = depths_and_roots(parents)
    referred = parents != np.arange(len(parents))
    direct = np.bincount(parents[referred], minlength=len(parents))
    return Forest(parents=parents, depth=depth, root=root, direct=direct,
                  downstream=downstream_sizes(parents, depth))


def parents_from_pairs(ids: np.ndarray, children: np.ndarray, referrers: np.ndarray) -> np.ndarray:
    """Return the parents array over sorted player ``ids`` from (child, referrer) id pairs."""
    parents = np.arange(len(ids), dtype=np.int64)
    if len(children):
        parents[np.searchsorted(ids, children)] = np.searchsorted(ids, referrers)
    return parents


def children_index(parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (order, starts): node i's children are ``order[starts[i]:starts[i + 1]]``."""
    referred = np.flatnonzero(parents != np.arange(len(parents)))
    order = referred[np.argsort(parents[referred], kind="stable")]
    starts = np.searchsorted(parents[order], np.arange(len(parents) + 1))
    return order, starts

"""A sharer's tree: at most TREE_DEPTH levels and TREE_LIMIT nodes an answer, however deep."""

from __future__ import annotations

import numpy as np

from engine.referral import forest as forest_mod
from engine.referral.report import TREE_DEPTH, TREE_LIMIT, TreeNode, tree_of
from tests.engine.test_admin_api import bearer
from tests.factories import make_campaign, make_chain, make_marketer, make_referrals

LEVELS = 1000  # far past Python's recursion limit for a recursive build or dump


def tree_url(campaign, player: int) -> str:
    return f"/api/v1/reports/campaigns/{campaign.id}/referral/tree?player={player}"


def fetch_tree(client, campaign, headers, player: int) -> dict:
    got = client.get(tree_url(campaign, player), headers=headers)
    assert got.status_code == 200, got.get_data(as_text=True)
    return got.get_json()


def walk(tree: dict) -> list[tuple[int, dict]]:
    """Return every node of an answer with its level below the top, in pre-order."""
    found, stack = [], [(0, tree)]
    while stack:
        level, node = stack.pop()
        found.append((level, node))
        stack.extend((level + 1, c) for c in reversed(node["children"]))
    return found


def test_a_thousand_level_chain_shows_the_capped_depth_and_says_where_it_was_cut(app, client):
    campaign = make_campaign()
    ids = make_chain(campaign, LEVELS)
    headers = bearer(make_marketer(campaign.brand))
    tree = fetch_tree(client, campaign, headers, ids[0])
    nodes = walk(tree)
    assert [(level, n["player_id"], n["depth"]) for level, n in nodes] == [
        (d, ids[d], d) for d in range(TREE_DEPTH + 1)]
    assert tree["downstream"] == LEVELS
    assert nodes[-1][1] == {"player_id": ids[TREE_DEPTH], "depth": TREE_DEPTH, "direct": 1,
                            "downstream": LEVELS - TREE_DEPTH, "truncated": True,
                            "cut_by_depth": True, "children": []}
    assert not [n for _, n in nodes[:-1] if n["truncated"] or n["cut_by_depth"]]
    assert fetch_tree(client, campaign, headers, ids[0]) == tree  # kept in Redis, read back


def test_the_marketer_follows_a_deep_chain_to_its_end_from_cut_to_cut(app, client):
    campaign = make_campaign()
    ids = make_chain(campaign, LEVELS)
    headers = bearer(make_marketer(campaign.brand))
    seen, asked, answers = [], ids[0], 0
    while True:
        nodes = walk(fetch_tree(client, campaign, headers, asked))
        answers += 1
        assert nodes[0][1]["player_id"] == asked and len(nodes) <= TREE_DEPTH + 1
        seen.extend(n["player_id"] for _, n in (nodes if not seen else nodes[1:]))
        cut = [n for _, n in nodes if n["cut_by_depth"]]
        if not cut:
            break
        assert cut == [nodes[-1][1]] and nodes[-1][0] == TREE_DEPTH
        asked = cut[0]["player_id"]
    assert seen == ids  # every player once, in chain order
    assert answers == -(-LEVELS // TREE_DEPTH)
    last = nodes[-1][1]
    assert (last["player_id"], last["depth"], last["direct"]) == (ids[-1], LEVELS, 0)
    assert not last["truncated"]


def test_a_wide_tree_still_stops_at_the_node_limit(app, client):
    campaign = make_campaign()
    ids = make_referrals(campaign, [None] + [0] * (TREE_LIMIT + 100))
    tree = fetch_tree(client, campaign, bearer(make_marketer(campaign.brand)), ids[0])
    assert len(walk(tree)) == TREE_LIMIT
    assert (tree["direct"], tree["downstream"]) == (TREE_LIMIT + 100, TREE_LIMIT + 100)
    assert tree["truncated"] and not tree["cut_by_depth"]
    assert [c["player_id"] for c in tree["children"]] == ids[1:TREE_LIMIT]


def test_the_kpi_report_covers_a_thousand_level_chain(app, client):
    campaign = make_campaign()
    ids = make_chain(campaign, LEVELS)
    got = client.get(f"/api/v1/reports/campaigns/{campaign.id}/referral",
                     headers=bearer(make_marketer(campaign.brand)))
    assert got.status_code == 200
    kpi = got.get_json()
    assert (kpi["players"], kpi["referred_players"], kpi["max_depth"]) == (
        LEVELS + 1, LEVELS, LEVELS)
    assert kpi["depth_histogram"] == {str(d): 1 for d in range(LEVELS + 1)}
    assert kpi["k_by_generation"] == {str(g): 1.0 for g in range(LEVELS)}
    assert kpi["top_sharers"][0]["player"]["id"] == ids[0]
    assert [(s["direct"], s["downstream"]) for s in kpi["top_sharers"]] == [
        (1, LEVELS - k) for k in range(10)]


def recursive_tree(ids, found, at: int, budget: list[int]) -> TreeNode:
    """Build the tree as it was built before the depth cap: recursion, pre-order budget."""
    order, starts = forest_mod.children_index(found.parents)
    budget[0] -= 1
    kids, shown = order[starts[at]:starts[at + 1]], []
    for k in kids:
        if budget[0] <= 0:
            break
        shown.append(recursive_tree(ids, found, int(k), budget))
    return TreeNode(int(ids[at]), int(found.depth[at]), int(found.direct[at]),
                    int(found.downstream[at]), len(shown) < len(kids), shown)


def test_a_tree_within_the_depth_cap_is_what_the_recursive_build_gave():
    rng = np.random.default_rng(7)
    n = 3000
    parents = np.arange(n)
    referred = rng.random(n) < 0.9
    referred[0] = False
    parents[referred] = (rng.random(referred.sum()) * np.flatnonzero(referred)).astype(np.int64)
    ids = np.arange(100, 100 + n, dtype=np.int64)
    found = forest_mod.build(parents)
    assert found.max_depth < TREE_DEPTH  # a random recursive tree is shallow
    for at in (0, int(np.argmax(found.downstream)), int(np.flatnonzero(found.depth == 3)[0]),
               int(np.flatnonzero(found.direct == 0)[0])):
        assert tree_of(ids, found, at) == recursive_tree(ids, found, at, [TREE_LIMIT])
    assert sum(1 for _ in tree_of(ids, found, 0).rows()) == TREE_LIMIT

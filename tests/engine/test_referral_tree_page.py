"""The console's tree page: a row per node of the tree answer; a cut-off node links to its tree."""

from __future__ import annotations

import re

from engine.referral.report import TREE_DEPTH, TREE_LIMIT
from tests.engine.test_console import sign_in
from tests.engine.test_referral_tree import LEVELS
from tests.factories import make_campaign, make_chain, make_marketer, make_referrals

ROW = re.compile(r'<tr data-player="(\d+)" data-level="(\d+)"( data-cut)?>')


def page_url(campaign, player) -> str:
    return f"/admin/reports/campaigns/{campaign.id}/referral/tree?player={player}"


def signed_in(client, campaign):
    make_marketer(campaign.brand, email=f"tree{campaign.id}@example.com", password="pw-123456")
    assert sign_in(client, f"tree{campaign.id}@example.com", "pw-123456").status_code == 302
    return client


def rows_of(client, campaign, player) -> tuple[list[tuple[int, int, bool]], str]:
    got = client.get(page_url(campaign, player))
    assert got.status_code == 200
    html = got.get_data(as_text=True)
    return [(int(p), int(level), bool(cut)) for p, level, cut in ROW.findall(html)], html


def test_the_page_renders_a_deep_chain_and_links_the_cut_off_node_to_its_tree(app, client):
    campaign = make_campaign(title="深链活动")
    ids = make_chain(campaign, LEVELS)
    signed_in(client, campaign)
    rows, html = rows_of(client, campaign, ids[0])
    assert rows == [(ids[d], d, d == TREE_DEPTH) for d in range(TREE_DEPTH + 1)]
    go_on = re.findall(r'<a class="go-on" href="([^"]+)"', html)
    assert go_on == [page_url(campaign, ids[TREE_DEPTH])]
    assert f"向下 {TREE_DEPTH} 层" in html and "深链活动" in html
    rows, _ = rows_of(client, campaign, ids[TREE_DEPTH])  # following the link goes on down
    assert rows == [(ids[TREE_DEPTH + d], d, d == TREE_DEPTH) for d in range(TREE_DEPTH + 1)]
    rows, html = rows_of(client, campaign, ids[-1])  # the chain's end: nothing to continue
    assert rows == [(ids[-1], 0, False)] and 'class="go-on"' not in html


def test_a_wide_tree_page_stops_at_the_node_limit_and_says_more_are_not_shown(app, client):
    campaign = make_campaign()
    ids = make_referrals(campaign, [None] + [0] * (TREE_LIMIT + 5))
    signed_in(client, campaign)
    rows, html = rows_of(client, campaign, ids[0])
    assert len(rows) == TREE_LIMIT and rows[0] == (ids[0], 0, False)
    assert html.count('class="more"') == 1
    english = client.get(page_url(campaign, ids[0]), headers={"Accept-Language": "en"})
    assert "more referrals not shown" in english.get_data(as_text=True)


def test_the_page_needs_sign_in_and_a_player_of_the_brand(app, client):
    campaign = make_campaign()
    ids = make_chain(campaign, 2)
    resp = client.get(page_url(campaign, ids[0]))
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    signed_in(client, campaign)
    other = make_campaign()
    stranger = make_chain(other, 1)[0]
    assert client.get(page_url(campaign, stranger)).status_code == 404
    assert client.get(page_url(other, ids[0])).status_code == 404
    for bad in ("", "abc", "0", "-3", str(2**31)):
        assert client.get(page_url(campaign, bad)).status_code == 404

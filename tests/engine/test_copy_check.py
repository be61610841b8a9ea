"""The copy check refuses share-inducement wording in campaign text (422)."""

from __future__ import annotations

import pytest

from engine.campaigns.copy_check import inducements
from tests.engine.test_admin_api import bearer, campaign_body
from tests.factories import make_campaign, make_marketer


@pytest.mark.parametrize("text", [
    "邀请好友助力，领取大奖", "分享到朋友圈得 3 次抽奖机会", "转发给好友即可领券",
    "集赞 30 个送饮品", "帮我砍一刀", "邀请好友，你的植物额外 +30 成长"])
def test_inducement_wording_is_found(text):
    assert inducements(text)


@pytest.mark.parametrize("text", [
    "每天 3 次游戏机会，排行榜前 10 名得奖", "合成大西瓜，挑战最高分", "分享你的成绩给好友看看",
    "活动时间：11 月 1 日至 30 日"])
def test_ordinary_copy_passes(text):
    assert inducements(text) == []


def test_campaign_text_with_inducements_is_422_naming_the_field(app, client):
    campaign = make_campaign(status="draft")
    headers = bearer(make_marketer(campaign.brand))
    changed = client.patch(f"/api/v1/admin/campaigns/{campaign.id}", headers=headers,
                           json={"rules_text": "邀请 3 位好友助力，即可获得免单券"})
    assert changed.status_code == 422
    error = changed.get_json()["error"]
    assert error["code"] == "inducement_wording" and "助力" in error["fields"]["rules_text"][0]
    share_copy = client.patch(f"/api/v1/admin/campaigns/{campaign.id}", headers=headers,
                              json={"branding": {"share_title": "转发得红包"}})
    assert "branding.share_title" in share_copy.get_json()["error"]["fields"]
    created = client.post(f"/api/v1/admin/brands/{campaign.brand.slug}/campaigns",
                          headers=headers, json=campaign_body(title="集赞赢好礼"))
    assert created.status_code == 422
    fine = client.patch(f"/api/v1/admin/campaigns/{campaign.id}", headers=headers,
                        json={"rules_text": "排行榜前 10 名获得优惠券"})
    assert fine.status_code == 200

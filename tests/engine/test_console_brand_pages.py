"""Console pages over existing services: referral rewards, risk queue, tags, CRM, WeChat.

Each page is checked for what it shows, what a marketer may change, that an
analyst may read but not change, and that another brand's objects are 404.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from engine.clock import utcnow
from engine.extensions import db
from engine.models import (
    Campaign,
    CrmEndpoint,
    Delivery,
    RiskFlag,
    TagRule,
    WeChatAccount,
)
from engine.rewards.coupons import create_batch
from tests.factories import make_brand, make_campaign, make_player
from tests.support.console import post_form as post
from tests.support.console import signed_in_console


@pytest.fixture
def brand(app):
    return make_brand("alpha", "阿尔法")


# -- referral rewards -------------------------------------------------------------------


def test_referral_rewards_need_the_risk_acknowledged_and_record_who(app, brand):
    campaign = make_campaign(brand)
    batch = create_batch(brand.id, campaign.id, 10, title="新人券", valid_days=7)
    console = signed_in_console(app, brand)
    url = f"/admin/campaigns/{campaign.id}/referral"
    page = console.get(url).get_data(as_text=True)
    assert 'id="risk-notice"' in page and "传销" in page and "新人奖励" in page
    assert f'<option value="{batch.id}" >新人券' in page  # the campaign's batches to pick
    form = {"welcome_kind": "coupon", "welcome_batch_id": str(batch.id), "welcome_amount": "1",
            "level1_kind": "draws", "level1_amount": "2", "sharer_rewards_enabled": "1",
            "per_sharer_per_day": "5", "per_sharer_per_campaign": "50"}
    refused = post(console, url, form)
    assert refused.status_code == 422 and "确认风险提示" in refused.get_data(as_text=True)
    assert not (db.session.get(Campaign, campaign.id, populate_existing=True)
                .referral_config or {}).get("sharer_rewards_enabled")
    saved = post(console, url, {**form, "acknowledge_risk": "1"})
    body = saved.get_data(as_text=True)
    assert saved.status_code == 200 and 'id="referral-saved"' in body
    assert console.marketer_email in body and 'id="risk-acknowledged"' in body
    stored = db.session.get(Campaign, campaign.id, populate_existing=True).referral_config
    assert stored["acknowledged_by"] == console.marketer_email and stored["acknowledged_at"]
    assert stored["welcome"]["batch_id"] == batch.id and stored["levels"][0]["amount"] == 2
    assert stored["caps"] == {"per_sharer_per_day": 5, "per_sharer_per_campaign": 50}
    # a batch of another campaign is refused beside its field; a bad amount by the schema
    other = create_batch(brand.id, make_campaign(brand).id, 5, title="别的券", valid_days=7)
    wrong = post(console, url, {**form, "level2_kind": "coupon",
                                "level2_batch_id": str(other.id)})
    assert wrong.status_code == 422 and "优惠券批次不属于本活动" in wrong.get_data(as_text=True)
    lone = post(console, url, {**form, "level1_kind": "", "level2_kind": "draws"})
    assert lone.status_code == 422 and "请先设置一级奖励" in lone.get_data(as_text=True)
    bad = post(console, url, {**form, "level1_amount": "99"})
    assert bad.status_code == 422 and 'data-field="level1_amount"' in bad.get_data(as_text=True)


def test_an_analyst_reads_referral_rewards_but_cannot_save(app, brand):
    campaign = make_campaign(brand)
    analyst = signed_in_console(app, brand, "analyst")
    url = f"/admin/campaigns/{campaign.id}/referral"
    page = analyst.get(url).get_data(as_text=True)
    assert 'id="save-referral"' not in page and "disabled" in page
    assert post(analyst, url, {"level1_kind": "draws"}).status_code == 403


# -- risk queue -------------------------------------------------------------------------


def flag(campaign, **fields):
    player = make_player(campaign.brand)
    row = RiskFlag(brand_id=campaign.brand_id, campaign_id=campaign.id,
                   player_id=player.id, kind="referral_burst_address",
                   reason="同一地址 10 分钟内 12 次拉新", subject_kind="referral",
                   subject_id=player.id,
                   details={"count": 12, "window_s": 600, "limit": 10}, held=[],
                   default_action="reject", deadline=utcnow() + timedelta(days=2), **fields)
    db.session.add(row)
    db.session.commit()
    return row


def test_the_risk_queue_approves_and_rejects_with_a_reason(app, brand):
    campaign = make_campaign(brand)
    first, second = flag(campaign), flag(campaign)
    console = signed_in_console(app, brand)
    url = "/admin/brands/alpha/risk"
    page = console.get(url).get_data(as_text=True)
    assert f'id="flag-{first.id}"' in page and "同一地址大量拉新" in page
    assert f'id="reject-{first.id}"' in page
    act = f"{url}/{first.id}"
    no_reason = post(console, act, {"action": "reject", "reason": "  "}, page=url)
    assert no_reason.status_code == 422 and "拒绝前请填写原因" in no_reason.get_data(as_text=True)
    assert db.session.get(RiskFlag, first.id, populate_existing=True).status == "pending"
    done = post(console, act, {"action": "reject", "reason": "同一网吧批量注册"}, page=url)
    assert done.status_code == 200 and 'id="flag-decided"' in done.get_data(as_text=True)
    row = db.session.get(RiskFlag, first.id, populate_existing=True)
    assert (row.status, row.decided_by, row.decision_reason) == (
        "rejected", console.marketer_email, "同一网吧批量注册")
    again = post(console, act, {"action": "approve"}, page=url)
    assert again.status_code == 409 and "已处理" in again.get_data(as_text=True)
    assert post(console, f"{url}/{second.id}", {"action": "approve"}, page=url).status_code == 200
    assert db.session.get(RiskFlag, second.id, populate_existing=True).status == "approved"
    assert post(console, f"{url}/{second.id}", {"action": "maybe"}, page=url).status_code == 422
    decided = console.get(f"{url}?status=rejected").get_data(as_text=True)
    assert "同一网吧批量注册" in decided and f'id="flag-{second.id}"' not in decided


def test_the_risk_queue_is_read_only_for_analysts_and_scoped_to_the_brand(app, brand):
    campaign = make_campaign(brand)
    mine = flag(campaign)
    theirs = flag(make_campaign(make_brand("beta")))
    analyst = signed_in_console(app, brand, "analyst")
    page = analyst.get("/admin/brands/alpha/risk").get_data(as_text=True)
    assert f'id="flag-{mine.id}"' in page and f'id="approve-{mine.id}"' not in page
    assert post(analyst, f"/admin/brands/alpha/risk/{mine.id}", {"action": "approve"},
                page="/admin/brands/alpha/risk").status_code == 403
    console = signed_in_console(app, brand)
    resp = post(console, f"/admin/brands/alpha/risk/{theirs.id}", {"action": "approve"},
                page="/admin/brands/alpha/risk")
    assert resp.status_code == 404
    assert db.session.get(RiskFlag, theirs.id, populate_existing=True).status == "pending"


# -- audience tags ----------------------------------------------------------------------


RULE = '{"all": [{"metric": "plays", "op": ">=", "value": 1}]}'


def test_tag_rules_dry_run_create_edit_delete(app, brand):
    console = signed_in_console(app, brand)
    url = "/admin/brands/alpha/tags"
    page = console.get(url).get_data(as_text=True)
    assert "高手" in page and 'id="evaluation-state"' in page  # the default rule set
    form = {"name": "常客", "group": "参与", "priority": "0", "rule": RULE}
    dry = post(console, f"{url}/rules", {**form, "do": "dry_run"}, page=url)
    body = dry.get_data(as_text=True)
    assert dry.status_code == 200 and 'id="dry-run"' in body and "未保存任何内容" in body
    assert db.session.scalar(select(TagRule).where(TagRule.name == "常客")) is None
    bad = post(console, f"{url}/rules",
               {**form, "rule": '{"all": [{"metric": "nope", "op": ">=", "value": 1}]}'},
               page=url)
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "未知指标：nope" in body and "all › 0 › metric" in body
    assert "常客" in body  # what was typed stays in the form
    broken = post(console, f"{url}/rules", {**form, "rule": "{all"}, page=url)
    assert broken.status_code == 422 and "JSON" in broken.get_data(as_text=True)
    saved = post(console, f"{url}/rules", form, page=url)
    assert saved.status_code == 200 and 'id="rule-saved"' in saved.get_data(as_text=True)
    rule = db.session.scalar(select(TagRule).where(TagRule.name == "常客"))
    assert rule is not None
    # a full evaluation is queued after a rule changed: the page says so
    assert "规则修改后已排队" in console.get(url).get_data(as_text=True)
    edit = console.get(f"{url}?edit={rule.id}").get_data(as_text=True)
    assert "编辑标签规则" in edit and "&#34;plays&#34;" in edit
    post(console, f"{url}/rules/{rule.id}", {**form, "priority": "5"}, page=url)
    assert db.session.get(TagRule, rule.id, populate_existing=True).priority == 5
    post(console, f"{url}/rules/{rule.id}/delete", {}, page=url)
    assert db.session.get(TagRule, rule.id, populate_existing=True) is None
    grouped = post(console, f"{url}/groups", {"name": "会员等级", "exclusive": "1"}, page=url)
    assert grouped.status_code == 200 and "会员等级" in grouped.get_data(as_text=True)
    twice = post(console, f"{url}/groups", {"name": "会员等级"}, page=url)
    assert twice.status_code == 409


def test_tags_are_read_only_for_analysts_and_scoped_to_the_brand(app, brand):
    beta = make_brand("beta")
    beta_console = signed_in_console(app, beta)
    beta_console.get("/admin/brands/beta/tags")  # installs beta's default rules
    theirs = db.session.scalar(select(TagRule.id).where(TagRule.brand_id == beta.id))
    analyst = signed_in_console(app, brand, "analyst")
    url = "/admin/brands/alpha/tags"
    page = analyst.get(url).get_data(as_text=True)
    assert "高手" in page and 'id="save-rule"' not in page and 'id="dry-run-button"' not in page
    assert post(analyst, f"{url}/rules", {"rule": RULE, "do": "dry_run"},
                page=url).status_code == 403
    console = signed_in_console(app, brand)
    assert console.get(f"{url}?edit={theirs}").status_code == 404
    assert post(console, f"{url}/rules/{theirs}", {"name": "x", "group": "参与", "rule": RULE},
                page=url).status_code == 404
    assert post(console, f"{url}/rules/{theirs}/delete", {}, page=url).status_code == 404
    assert db.session.get(TagRule, theirs) is not None


# -- CRM endpoints ----------------------------------------------------------------------


def test_crm_endpoint_secret_is_shown_once_and_a_dead_letter_is_redelivered(app, brand):
    console = signed_in_console(app, brand)
    url = "/admin/brands/alpha/crm"
    refused = post(console, url, {"kind": "webhook", "name": "会员", "url": "ftp://crm.example"})
    assert refused.status_code == 422 and 'data-field="url"' in refused.get_data(as_text=True)
    made = post(console, url, {"kind": "webhook", "name": "会员系统",
                               "url": "https://crm.example.com/hook", "tag_groups": "活跃度"})
    body = made.get_data(as_text=True)
    assert made.status_code == 200 and 'id="endpoint-secret"' in body and "whsec_" in body
    endpoint = db.session.scalar(select(CrmEndpoint))
    assert endpoint.tag_groups == ["活跃度"]
    listed = console.get(url).get_data(as_text=True)
    assert "会员系统" in listed and endpoint.secret not in listed and "whsec_" not in listed
    dead = Delivery(endpoint_id=endpoint.id, batch_id="b-dead-1", change_ids=[1, 2],
                    status="dead", attempts=12, last_status=503, last_error="upstream down")
    db.session.add(dead)
    db.session.commit()
    log_url = f"{url}?log={endpoint.id}"
    log = console.get(log_url).get_data(as_text=True)
    assert f'id="redeliver-{dead.id}"' in log and "HTTP 503" in log
    retry = f"{url}/{endpoint.id}/deliveries/{dead.id}/retry"
    done = post(console, retry, {}, page=log_url)
    assert done.status_code == 200 and 'id="redeliver-outcome"' in done.get_data(as_text=True)
    row = db.session.get(Delivery, dead.id, populate_existing=True)
    assert (row.status, row.attempts, row.batch_id) == ("pending", 0, "b-dead-1")
    again = post(console, retry, {}, page=log_url)
    assert again.status_code == 409
    post(console, f"{url}/{endpoint.id}/remove", {}, page=url)
    assert db.session.get(CrmEndpoint, endpoint.id, populate_existing=True).active is False


def test_crm_is_read_only_for_analysts_and_scoped_to_the_brand(app, brand):
    beta = make_brand("beta")
    theirs = CrmEndpoint(brand_id=beta.id, kind="webhook", name="B", url="https://b.example",
                         secret="s" * 20)
    mine = CrmEndpoint(brand_id=brand.id, kind="webhook", name="A", url="https://a.example",
                       secret="s" * 20)
    db.session.add_all([theirs, mine])
    db.session.commit()
    dead = Delivery(endpoint_id=theirs.id, batch_id="b-x", change_ids=[1], status="dead")
    db.session.add(dead)
    db.session.commit()
    analyst = signed_in_console(app, brand, "analyst")
    page = analyst.get(f"/admin/brands/alpha/crm?log={mine.id}").get_data(as_text=True)
    assert 'id="add-endpoint"' not in page and "Remove" not in page
    assert post(analyst, "/admin/brands/alpha/crm", {"kind": "webhook", "url": "https://x.y"},
                page="/admin/brands/alpha/crm").status_code == 403
    console = signed_in_console(app, brand)
    assert console.get(f"/admin/brands/alpha/crm?log={theirs.id}").status_code == 404
    retry = f"/admin/brands/alpha/crm/{theirs.id}/deliveries/{dead.id}/retry"
    assert post(console, retry, {}, page="/admin/brands/alpha/crm").status_code == 404
    assert db.session.get(Delivery, dead.id, populate_existing=True).status == "dead"


# -- the brand's WeChat account ---------------------------------------------------------


def test_the_wechat_secret_is_stored_encrypted_and_never_shown(app, brand):
    console = signed_in_console(app, brand, "owner")
    url = "/admin/brands/alpha/wechat"
    assert "微信登录未开启" in console.get(url).get_data(as_text=True)
    bad = post(console, url, {"appid": "wx123", "secret": "A" * 32})
    assert bad.status_code == 422 and 'data-field="appid"' in bad.get_data(as_text=True)
    secret = "S3cretAppSecretValue0123456789ab"
    saved = post(console, url, {"appid": "wx0123456789abcdef", "secret": secret})
    body = saved.get_data(as_text=True)
    assert saved.status_code == 200 and 'id="wechat-saved"' in body and secret not in body
    account = db.session.scalar(select(WeChatAccount))
    assert (account.appid, account.secret) == ("wx0123456789abcdef", secret)
    raw = db.session.execute(text("SELECT secret FROM wechat_accounts")).scalar()
    assert secret not in raw  # encrypted at rest
    page = console.get(url).get_data(as_text=True)
    assert "wx0123456789abcdef" in page and secret not in page and secret[:8] not in page
    cleared = post(console, f"{url}/clear", {}, page=url)
    assert cleared.status_code == 200 and db.session.scalar(select(WeChatAccount)) is None


def test_an_analyst_cannot_set_the_wechat_account(app, brand):
    analyst = signed_in_console(app, brand, "analyst")
    url = "/admin/brands/alpha/wechat"
    assert 'id="save-wechat"' not in analyst.get(url).get_data(as_text=True)
    resp = post(analyst, url, {"appid": "wx0123456789abcdef", "secret": "A" * 32})
    assert resp.status_code == 403 and db.session.scalar(select(WeChatAccount)) is None


def test_only_an_owner_sets_or_removes_the_wechat_account(app, brand):
    owner = signed_in_console(app, brand, "owner")
    url = "/admin/brands/alpha/wechat"
    secret = "S3cretAppSecretValue0123456789ab"
    assert post(owner, url, {"appid": "wx0123456789abcdef", "secret": secret}).status_code == 200
    marketer = signed_in_console(app, brand, "marketer")
    page = marketer.get(url).get_data(as_text=True)
    # the marketer reads that the brand's own account is set, never the secret
    assert "wx0123456789abcdef" in page and "已设置" in page and secret not in page
    assert 'id="save-wechat"' not in page and 'id="clear-wechat"' not in page
    assert 'id="wechat-owners-only"' in page
    refused = post(marketer, url, {"appid": "wx00000000000000ff", "secret": "B" * 32})
    assert refused.status_code == 403
    assert post(marketer, f"{url}/clear", {}, page=url).status_code == 403
    account = db.session.scalar(select(WeChatAccount))
    db.session.refresh(account)
    assert (account.appid, account.secret) == ("wx0123456789abcdef", secret)


# -- a campaign's audience --------------------------------------------------------------


def test_a_campaign_audience_is_saved_through_the_tag_service(app, brand):
    campaign = make_campaign(brand)
    console = signed_in_console(app, brand)
    console.get("/admin/brands/alpha/tags")  # installs the default rule set
    tag = db.session.scalar(select(TagRule.name).where(TagRule.brand_id == brand.id))
    dashboard = console.get(f"/admin/campaigns/{campaign.id}").get_data(as_text=True)
    assert f'href="/admin/campaigns/{campaign.id}/audience"' in dashboard
    url = f"/admin/campaigns/{campaign.id}/audience"
    page = console.get(url).get_data(as_text=True)
    assert "所有人" in page and tag in page
    saved = post(console, url, {"tag": tag, "mode": "recommend"})
    body = saved.get_data(as_text=True)
    assert saved.status_code == 200 and 'id="audience-saved"' in body
    assert db.session.get(Campaign, campaign.id, populate_existing=True).audience == {
        "tag": tag, "mode": "recommend"}
    assert 'value="recommend" checked' in console.get(url).get_data(as_text=True)
    everyone = post(console, url, {"tag": "", "mode": "limit"})
    assert everyone.status_code == 200
    assert db.session.get(Campaign, campaign.id, populate_existing=True).audience is None


def test_a_bad_audience_is_shown_beside_its_field_and_nothing_is_saved(app, brand):
    campaign = make_campaign(brand)
    console = signed_in_console(app, brand)
    url = f"/admin/campaigns/{campaign.id}/audience"
    unknown = post(console, url, {"tag": "不存在", "mode": "limit"})
    body = unknown.get_data(as_text=True)
    assert unknown.status_code == 422 and 'data-field="tag"' in body and "未知标签：不存在" in body
    bad_mode = post(console, url, {"tag": "", "mode": "everyone"})
    assert bad_mode.status_code == 422 and 'data-field="mode"' in bad_mode.get_data(as_text=True)
    assert db.session.get(Campaign, campaign.id, populate_existing=True).audience is None


def test_an_analyst_reads_the_audience_and_another_brands_campaign_is_404(app, brand):
    campaign = make_campaign(brand)
    campaign.audience = {"tag": "高手", "mode": "limit"}
    theirs = make_campaign(make_brand("beta"))
    db.session.commit()
    analyst = signed_in_console(app, brand, "analyst")
    url = f"/admin/campaigns/{campaign.id}/audience"
    page = analyst.get(url).get_data(as_text=True)
    assert "高手" in page and 'id="save-audience"' not in page
    assert post(analyst, url, {"tag": "", "mode": "limit"}).status_code == 403
    assert db.session.get(Campaign, campaign.id, populate_existing=True).audience == {
        "tag": "高手", "mode": "limit"}
    console = signed_in_console(app, brand)
    other = f"/admin/campaigns/{theirs.id}/audience"
    assert console.get(other).status_code == 404
    assert post(console, other, {"tag": "", "mode": "limit"}, page=url).status_code == 404
    assert db.session.get(Campaign, theirs.id, populate_existing=True).audience is None

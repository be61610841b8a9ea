"""The rewards page: batches (generated or imported with a row report), prizes, rules."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engine.extensions import db
from engine.models import CouponBatch, Prize, RewardRule
from tests.factories import make_brand, make_campaign, make_marketer
from tests.support.console import csrf_of, sign_in

PASSWORD = "pw-123456"


@pytest.fixture
def setup(app, client):
    brand = make_brand("alpha", "阿尔法")
    campaign = make_campaign(brand, status="draft")
    marketer = make_marketer(brand, password=PASSWORD)
    sign_in(client, marketer.email, PASSWORD)
    page = client.get(f"/admin/campaigns/{campaign.id}/rewards").get_data(as_text=True)
    return campaign, csrf_of(page)


def test_generate_then_import_codes_with_a_row_report(client, setup):
    campaign, csrf = setup
    url = f"/admin/campaigns/{campaign.id}/rewards"
    resp = client.post(f"{url}/batches", data={
        "csrf": csrf, "title": "满30减5", "value_text": "减5元", "valid_days": "30",
        "per_player_limit": "1", "inventory": "20", "claimable": "1"})
    assert resp.status_code == 200
    batch = db.session.scalar(select(CouponBatch))
    assert batch.claimable and batch.title == "满30减5"
    codes = "code\nTEA-0001\nTEA-0002\nTEA-0001\nbad code!\n"
    resp = client.post(f"{url}/batches/{batch.id}/codes", data={
        "csrf": csrf, "codes_file": (io.BytesIO(codes.encode()), "codes.csv")},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="import-report"' in html
    assert "导入 2 个券码" in html and "TEA-0001" in html and "bad code!" in html
    page = client.get(url).get_data(as_text=True)
    assert ">22<" in page  # 20 generated + 2 imported


def test_an_imported_batch_and_refusals_beside_the_fields(client, setup):
    campaign, csrf = setup
    url = f"/admin/campaigns/{campaign.id}/rewards"
    resp = client.post(f"{url}/batches", data={"csrf": csrf, "title": "", "valid_days": "30"})
    assert resp.status_code == 422 and 'data-field="title"' in resp.get_data(as_text=True)
    resp = client.post(f"{url}/batches", data={
        "csrf": csrf, "title": "导入券", "valid_days": "30",
        "codes_file": (io.BytesIO("A-1\nA-2\n".encode("gb18030")), "c.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 200
    assert db.session.scalar(select(CouponBatch.code_source)) == "imported"


def test_prizes_and_rules(client, setup):
    campaign, csrf = setup
    url = f"/admin/campaigns/{campaign.id}/rewards"
    client.post(f"{url}/batches", data={"csrf": csrf, "title": "奶茶券", "valid_days": "7",
                                        "inventory": "5"})
    batch = db.session.scalar(select(CouponBatch))
    resp = client.post(f"{url}/prizes", data={"csrf": csrf, "name": "奶茶一杯",
                                              "batch_id": str(batch.id),
                                              "probability_ppm": "100000", "stock": "5"})
    assert resp.status_code == 302
    too_likely = client.post(f"{url}/prizes", data={"csrf": csrf, "name": "必中",
                                                    "probability_ppm": "950000"})
    assert too_likely.status_code == 422
    resp = client.post(f"{url}/rules", data={"csrf": csrf, "trigger": "score",
                                             "threshold": "500", "batch_id": str(batch.id)})
    assert resp.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "奶茶一杯" in page and "10.00%" in page and "500" in page
    prize = db.session.scalar(select(Prize))
    rule = db.session.scalar(select(RewardRule))
    for kind, item in (("prizes", prize.id), ("rules", rule.id)):
        assert client.post(f"{url}/{kind}/{item}/delete",
                           data={"csrf": csrf}).status_code == 302
    assert db.session.scalar(select(Prize)) is None
    assert db.session.scalar(select(RewardRule)) is None

"""The dashboard lists rewards that could not be issued, and a marketer retries them."""

from __future__ import annotations

from sqlalchemy import select

from engine.boards import period_close
from engine.extensions import db
from engine.models import AwardFailure, Coupon
from tests.engine.test_award_failures import DAY, rule
from tests.engine.test_period_close import day_campaign
from tests.factories import make_brand
from tests.support.console import csrf_of, signed_in_console


def failed_prize():
    campaign, players = day_campaign()
    batch = rule(campaign, period="daily", rank_from=1, rank_to=2, inventory=1)
    period_close.close_period(campaign, "daily", DAY)
    failure = db.session.scalar(select(AwardFailure))
    return campaign, players, batch, failure


def test_the_dashboard_lists_a_failure_and_a_retry_issues_it(app):
    campaign, players, batch, failure = failed_prize()
    console = signed_in_console(app, campaign.brand)
    url = f"/admin/campaigns/{campaign.id}"
    page = console.get(url).get_data(as_text=True)
    row = page[page.index(f'id="failure-{failure.id}"'):]
    row = row[:row.index("</tr>")]
    # who, which rule, why (in the marketer's language), when, and the button
    assert f"#{players[0].id}" in row and "排名奖" in row and "冠军券" in row
    assert "券已发完" in row and f'id="retry-{failure.id}"' in row
    retry = f"{url}/award-failures/{failure.id}/retry"
    assert console.post(retry, data={}).status_code == 400  # no CSRF token
    still = console.post(retry, data={"csrf": csrf_of(page)})
    assert still.status_code == 409 and 'id="retry-outcome"' in still.get_data(as_text=True)
    assert "仍未发放" in still.get_data(as_text=True)
    assert db.session.get(AwardFailure, failure.id, populate_existing=True).attempts == 2
    db.session.add(Coupon(batch_id=batch.id, brand_id=batch.brand_id, code="EXTRA0001"))
    db.session.commit()
    done = console.post(retry, data={"csrf": csrf_of(page)})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "已发放" in body and f'id="failure-{failure.id}"' not in body
    row = db.session.get(AwardFailure, failure.id, populate_existing=True)
    assert row.status == "resolved" and db.session.get(Coupon, row.coupon_id).player_id == \
        players[0].id
    again = console.post(retry, data={"csrf": csrf_of(page)})
    assert again.status_code == 409 and "已补发" in again.get_data(as_text=True)


def test_an_analyst_reads_but_cannot_retry(app):
    campaign, _, _, failure = failed_prize()
    analyst = signed_in_console(app, campaign.brand, role="analyst")
    page = analyst.get(f"/admin/campaigns/{campaign.id}").get_data(as_text=True)
    assert f'id="failure-{failure.id}"' in page and f'id="retry-{failure.id}"' not in page
    refused = analyst.post(f"/admin/campaigns/{campaign.id}/award-failures/{failure.id}/retry",
                           data={"csrf": csrf_of(page)})
    assert refused.status_code == 403
    assert db.session.get(AwardFailure, failure.id, populate_existing=True).attempts == 1


def test_another_campaigns_failure_is_404(app):
    campaign, _, _, failure = failed_prize()
    stranger = signed_in_console(app, make_brand("beta"))
    page = stranger.get("/admin/").get_data(as_text=True)
    resp = stranger.post(f"/admin/campaigns/{campaign.id}/award-failures/{failure.id}/retry",
                         data={"csrf": csrf_of(page)})
    assert resp.status_code == 404
    # the right campaign id does not open a failure of another campaign either
    own = signed_in_console(app, campaign.brand)
    other_campaign = db.session.scalar(select(AwardFailure.id))
    mine = own.get(f"/admin/campaigns/{campaign.id}").get_data(as_text=True)
    from tests.factories import make_campaign
    second = make_campaign(campaign.brand)
    resp = own.post(f"/admin/campaigns/{second.id}/award-failures/{other_campaign}/retry",
                    data={"csrf": csrf_of(mine)})
    assert resp.status_code == 404

"""The play page as a player meets it on a phone in WeChat: landing, play, result, wallet.

Each game is played to its end with the built-in art; a game over while offline
is recorded once the phone is back online; a reload mid-game resumes the game.
Screenshots land in the test's tmp dir (and in $HUDONG_SCREENSHOTS_DIR if set).
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from engine.campaigns.demo import seed_demo
from engine.clock import utcnow
from engine.extensions import db
from engine.models import Campaign, PlaySession, Score
from tests.factories import make_campaign
from tests.support.phone import play_to_the_end

KEYS = ("ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight")
PRESS_GAP_MS = 70
WAIT_MS = 20_000
SMALL = {"rows": 3, "cols": 3}  # a 3x3 board ends in a few dozen moves

# every visible control is at least 44 px square, every visible text at least 14 px,
# and text on its own background reads at 4.5:1 or better
AUDIT_JS = """() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const ch = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
  };
  const bgOf = (el) => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
    }
    return [255, 255, 255];
  };
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const problems = [];
  document.querySelectorAll('button, a, [role=button]').forEach((el) => {
    if (!visible(el)) return;
    const r = el.getBoundingClientRect();
    const name = el.id || el.textContent.trim();
    if (r.height < 44 || r.width < 44) problems.push(`tap ${name} ${r.width}x${r.height}`);
  });
  document.querySelectorAll('body *').forEach((el) => {
    if (!visible(el) || ['SCRIPT', 'STYLE', 'svg', 'path', 'CANVAS'].includes(el.tagName)) return;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) return;
    const st = getComputedStyle(el);
    if (parseFloat(st.fontSize) < 14) problems.push(`font ${el.className} ${st.fontSize}`);
    const fg = lum(parse(st.color)), bg = lum(bgOf(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const what = `${el.className || el.tagName} "${el.textContent.trim().slice(0, 12)}"`;
    if (ratio < 4.5) problems.push(`contrast ${what} ${ratio.toFixed(2)}`);
  });
  return problems;
}"""


def shoot(page, tmp_path, name: str) -> None:
    """Save a full-page screenshot where a reviewer can open it."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    target = os.environ.get("HUDONG_SCREENSHOTS_DIR")
    if target:
        os.makedirs(target, exist_ok=True)
        shutil.copy(path, os.path.join(target, f"{name}.png"))


def play_until_over(page, presses: int = 600) -> None:
    """Press arrows until the game is over (the page leaves the play screen or saves)."""
    for press in range(presses):
        screen = page.evaluate("document.body.dataset.screen")
        if screen != "play" or page.locator("#saving").is_visible():
            return
        page.keyboard.press(KEYS[press % len(KEYS)])
        page.wait_for_timeout(PRESS_GAP_MS)
    raise AssertionError("the game never ended")


def assert_large_font_respected(page) -> None:
    """WeChat's large-font setting enlarges the root size: text follows, nothing spills."""
    size = "parseFloat(getComputedStyle(document.querySelector('.how p')).fontSize)"
    before = page.evaluate(size)
    page.evaluate("document.documentElement.style.fontSize = '125%'")
    after = page.evaluate(size)
    assert after >= before * 1.2
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.evaluate("document.documentElement.style.fontSize = ''")


def scores() -> list[Score]:
    found = db.session.scalars(select(Score)).all()
    db.session.rollback()
    return found


def kept_moves(page) -> int:
    return page.evaluate("""() => { const k = JSON.parse(localStorage.getItem('hudong:game:' +
        JSON.parse(document.getElementById('campaign-data').textContent).slug) || 'null');
        return k && k.progress ? k.progress.moves.length : 0; }""")


@pytest.mark.browser
def test_synthesis_landing_play_result_wallet_with_art_contrast_and_tap_sizes(
        app, live_server, phone, tmp_path):
    seed_demo()
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "demo-synthesis"))
    campaign.ends_at = utcnow() + timedelta(days=14)
    campaign.game_params = {**(campaign.game_params or {}), "min_move_interval_ms": 60}
    db.session.commit()
    page = phone()
    page.goto(f"{live_server.url}/c/demo-synthesis")
    expect(page.locator("#landing")).to_be_visible()
    expect(page.locator("#how-to-play")).to_contain_text("滑动")
    expect(page.locator("#ends-at")).to_be_visible()
    assert (problems := page.evaluate(AUDIT_JS)) == [], problems
    shoot(page, tmp_path, "synthesis-landing")
    assert_large_font_respected(page)
    # the share sheet (referral) meets the same floor: 14 px text, 44 px taps, 4.5:1
    page.locator("#share-btn").click()
    expect(page.locator("#share-sheet")).to_be_visible()
    assert (problems := page.evaluate(AUDIT_JS)) == [], problems
    shoot(page, tmp_path, "share-sheet")
    page.locator("#share-sheet [data-share-close]").click()
    expect(page.locator("#share-sheet")).to_be_hidden()

    page.locator("#start").click()
    expect(page.locator("#game canvas")).to_be_visible()
    for press in range(12):
        page.keyboard.press(KEYS[press % len(KEYS)])
        page.wait_for_timeout(PRESS_GAP_MS)
    page.wait_for_function("Object.keys(window.HudongKit && document.images || {}).length >= 0")
    page.wait_for_timeout(300)
    shoot(page, tmp_path, "synthesis-play")
    play_until_over(page)
    expect(page.locator("#result")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#stage")).to_be_hidden()  # no canvas text shows through
    stored = scores()
    assert len(stored) == 1
    expect(page.locator("#result-score")).to_have_text(str(stored[0].score))
    assert (problems := page.evaluate(AUDIT_JS)) == [], problems
    shoot(page, tmp_path, "synthesis-result")

    claim = page.locator("[data-claim]").first
    claim.click()
    expect(claim).to_have_text("已领取", timeout=WAIT_MS)
    page.locator(".links a", has_text="我的券").click()
    issued = page.locator("#coupons li.issued")
    expect(issued.first).to_be_visible()
    assert issued.count() == page.locator("#coupons li.issued .qr svg").count() >= 1
    expect(page.locator("#coupons .code").first).to_be_visible()
    assert (problems := page.evaluate(AUDIT_JS)) == [], problems
    shoot(page, tmp_path, "wallet")
    page.locator("a", has_text="返回游戏").click()
    expect(page.locator("#landing")).to_be_visible()

    page.goto(f"{live_server.url}/c/demo-synthesis/rules")
    expect(page.locator("#privacy")).to_contain_text("个人信息处理者")
    assert (problems := page.evaluate(AUDIT_JS)) == [], problems
    shoot(page, tmp_path, "rules")


@pytest.mark.browser
def test_offline_at_game_over_is_recorded_once_back_online(app, live_server, phone, tmp_path):
    campaign = make_campaign(title="离线也不丢分",
                             game_params={**SMALL, "min_move_interval_ms": 60})
    page = phone()
    page.goto(f"{live_server.url}/c/{campaign.slug}")
    page.locator("#start").click()
    expect(page.locator("#game canvas")).to_be_visible()
    page.context.set_offline(True)
    play_until_over(page)
    expect(page.locator("#saving")).to_contain_text("成绩已保存在本机", timeout=WAIT_MS)
    assert "Failed to fetch" not in page.content()
    shoot(page, tmp_path, "offline-saving")
    assert scores() == []
    page.context.set_offline(False)
    expect(page.locator("#result")).to_be_visible(timeout=WAIT_MS)
    stored = scores()
    assert len(stored) == 1
    expect(page.locator("#result-score")).to_have_text(str(stored[0].score))
    assert page.evaluate("localStorage.length") == 0 or kept_moves(page) == 0


@pytest.mark.browser
def test_a_reload_mid_game_resumes_it_and_the_score_counts(app, live_server, phone):
    campaign = make_campaign(title="刷新也能继续", game_params={"min_move_interval_ms": 60})
    page = phone()
    url = f"{live_server.url}/c/{campaign.slug}"
    page.goto(url)
    page.locator("#start").click()
    expect(page.locator("#game canvas")).to_be_visible()
    for press in range(16):
        page.keyboard.press(KEYS[press % len(KEYS)])
        page.wait_for_timeout(PRESS_GAP_MS)
    before = kept_moves(page)
    assert before > 0
    page.reload()
    expect(page.locator("#game canvas")).to_be_visible()
    expect(page.locator("#landing")).to_be_hidden()
    assert kept_moves(page) == before  # the same game, not a new one
    play_until_over(page)
    expect(page.locator("#result")).to_be_visible(timeout=WAIT_MS)
    stored = scores()
    assert len(stored) == 1 and stored[0].moves > before
    assert db.session.scalar(select(func.count()).select_from(PlaySession)) == 1
    db.session.rollback()


@pytest.mark.browser
def test_racing_runs_to_its_end_with_the_art_and_a_timer(app, live_server, phone, tmp_path):
    campaign = make_campaign(game_type="racing", title="极速配送赛",
                             game_params={"duration_s": 10, "obstacle_density": 30})
    page = phone()
    page.goto(f"{live_server.url}/c/{campaign.slug}")
    shoot(page, tmp_path, "racing-landing")
    keys = ("ArrowLeft", "ArrowRight", "ArrowRight", "ArrowLeft")
    play_to_the_end(page, keys, 40, 300, wait_ms=WAIT_MS, after_press=lambda press: (
        press == 8 and shoot(page, tmp_path, "racing-play")))
    assert len(scores()) == 1
    shoot(page, tmp_path, "racing-result")


@pytest.mark.browser
def test_nurture_has_a_landing_and_grows_to_its_end_with_the_art(
        app, live_server, phone, tmp_path):
    seed_demo()
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "demo-nurture"))
    campaign.ends_at = utcnow() + timedelta(days=7)
    # a short plant: the day's three care actions (+10, +5, +25) grow it to its end
    campaign.game_params = {**(campaign.game_params or {}), "stages": [
        {"name": name, "threshold": threshold, "image": ""}
        for name, threshold in (("种子", 0), ("发芽", 15), ("结果", 40))]}
    db.session.commit()
    page = phone()
    page.goto(f"{live_server.url}/c/demo-nurture")
    landing = page.locator("#landing")
    expect(landing).to_be_visible()
    expect(page.locator("#how-to-play")).to_contain_text("浇水")
    expect(page.locator("#prizes-glance")).to_contain_text("茶树结果礼")
    expect(page.locator("#ends-at")).to_be_visible()
    expect(page.locator("#plays-left")).to_have_text("今日体力 10/10")
    expect(page.locator("#start")).to_have_text("开始养成")
    expect(page.locator("#stage")).to_be_hidden()
    assert (problems := page.evaluate(AUDIT_JS)) == [], problems
    shoot(page, tmp_path, "nurture-landing")

    page.locator("#start").click()
    expect(landing).to_be_hidden()
    expect(page.locator(".nt-plant .nt-art img")).to_have_count(2)
    expect(page.locator(".nt-art img").last).to_have_attribute("src", re.compile("^data:image/svg"))
    box = page.locator(".nt-art").bounding_box()
    assert box and box["height"] > 100
    assert (problems := page.evaluate(AUDIT_JS)) == [], problems
    page.locator('button[data-action="water"]').click()
    expect(page.locator(".nt-plant")).to_have_attribute("data-stage", "0")
    page.locator('button[data-action="sunshine"]').click()
    expect(page.locator(".nt-plant")).to_have_attribute("data-stage", "1")
    page.wait_for_timeout(1000)
    shoot(page, tmp_path, "nurture-play")
    page.locator('button[data-action="fertilize"]').click()
    expect(page.locator("#nt-next")).to_have_text("已经成熟啦！", timeout=WAIT_MS)
    expect(page.locator("#nt-reward")).to_contain_text("已获得")
    expect(page.locator("#plays-left")).to_have_text("今日体力 6/10")
    page.wait_for_timeout(1000)
    assert (problems := page.evaluate(AUDIT_JS)) == [], problems
    shoot(page, tmp_path, "nurture-grown")

    page.locator(".links a", has_text="我的券").click()
    expect(page.locator("#coupons li.issued").first).to_be_visible()
    page.locator("a", has_text="返回游戏").click()
    expect(page.locator("#start")).to_have_text("查看我的植物")


@pytest.mark.browser
def test_landscape_asks_to_rotate_and_a_missing_campaign_is_a_branded_404(
        app, live_server, phone, tmp_path):
    page = phone()
    page.goto(f"{live_server.url}/c/no-such-thing")
    expect(page.locator(".lost-card")).to_contain_text("活动不存在")
    shoot(page, tmp_path, "not-found")
    seed_demo()
    page.set_viewport_size({"width": 844, "height": 390})
    page.goto(f"{live_server.url}/c/demo-synthesis")
    expect(page.locator(".rotate")).to_be_visible()

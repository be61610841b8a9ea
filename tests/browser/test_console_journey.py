"""A marketer's day in the console, in Debian's chromium, from an empty database.

``flask brands create`` and ``flask users create`` make the owner; the owner
signs in, creates a campaign of every game type with an uploaded image,
previews it, publishes it; a player plays it on a phone; the play shows on
the dashboard's chart. An invited analyst cannot save, and a form posted
from another origin is refused.
"""

from __future__ import annotations

import http.server
import os
import re
import threading
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from engine.extensions import db
from engine.models import Campaign, Score
from games import GAME_TYPES
from tests.support.phone import play_to_the_end

PASSWORD = "tea-brand-owner-1"
WAIT_MS = 20_000
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}
SHOTS = Path(os.environ.get("HUDONG_SCREENSHOTS", "/tmp/hudong-screenshots"))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=True)


@pytest.fixture
def logo(tmp_path) -> Path:
    path = tmp_path / "logo.png"
    image = Image.new("RGB", (240, 120), (200, 40, 50))
    for x in range(60, 180):
        for y in range(40, 80):
            image.putpixel((x, y), (255, 255, 255))
    image.save(path)
    return path


@pytest.fixture
def desktop(browser):
    contexts = []

    def new_page():
        context = browser.new_context(**DESKTOP)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # confirm publish / pause / end
        return page

    yield new_page
    for context in contexts:
        context.close()


def sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/admin/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator(".topbar")).to_be_visible()


def create_campaign(page, url: str, game_type: str, logo: Path) -> int:
    page.goto(f"{url}/admin/")
    page.click("#new-campaign-cha")
    page.check(f"input[name=game_type][value={game_type}]")
    page.fill("input[name=title]", f"春日{GAME_TYPES[game_type].title}")
    page.fill("input[name=slug]", f"spring-{game_type}")
    page.click("#new-campaign button[type=submit]")
    expect(page.locator("#game")).to_be_visible()
    campaign_id = int(re.search(r"/campaigns/(\d+)/edit", page.url).group(1))
    if game_type == "racing":  # a short race keeps the test quick
        page.fill("input[name='p.duration_s']", "10")
        page.click("#game button[type=submit]")
        expect(page.locator("#saved")).to_be_visible()
    page.set_input_files("#branding input[name='file.logo']", str(logo))
    page.fill("#branding input[name=share_title]", "一起来玩")
    page.click("#branding button[type=submit]")
    expect(page.locator("#saved")).to_be_visible()
    expect(page.locator("#logo-thumb")).to_be_visible()
    return campaign_id


def preview(page, game_type: str) -> None:
    page.click("#nav-preview")
    frame = page.frame_locator("#preview-frame")
    expect(frame.locator("#preview-badge")).to_be_visible()
    expect(frame.locator(".bar .logo")).to_be_visible()  # the uploaded logo, by its hash URL
    if GAME_TYPES[game_type].replayed:
        frame.locator("#start").click()
        expect(frame.locator("#game canvas")).to_be_visible()
    else:
        expect(frame.locator("button[data-action]").first).to_be_enabled()
        frame.locator("button[data-action]").first.click()
        expect(frame.locator("#nt-growth")).not_to_have_text("0")
    shot(page, f"preview-{game_type}")


def play_on_phone(phone, url: str, game_type: str) -> None:
    page = phone()
    page.goto(f"{url}/c/spring-{game_type}")
    if not GAME_TYPES[game_type].replayed:
        page.locator("#start").click()  # every game opens on its landing now
        page.locator("button[data-action]").first.click()
        expect(page.locator("#nt-growth")).not_to_have_text("0")
        return

    def finish_early(press: int) -> None:
        if press == 12 and page.locator("#finish-early").is_visible():
            page.locator("#finish-early").click()

    play_to_the_end(page, ("ArrowUp", "ArrowLeft", "ArrowDown", "ArrowRight"), 80, 300,
                    after_press=finish_early, wait_ms=WAIT_MS)
    shot(page, f"phone-{game_type}")


def attacker_site(target: str, csrf_field: bool) -> tuple[http.server.HTTPServer, str]:
    """Serve a page on another origin that posts a form to ``target`` on load."""
    field = '<input type="hidden" name="csrf" value="guessed">' if csrf_field else ""
    html = (f'<form id="f" method="post" action="{target}">{field}</form>'
            '<script>document.getElementById("f").submit()</script>').encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


@pytest.mark.browser
def test_a_marketers_day(app, runner, live_server, desktop, phone, logo):
    url = live_server.url
    assert runner.invoke(args=["brands", "create", "cha", "茶颜示例"]).exit_code == 0
    made = runner.invoke(args=["users", "create", "--email", "owner@tea.example", "--password",
                               PASSWORD, "--brand", "cha", "--name", "小王"])
    assert made.exit_code == 0, made.output

    owner = desktop()
    sign_in(owner, url, "owner@tea.example", PASSWORD)
    shot(owner, "home-empty")
    ids = {}
    for game_type in sorted(GAME_TYPES):
        ids[game_type] = create_campaign(owner, url, game_type, logo)
        shot(owner, f"edit-{game_type}")
        preview(owner, game_type)
        owner.click("#publish")
        expect(owner.locator("#campaign-status")).to_have_text("进行中")
        play_on_phone(phone, url, game_type)
        owner.click("#nav-dashboard")
        expect(owner.locator("#kpi-plays")).not_to_have_text("0")
        expect(owner.locator("#daily-chart")).to_have_attribute("data-ready", "1")
        plays = owner.evaluate("window.dailyChart.data.datasets[1].data.reduce((a, b) => a + b)")
        assert plays >= 1
        shot(owner, f"dashboard-{game_type}")
    assert db.session.scalar(select(Score.score)) is not None
    db.session.rollback()
    owner.goto(f"{url}/admin/")
    shot(owner, "home")

    # an invited analyst reads everything and saves nothing
    owner.goto(f"{url}/admin/brands/cha/team")
    owner.fill("input[name=email]", "analyst@tea.example")
    owner.select_option("form.card select[name=role]", "analyst")
    owner.click("form.card button[type=submit]")
    link = owner.locator("#invite-link").input_value()
    analyst = desktop()
    analyst.goto(link)
    analyst.fill("input[name=name]", "小李")
    analyst.fill("input[name=password]", "analyst-password-1")
    analyst.click("button[type=submit]")
    expect(analyst.locator(".topbar")).to_be_visible()
    synthesis = ids["synthesis"]
    analyst.goto(f"{url}/admin/campaigns/{synthesis}/edit")
    expect(analyst.locator("#read-only")).to_be_visible()
    expect(analyst.locator("#basics button[type=submit]")).to_be_hidden()
    expect(analyst.locator("#pause")).to_have_count(0)
    shot(analyst, "analyst")
    analyst.evaluate("""() => { const f = document.getElementById('basics');
        f.closest('fieldset').disabled = false; f.title.value = '分析师改的'; f.submit(); }""")
    expect(analyst.locator("#refused")).to_be_visible()
    assert db.session.get(Campaign, synthesis).title != "分析师改的"
    db.session.rollback()

    # a form posted from another origin (same site, so the cookie goes along) is refused
    target = f"{url}/admin/campaigns/{synthesis}/pause"
    for with_field in (False, True):
        server, page_url = attacker_site(target, with_field)
        try:
            owner.goto(page_url)
            expect(owner.locator("#refused")).to_be_visible()
        finally:
            server.shutdown()
            server.server_close()
    assert db.session.get(Campaign, synthesis).status == "live"
    db.session.rollback()

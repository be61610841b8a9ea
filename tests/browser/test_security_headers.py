"""The content security policy lets every page work: no violation, live push, own-origin frames."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.campaigns.demo import seed_demo
from tests.factories import make_brand, make_marketer

WAIT_MS = 15_000
# every violation the page reports, collected before any of its scripts runs
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def _open(page, url):
    page.add_init_script(WATCH)
    page.goto(url)
    return page


@pytest.mark.browser
@pytest.mark.parametrize("slug", ["demo-synthesis", "demo-racing", "demo-nurture"])
def test_play_pages_run_live_under_the_policy(app, live_server, phone, slug):
    seed_demo()
    page = _open(phone(), f"{live_server.url}/c/{slug}")
    page.wait_for_load_state("networkidle")
    if page.locator("#leaderboard").is_visible():
        expect(page.locator("#leaderboard")).to_have_attribute("data-live", "on",
                                                               timeout=WAIT_MS)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__violations") == []
    # a WeChat avatar host is an allowed image source: the policy does not refuse it
    page.evaluate("""() => { const img = new Image();
        img.src = 'https://thirdwx.qlogo.cn/mmopen/x/132'; document.body.append(img); }""")
    page.wait_for_timeout(300)
    assert not [v for v in page.evaluate("window.__violations") if "qlogo" in v]


@pytest.mark.browser
def test_the_console_frames_a_page_of_its_own_origin_only(app, live_server, phone):
    seed_demo()
    make_marketer(make_brand("csp"), email="csp@example.com", password="pw-123456")
    page = _open(phone(), f"{live_server.url}/admin/login")
    assert page.evaluate("window.__violations") == []
    page.evaluate(f"""() => {{ const f = document.createElement('iframe');
        f.id = 'preview'; f.src = '{live_server.url}/c/demo-synthesis';
        document.body.append(f); }}""")
    frame = page.frame_locator("#preview")
    expect(frame.locator("#start")).to_be_visible(timeout=WAIT_MS)
    # a script injected inline is refused (no 'unsafe-inline' for scripts)
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__injected = true'; document.body.append(s); }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__injected === undefined")
    assert any("script-src" in v for v in page.evaluate("window.__violations"))

"""Measure the play page on a phone: bytes, time to playable on slow 4G, frames on a slow CPU.

Debian's chromium through Playwright and its DevTools protocol: the network is
held to 150 ms RTT and 1.6 Mbps down (a slow 4G), the CPU slowed 4x for the
frame figures. Every figure comes from a real page served by gunicorn.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from playwright.sync_api import sync_playwright

from bench import page_weight
from bench.table import Row

GAMES = {"synthesis": "demo-synthesis", "racing": "demo-racing", "nurture": "demo-nurture"}
PLAYABLE_BUDGET_MS = 1500
FRAME_BUDGET_MS = 16.7
CPU_SLOWDOWN = 4  # Emulation.setCPUThrottlingRate: a mid-range phone against this machine
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
           "uploadThroughput": 750_000 / 8}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         # the page's CSP allows no eval; Playwright's wait_for_function needs it
         "bypass_csp": True}
# rAF intervals while the game runs: the time between two frames the player sees
FRAMES_JS = """(ms) => new Promise((done) => {
  const gaps = []; let last = null; const end = performance.now() + ms;
  const tick = (t) => { if (last !== null) gaps.push(t - last); last = t;
    if (t < end) requestAnimationFrame(tick); else done(gaps); };
  requestAnimationFrame(tick);
})"""


@dataclass(frozen=True)
class PageTimes:
    """First render and playable time of one page under slow 4G, in ms."""

    first_paint_ms: float
    playable_ms: float


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _times(browser, url: str) -> PageTimes:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    page.goto(url, wait_until="commit")
    page.wait_for_function("performance.getEntriesByName('hudong-playable').length > 0",
                           timeout=30_000)
    figures = page.evaluate("""() => ({
      paint: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0,
      playable: performance.getEntriesByName('hudong-playable')[0].startTime })""")
    context.close()
    return PageTimes(figures["paint"], figures["playable"])


def _frames(browser, url: str, game: str) -> list[float]:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(url)
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.locator("#start").click()
    if game == "nurture":  # DOM, not canvas: the care buttons, the bars, the growth motion
        page.wait_for_selector("#garden .nt-actions button")
    else:
        page.wait_for_selector("#game canvas")
    gaps = page.evaluate_handle(FRAMES_JS, 3000)
    if game == "nurture":
        for action in ("water", "sunshine", "fertilize"):
            page.locator(f'button[data-action="{action}"]').click()
            page.wait_for_timeout(700)
    else:
        keys = ("ArrowLeft", "ArrowRight") if game == "racing" else ("ArrowUp", "ArrowLeft",
                                                                      "ArrowDown", "ArrowRight")
        for i in range(14):  # moves and steers during the measured seconds: animated frames
            page.keyboard.press(keys[i % len(keys)])
            page.wait_for_timeout(180)
    values = gaps.json_value()
    context.close()
    return values


def measure(base_url: str) -> list[Row]:
    """Return the page rows: KB to first play per game, slow-4G times, frames at 4x CPU."""
    rows = []
    for game, slug in GAMES.items():
        weight = page_weight.measure(base_url, f"/c/{slug}")
        rows.append(Row(f"play page gzipped to first play, {game} ({len(weight.assets)} files)",
                        weight.kb, "KB", page_weight.BUDGET_KB, "budget"))
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return rows + [Row("play page timings", "skipped (needs chromium)", "")]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            for game in GAMES:
                t = _times(browser, f"{base_url}/c/{GAMES[game]}")
                rows.append(Row(f"first render, slow 4G (150 ms RTT, 1.6 Mbps), {game}",
                                t.first_paint_ms, "ms"))
                rows.append(Row(f"playable, slow 4G (150 ms RTT, 1.6 Mbps), {game}",
                                t.playable_ms, "ms", PLAYABLE_BUDGET_MS, "budget"))
            for game in GAMES:
                gaps = _frames(browser, f"{base_url}/c/{GAMES[game]}", game)
                rows.append(Row(f"frame time p95, {CPU_SLOWDOWN}x CPU throttle, {game} "
                                f"({len(gaps)} frames)", percentile(gaps, 95), "ms",
                                FRAME_BUDGET_MS, "budget"))
        finally:
            browser.close()
    return rows


def main() -> int:
    """Measure only the play page rows: ``python -m bench.play_page``."""
    import tempfile
    from pathlib import Path

    from bench.servers import LOG_DIR, Gunicorn
    from bench.stores import fresh_stores, prepare
    from bench.table import render

    LOG_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hudong-bench-") as tmp, \
            fresh_stores(Path(tmp)) as stores:
        prepare(stores, LOG_DIR / "bench-play-page.log")
        with Gunicorn("wsgi:app", stores.server_env(), "bench-play-page-app.log") as app:
            rows = measure(app.url)
    print(f"Hudong bench, play page only: {stores.label}")
    print(render(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

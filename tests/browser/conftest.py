"""Browser fixtures: Debian's chromium through Playwright, and phone-sized pages.

Playwright drives the system chromium (``chromium_path``); it never downloads
a browser. Pages look like WeChat's in-app browser on a phone.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) "
             "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.120 "
             "Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240301 MMWEBID/2307 "
             "MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI "
             "Language/zh_CN ABI/arm64")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "user_agent": WECHAT_UA, "locale": "zh-CN"}


@pytest.fixture(scope="session")
def browser(chromium_path) -> Browser:
    """Launch one headless chromium for the session."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def phone(browser):
    """Return a function that opens a page in a new phone context (a new player)."""
    contexts = []

    def new_page() -> Page:
        context = browser.new_context(**PHONE)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    try:
        yield new_page
    finally:
        for context in contexts:
            context.close()

"""Play a game on the play page as a person would: start, press keys until the result shows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from playwright.sync_api import Locator, Page, expect

#: how long the page may take to show the result after the last press
RESULT_WAIT_MS = 15_000


def play_to_the_end(page: Page, keys: Sequence[str], presses: int, gap_ms: int,
                    after_press: Callable[[int], None] | None = None,
                    wait_ms: int = RESULT_WAIT_MS) -> Locator:
    """Start the game, press ``keys`` in turn until ``#result`` shows; return the result.

    At most ``presses`` presses, ``gap_ms`` apart (a client drops moves that
    come too fast); ``after_press(n)`` runs after the n-th (a screenshot, a
    tap on 提前结束). Fails unless the result shows within ``wait_ms``.
    """
    expect(page.locator("#start")).to_be_enabled()
    page.locator("#start").click()
    expect(page.locator("#game canvas")).to_be_visible()
    result = page.locator("#result")
    for press in range(presses):
        if result.is_visible():
            break
        page.keyboard.press(keys[press % len(keys)])
        page.wait_for_timeout(gap_ms)
        if after_press is not None:
            after_press(press)
    expect(result).to_be_visible(timeout=wait_ms)
    return result

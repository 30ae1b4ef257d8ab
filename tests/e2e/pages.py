"""What every browser journey does: log in through the login page."""

import re

from django.conf import settings
from playwright.sync_api import Page


def log_in(page: Page, base: str, username: str, password: str | None = None) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or settings.ICN_DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()


SETTLED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def settle(page: Page) -> None:
    """Wait until the page has re-laid itself for a new window size: the design system's
    header moves its navigation into "More" on a resize observer and an animation frame."""
    page.evaluate(SETTLED)


def fits_the_screen(page: Page) -> bool:
    """No sideways scroll at the page's current width, once it has settled."""
    settle(page)
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def htmx_ready(page: Page) -> None:
    """Wait until the page's scripts have run, so htmx has bound its triggers: a heading can
    show before then, and a change made at that moment would go unheard."""
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")

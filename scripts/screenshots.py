"""Screenshots of the pages built for a phone, from a running ICN with the demo data.

    .venv/bin/python scripts/screenshots.py [BASE_URL]

BASE_URL defaults to $ICN_SCREENSHOTS_URL, else http://127.0.0.1:${ICN_PORT:-8000}/ (what
`make run` serves). Logs in as the demo users through the login page in Debian's Chromium
and writes full-page PNGs to docs/screenshots/, each at 375x812 and as NAME-desktop.png at
1280x800:

- person-page.png: the demo's busiest person (the longest person's page in the pharmacist's
  list), as `pharmacist.thornton-heath`;
- visit-form.png: "Log a visit" for that person, as the same pharmacist;
- meeting-mode.png: the next huddle run by `chair.thornton-heath`, its first person open.
"""

import argparse
import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
NETWORK = "thornton-heath"
PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-password-change-me")
SIZES = {"": (375, 812), "-desktop": (1280, 800)}


def log_in(browser: Browser, base: str, role: str, width: int, height: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(urljoin(base, "/accounts/login/"))
    page.get_by_label("Username").fill(f"{role}.{NETWORK}")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    page.wait_for_load_state()
    if "/accounts/login" in page.url:
        sys.exit(f"Could not log in as {role}.{NETWORK}: is the demo data loaded?")
    return page


def busiest_person(page: Page, base: str) -> str:
    """The person whose page is longest, of those on the first page of the people list."""
    page.goto(urljoin(base, "/patients/"))
    links = page.locator("a[href]").evaluate_all("links => links.map(a => a.pathname)")
    people = sorted({p for p in links if re.fullmatch(r"/patients/\d+/", p)})
    if not people:
        sys.exit("No one in the people list: is the demo data loaded?")
    heights = {}
    for person in people:
        page.goto(urljoin(base, person))
        heights[person] = page.evaluate("document.documentElement.scrollHeight")
    return max(people, key=lambda p: heights[p])


def next_meeting_run(page: Page, base: str) -> str:
    """Meeting mode of the first meeting listed (the next one), which opens its first person."""
    page.goto(urljoin(base, "/meetings/"))
    links = page.locator("a[href]").evaluate_all("links => links.map(a => a.pathname)")
    meetings = [p for p in links if re.fullmatch(r"/meetings/\d+/", p)]
    if not meetings:
        sys.exit("No meeting listed for the chair: is the demo data loaded?")
    return meetings[0] + "run/"


def shoot(page: Page, base: str, path: str, name: str, suffix: str) -> None:
    page.goto(urljoin(base, path))
    page.wait_for_load_state("networkidle")
    target = OUT / f"{name}{suffix}.png"
    width, height = page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight]"
    )
    # The whole page in one window as tall as the page, so that a sticky bar (the visit
    # form's Save) is drawn where it rests at the end of the page, not over the middle.
    screen = page.viewport_size
    assert screen is not None
    page.set_viewport_size({"width": screen["width"], "height": height})
    page.screenshot(path=target)
    page.set_viewport_size(screen)
    print(f"{target.relative_to(ROOT)}: {page.url} ({width}x{height} px)")


def main() -> int:
    default = os.environ.get(
        "ICN_SCREENSHOTS_URL", f"http://127.0.0.1:{os.environ.get('ICN_PORT', '8000')}/"
    )
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", nargs="?", default=default, help=f"default {default}")
    base = parser.parse_args().base_url
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("Needs Debian's chromium package: apt-get install -y chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        person = None
        for suffix, (width, height) in SIZES.items():
            pharmacist = log_in(browser, base, "pharmacist", width, height)
            person = person or busiest_person(pharmacist, base)
            shoot(pharmacist, base, person, "person-page", suffix)
            shoot(pharmacist, base, f"/medicines{person}visit/", "visit-form", suffix)
            chair = log_in(browser, base, "chair", width, height)
            shoot(chair, base, next_meeting_run(chair, base), "meeting-mode", suffix)
            pharmacist.close()
            chair.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Accessibility, enforced: axe-core (WCAG 2.2 AA rules) over every page of the app for every
role that may open it, at a desktop (1280x800) and a phone (375x812) width, and no page that
scrolls sideways on the phone (headless Debian Chromium).

The pages and the roles come from one place, the access matrix (tests/test_access_matrix.py,
PAGES), which itself fails when a URL is added without being listed: every GET there that a
role may open (200, or a redirect followed to where it leads) is checked here for that role,
in the same world the matrix runs in (tests/access_world.py), built once behind the live
server. A file (a PDF, a CSV) is no page; an htmx fragment (FRAGMENTS, asserted) is checked
inside the page that swaps it in. The key states complete the tour on the fuller demo data
(seed_demo): the referral form sent empty and with a service's criteria swapped in, the
visit form with its live NEWS2 and advice and with its errors, the busiest person's page and
timeline, meeting mode with a person open, the login page and Login and security.

One log in per role (a session cookie put into a browser context), each page loaded once:
axe at 1280 px, then the same page resized to 375 px, axe again and the sideways check.
Roles are shared among WORKERS Chromiums. Every problem names the page, role, width, URL,
rule and nodes (or, for a sideways scroll, the elements past the edge).
"""

import queue
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.e2e.pages import settle
from tests.test_access_matrix import ALL, PAGES

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 800), "phone": (375, 812)}
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# The htmx fragments among the matrix's URLs, each checked inside the page that swaps it in.
FRAGMENTS = {"bell", "criteria", "news2 preview", "visit recommendation", "dm+d search page"}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}

# What sticks out past the right edge of the window (the outermost such elements and the
# innermost, where the cause usually is), for the sideways-scroll message.
OVERFLOWING = """() => {
  const width = window.innerWidth;
  const over = (el) => el.getBoundingClientRect().right > width + 1;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string'
       ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
    + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + ' px): '
    + el.outerHTML.slice(0, 160).replace(/\\s+/g, ' ');
  const all = Array.from(document.body.querySelectorAll('*')).filter(over);
  const outermost = all.filter((el) => !el.parentElement || !over(el.parentElement));
  const innermost = all.filter((el) => !Array.from(el.children).some(over));
  return [...outermost.slice(0, 4).map((el) => 'outermost ' + describe(el)),
          ...innermost.slice(0, 4).map((el) => 'innermost ' + describe(el))];
}"""


@dataclass
class Findings:
    """Every violation found, each naming the page, role, width, rule and nodes."""

    problems: list[str] = field(default_factory=list)
    checked: int = 0
    loads: int = 0
    axe_seconds: float = 0.0
    fragments: set[str] = field(default_factory=set)

    @classmethod
    def merge(cls, parts: list["Findings"]) -> "Findings":
        return cls(
            problems=[p for part in parts for p in part.problems],
            checked=sum(part.checked for part in parts),
            loads=sum(part.loads for part in parts),
            axe_seconds=sum(part.axe_seconds for part in parts),
            fragments=set().union(*(part.fragments for part in parts)),
        )

    def axe(self, page: Page, what: str, role: str, width: str) -> None:
        started = time.monotonic()
        results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        self.axe_seconds += time.monotonic() - started
        self.checked += 1
        for violation in results["violations"]:
            nodes = "\n".join(
                f"      {', '.join(map(str, node['target']))}: {node['html'][:200]}\n"
                f"        {node.get('failureSummary', '').replace(chr(10), ' ')}"
                for node in violation["nodes"]
            )
            self.problems.append(
                f"{what} as {role} at {width} ({page.url}): {violation['id']} "
                f"({violation['impact']}): {violation['help']}\n{nodes}"
            )

    def sideways(self, page: Page, what: str, role: str) -> None:
        scroll, inner = page.evaluate(
            "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
        )
        if scroll > inner:
            culprits = "\n".join(f"      {c}" for c in page.evaluate(OVERFLOWING))
            self.problems.append(
                f"{what} as {role} at phone ({page.url}): scrolls sideways, "
                f"{scroll} px wide in a {inner} px window\n{culprits}"
            )

    def both_widths(self, page: Page, what: str, role: str) -> None:
        """The page as loaded at desktop width, then resized to a phone."""
        self.axe(page, what, role, "desktop")
        page.set_viewport_size(dict(zip(("width", "height"), WIDTHS["phone"], strict=True)))
        # The design system's header re-lays its navigation ("More") on a resize observer and
        # an animation frame: check the page as it settles, not half-way through.
        settle(page)
        self.axe(page, what, role, "phone")
        self.sideways(page, what, role)
        page.set_viewport_size(dict(zip(("width", "height"), WIDTHS["desktop"], strict=True)))

    def report(self) -> str:
        return f"{len(self.problems)} accessibility problems:\n" + "\n".join(self.problems)


@pytest.fixture
def matrix(live_server):
    """The access matrix's world, committed so that the live server sees it (the test's
    flush removes it afterwards), with one member per role."""
    from tests.access_world import build_networks_and_world
    from tests.conftest import member_maker

    built = build_networks_and_world()
    make = member_maker(built["network"])
    built["members"] = {role: make(role) for role in ALL}
    # Each clinical member is involved in Edith's care (on her care team), so that every page
    # the matrix opens to a role is checked with its clinical detail (patients.involvement).
    from networks.models import Membership
    from networks.roles import CLINICAL_ROLES
    from patients.services import care_team_add

    for role, user in built["members"].items():
        if role in CLINICAL_ROLES:
            membership = Membership.objects.get(user=user, network=built["network"])
            care_team_add(patient=built["patient"], membership=membership, by=user)
    return built


def session_of(user) -> str:
    """A session cookie's value for the user: their one log in."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def open_context(browser: Browser, base_url: str, session: str | None) -> BrowserContext:
    """A browser context at desktop width, logged in with `session` (None: anonymous), with
    axe in every page it opens (an init script, whatever the page's CSP)."""
    context = browser.new_context(
        base_url=base_url, viewport=dict(zip(("width", "height"), WIDTHS["desktop"], strict=True))
    )
    if session is not None:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}]
        )
    context.add_init_script(script=AXE_SCRIPT)
    return context


@pytest.fixture
def signed_in(browser: Browser, live_server) -> Iterator[Callable[[object], BrowserContext]]:
    """signed_in(user or None) -> a browser context with that user's session."""
    contexts: list[BrowserContext] = []

    def open_as(user) -> BrowserContext:
        context = open_context(browser, live_server.url, user and session_of(user))
        contexts.append(context)
        return context

    yield open_as
    for context in contexts:
        context.close()


def _is_a_file(url: str) -> bool:
    """A download (summary.pdf, export.csv), not a page."""
    return "." in url.split("?")[0].rsplit("/", 1)[-1]


def pages_by_role(world: dict) -> dict[str, list[tuple[str, str]]]:
    """{role: [(name, url)]}: every GET of the access matrix that the role may open (200, or a
    redirect to follow), files aside."""
    by_role: dict[str, list[tuple[str, str]]] = {role: [] for role in ALL}
    for name, method, template, expected in PAGES:
        url = template.format(**world)
        if method != "get" or _is_a_file(url):
            continue
        for role in ALL:
            if expected(role) in (200, 302):
                by_role[role].append((name, url))
    assert sum(map(len, by_role.values())) > 300, "the matrix's pages were not found"
    return by_role


@dataclass
class Job:
    role: str
    session: str
    pages: list[tuple[str, str]]


def check_roles(launch_args: dict, base_url: str, jobs: "queue.Queue[Job]") -> Findings:
    """One worker: its own Playwright and Chromium (Playwright's sync API belongs to the
    thread that started it), taking roles from the queue until none is left."""
    findings = Findings()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_args)
        while True:
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                break
            context = open_context(browser, base_url, job.session)
            page = context.new_page()
            seen: set[str] = set()
            for name, url in job.pages:
                response = page.goto(url)
                findings.loads += 1
                assert response is not None
                if not response.ok:  # e.g. a redirect to a page the role may not open
                    findings.problems.append(
                        f"{name} as {job.role} ({url}): led to {page.url}, "
                        f"answered {response.status}"
                    )
                if "<html" not in response.text()[:500].lower():
                    findings.fragments.add(name)  # an htmx fragment: checked in its page
                    continue
                if page.url in seen:
                    continue  # a redirect to a page already checked for this role
                seen.add(page.url)
                findings.both_widths(page, name, job.role)
            context.close()
        browser.close()
    return findings


# Chromium instances at once: the pages of different roles are checked side by side.
WORKERS = 3


def test_every_page_for_every_role_passes_axe_at_both_widths(
    matrix, live_server, browser_type_launch_args
):
    started = time.monotonic()
    jobs: queue.Queue[Job] = queue.Queue()
    by_role = pages_by_role(matrix["world"])
    for role in sorted(ALL, key=lambda r: -len(by_role[r])):  # the longest first
        jobs.put(Job(role, session_of(matrix["members"][role]), by_role[role]))
    with ThreadPoolExecutor(WORKERS) as pool:
        runs = [
            pool.submit(check_roles, browser_type_launch_args, live_server.url, jobs)
            for _ in range(WORKERS)
        ]
        findings = Findings.merge([run.result() for run in runs])
    print(
        f"{findings.loads} page loads, axe ran {findings.checked} times, "
        f"{time.monotonic() - started:.0f} s ({findings.axe_seconds:.0f} s in axe itself, "
        f"{WORKERS} workers); fragments: {sorted(findings.fragments)}"
    )
    assert findings.fragments == FRAGMENTS, "a fragment to check in its page (key states)?"
    assert not findings.problems, findings.report()


def _send_without_browser_checks(page: Page, button: str) -> None:
    """Send the form as it is, past the browser's own checks (required, min, max), so the
    server's errors are what the page shows."""
    submit = page.get_by_role("button", name=button)
    page.locator("form", has=submit).evaluate("form => { form.noValidate = true; }")
    submit.click()
    page.wait_for_load_state()


def demo_member(role: str):
    from networks.models import Membership

    return Membership.objects.get(network__slug="thornton-heath", role=role).user


def busiest_demo_person():
    """The demo's person with the most recorded about them: visits, frailty scores, meeting
    discussions (the tables and lists that make a page wide or long)."""
    from django.db.models import Count

    from patients.models import Patient

    return (
        Patient.objects.filter(network__slug="thornton-heath")
        .annotate(
            n=Count("visits", distinct=True)
            + Count("frailty_history", distinct=True)
            + Count("agenda_items", distinct=True)
            + Count("medications", distinct=True)
        )
        .order_by("-n", "pk")
        .first()
    )


def test_key_states_pass_axe_at_both_widths(demo, signed_in):
    """The demo data (seed_demo), fuller than the matrix's world, in the states that matter
    most: forms with their errors and with what htmx swaps in, the busiest person's page, and
    meeting mode with a person open."""
    from huddles.services import next_meeting
    from networks.models import Network

    findings = Findings()
    person = busiest_demo_person()
    gp = signed_in(demo_member("gp")).new_page()

    # A form shown with its errors: the referral form sent empty.
    gp.goto(f"/referrals/patients/{person.pk}/refer/")
    _send_without_browser_checks(gp, "Send referral")
    expect(gp.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    findings.both_widths(gp, "referral form sent empty", "gp")

    # What the chosen service accepts, swapped into the referral form.
    with gp.expect_response(lambda r: "/referrals/criteria/" in r.url):
        gp.get_by_label(re.compile("^Service", re.I)).select_option(index=1)
    findings.both_widths(gp, "referral form with a service's criteria", "gp")

    # The person's page for a member not involved in their care: who is, and the glass.
    gp.goto(f"/patients/{person.pk}/")
    expect(gp.get_by_role("heading", name=re.compile("not involved", re.I))).to_be_visible()
    findings.both_widths(gp, "a person's page, not involved", "gp")

    # The visit form with the live NEWS2 and the risk advice swapped in as they are typed,
    # by the pharmacist who visits the person. Each part of the form is a disclosure, closed
    # until the visitor opens it.
    pharmacist = signed_in(demo_member("pharmacist")).new_page()
    pharmacist.goto(f"/medicines/patients/{person.pk}/visit/")
    pharmacist.get_by_text("Observations and NEWS2", exact=True).click()
    with pharmacist.expect_response(lambda r: "/visit/news2/" in r.url):
        pharmacist.get_by_label(re.compile("^Pulse", re.I)).fill("130")
    pharmacist.get_by_text("Risk assessment: home visit or call", exact=True).click()
    with pharmacist.expect_response(lambda r: "/visit/recommendation/" in r.url):
        pharmacist.get_by_label(re.compile("infection", re.I)).check()
    findings.both_widths(pharmacist, "visit form with NEWS2 and advice shown", "pharmacist")

    # The visit form sent with a pulse no one has.
    pharmacist.get_by_label(re.compile("^Pulse", re.I)).fill("400")
    _send_without_browser_checks(pharmacist, "Save visit")
    findings.both_widths(pharmacist, "visit form with errors", "pharmacist")

    # The medication form with dm+d's results swapped in under the search box.
    pharmacist.goto(f"/medicines/patients/{person.pk}/medicines/new/")
    with pharmacist.expect_response(lambda r: "/dmd-search/" in r.url):
        pharmacist.get_by_label("Find the medicine in dm+d").fill("amlo")
    expect(pharmacist.locator("[data-dmd-code]").first).to_be_visible()
    findings.both_widths(pharmacist, "medication form with dm+d results", "pharmacist")

    # The busiest person's page and timeline, as that pharmacist.
    pharmacist.goto(f"/patients/{person.pk}/")
    findings.both_widths(pharmacist, "the busiest person's page", "pharmacist")
    pharmacist.goto(f"/patients/{person.pk}/timeline/")
    findings.both_widths(pharmacist, "the busiest person's timeline", "pharmacist")

    # Meeting mode with a person open, as the chair who runs it (and so sees every form).
    chair = signed_in(demo_member("chair")).new_page()
    meeting = next_meeting(Network.objects.get(slug="thornton-heath"))
    chair.goto(f"/meetings/{meeting.pk}/run/")
    expect(chair.get_by_role("navigation", name=re.compile("agenda", re.I))).to_be_visible()
    findings.both_widths(chair, "meeting mode, a person open", "chair")

    # The login page, and a log in refused.
    login = signed_in(None).new_page()
    login.goto("/accounts/login/")
    findings.both_widths(login, "login", "anonymous")
    login.get_by_label("Username").fill("nobody")
    login.get_by_label("Password").fill("wrong")
    login.get_by_role("button", name=re.compile("log in", re.I)).click()
    login.wait_for_load_state()
    findings.both_widths(login, "login refused", "anonymous")

    # Login and security, for a member.
    gp.goto("/accounts/security/")
    findings.both_widths(gp, "login and security", "gp")
    assert findings.checked == 24  # twelve states, two widths each
    assert not findings.problems, findings.report()


def test_the_checks_find_and_name_what_is_wrong(browser: Browser):
    """The checker itself: an image without a text alternative, an unlabelled box and a table
    wider than a phone are each reported with the page, role, width, rule and node."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>'
        '<h1>Broken</h1><img src="data:,"><input type="text" id="q">'
        '<table><tr><td><div class="wide">x</div></td></tr></table></main></body></html>'
    )
    page.add_style_tag(content=".wide { width: 600px; }")
    page.evaluate(AXE_SCRIPT)
    findings = Findings()
    findings.both_widths(page, "broken page", "gp")
    context.close()
    report = findings.report()
    assert findings.checked == 2
    for expected in (
        "broken page as gp at desktop",
        "broken page as gp at phone",
        "image-alt",
        "label",
        '<img src="data:,">',
        "scrolls sideways, 6",
        "innermost div.wide",
    ):
        assert expected in report, (expected, report)

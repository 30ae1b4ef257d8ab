"""Browser journey (issue #16.5): the network facilitator runs a huddle of two people with the
keyboard only, counting every key: log in, open the meeting, notes, a decision with a review
date, an action, attendance, the next person, a discharge with the admission-avoided answer,
and the close. No clicks and no fill(): keyboard.press for keys, keyboard.type for text
(headless Debian Chromium)."""

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from actions.models import Action
from huddles import services
from huddles.models import Attendance, Episode, Meeting
from networks.models import Membership
from tests.e2e.test_meeting_journey import people_on_the_next_huddle
from tests.factories import meeting_started

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MOST_KEYS = 80  # the goal; the same huddle took 149 before it
FOCUSED_NAME = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return (el.getAttribute("aria-label") || label || el.innerText || el.value || "").trim();
}"""


class Keys:
    """The keyboard, counted as the issue counted it: each press() is one, each type() of a
    field's text is one."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0
        self.stages: list[tuple[str, int]] = []

    def stage(self, name: str) -> None:
        """Where the keys went (printed with -s)."""
        self.stages.append((name, self.count - sum(n for _, n in self.stages)))

    def press(self, key: str) -> None:
        self.count += 1
        self.page.wait_for_load_state()  # the page's own script (the shortcuts) has run
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.count += 1
        self.page.wait_for_load_state()
        self.page.keyboard.type(text)

    def focused(self) -> str:
        self.page.wait_for_load_state()
        return self.page.evaluate(FOCUSED_NAME)

    def skip_to_main(self) -> None:
        """The page's first Tab is its skip link: past the header to the main content."""
        self.press("Tab")
        assert self.focused() == "Skip to main content"
        self.press("Enter")

    def tab_to(self, name: str | re.Pattern, most: int = 30) -> None:
        """Tab (each counted) until the focus is on what a user would know by `name`."""
        pattern = name if isinstance(name, re.Pattern) else re.compile(re.escape(name))
        for n in range(most):
            self.press("Tab")
            if pattern.search(self.focused()):
                print(f"  {n + 1} Tab to {name!r}")
                return
        pytest.fail(f"{name!r} not reached by Tab; the focus is on {self.focused()!r}")


def enter_date(keys: Keys, day: datetime.date) -> None:
    """A date into the focused date field: the browser's own date input (typed in the
    browser's en-US order, as Chromium's default locale), or the NHS three-field date input
    (Day, Month, Year) that replaces it."""
    kind = keys.page.evaluate("() => document.activeElement.type")
    if kind == "date":
        keys.type(f"{day:%m%d%Y}")
        return
    keys.type(str(day.day))
    keys.press("Tab")
    keys.type(str(day.month))
    keys.press("Tab")
    keys.type(str(day.year))


def a_huddle_of_two():
    """Two people accepted to the MDT, alone on the next huddle's agenda, which has started."""
    meeting, ours = people_on_the_next_huddle(2)
    chair = Membership.objects.get(network=meeting.network, role="chair").user
    for other in meeting.items.exclude(status="removed").exclude(pk__in=[i.pk for i in ours]):
        services.agenda_remove(item=other, by=chair)
    meeting_started(meeting)
    return meeting, ours


def test_a_huddle_of_two_people_by_keyboard_in_at_most_80_keys(page: Page, demo):
    page.set_viewport_size({"width": 1280, "height": 800})
    meeting, (first, second) = a_huddle_of_two()
    review = datetime.date.today() + datetime.timedelta(days=28)
    keys = Keys(page)

    # Log in.
    page.goto(f"{demo}/accounts/login/")
    keys.tab_to("Username")
    keys.type("chair.thornton-heath")
    keys.press("Tab")
    keys.type("demo-password-change-me")
    keys.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    keys.stage("log in")

    # Open the meeting: Huddles, the next one, start it.
    keys.tab_to(re.compile(r"^Huddles"))
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"/meetings/$"))
    keys.skip_to_main()
    keys.tab_to(f"{meeting.starts_at.astimezone():%A %-d %B %Y}")
    keys.press("Enter")
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/$"))
    keys.skip_to_main()
    keys.tab_to("Start the huddle")
    keys.press("Enter")
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/run/{first.pk}/$"))

    keys.stage("open the meeting")

    # The first person: notes, then continue with a review date (Enter records it).
    keys.press("Alt+W")
    keys.type("Daughter worried; two falls at night.")
    expect(page.get_by_label("Discussion notes")).to_have_value(
        "Daughter worried; two falls at night."
    )
    keys.press("Alt+R")
    enter_date(keys, review)
    keys.press("Enter")
    confirmation = page.get_by_text(f"{first.patient.full_name} continues")
    expect(confirmation).to_be_focused()
    expect(page.get_by_role("navigation", name=re.compile("Agenda"))).to_contain_text(
        "1 of 2 discussed"
    )

    keys.stage("notes and decision")

    # An action for the pharmacists (the due date is a week away unless changed).
    keys.press("Alt+A")
    keys.type("Review night-time medicines")
    keys.press("Tab")
    keys.type("Pharmacist")
    keys.press("Tab")
    keys.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Action added")).to_have_count(1)
    expect(page.get_by_label("Action", exact=True)).to_be_focused()

    keys.stage("action")

    # Attendance: the first member ticked; Enter saves; the focus stays in the panel.
    keys.tab_to(re.compile(r"^Who is here"))
    keys.press("Enter")
    keys.press("Tab")
    present = page.evaluate("() => document.activeElement.value")
    keys.press("Space")
    keys.press("Enter")
    expect(page.get_by_text("Saved: 1 present.")).to_be_focused()

    keys.stage("attendance")

    # The next person, discharged with the answer (Enter in the reason records it).
    keys.press("Alt+N")
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/run/{second.pk}/$"))
    keys.press("Alt+R")
    keys.press("Alt+R")  # again: the discharge
    expect(page.get_by_role("radio", name="Yes")).to_be_focused()
    keys.press("Space")
    keys.press("Tab")
    keys.type("Falls clinic seen; key safe fitted")
    keys.press("Enter")
    expect(page.get_by_text(f"{second.patient.full_name} is discharged")).to_be_focused()
    expect(page.get_by_role("navigation", name=re.compile("Agenda"))).to_contain_text(
        "2 of 2 discussed"
    )

    keys.stage("next person and discharge")

    # Close: from the confirmation to the close page, then its Close button.
    keys.tab_to("Close the huddle")
    keys.press("Enter")
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/close/$"))
    keys.skip_to_main()
    keys.tab_to(re.compile(r"^Close the huddle$"))
    keys.press("Enter")
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting.pk}/minutes/$"))

    keys.stage("close")
    print(f"keyboard-only huddle of two: {keys.count} keys: {keys.stages}")
    assert keys.count <= MOST_KEYS, keys.count

    assert Meeting.objects.get(pk=meeting.pk).status == "closed"
    first.refresh_from_db()
    assert first.notes == "Daughter worried; two falls at night."
    assert first.decision == "continue" and first.next_review_on == review
    action = Action.objects.get(source="meeting", agenda_item=first)
    assert (action.title, action.assignee_role) == ("Review night-time medicines", "pharmacist")
    here = Attendance.objects.filter(meeting=meeting, present=True)
    assert list(here.values_list("user_id", flat=True)) == [int(present)]
    second.refresh_from_db()
    assert second.decision == "discharge" and second.admission_avoided == "yes"
    assert second.decision_reason == "Falls clinic seen; key safe fitted"
    episode = Episode.objects.filter(patient=second.patient).order_by("-opened_at").first()
    assert episode.closed_at is not None and episode.admission_avoided == "yes"

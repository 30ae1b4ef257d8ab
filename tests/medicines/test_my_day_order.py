"""My day opens on the day's work: sections with something in them first, each empty one
after them as a single line ("No follow-ups due"), never an empty card first."""

import datetime
import html
import re

import pytest
from django.utils import timezone

from tests.factories import ActionFactory, OrganisationFactory, PatientFactory

pytestmark = pytest.mark.django_db

HEADINGS = ("Visits today", "Follow-ups due", "Awaiting a visit", "Care homes")
EMPTY = {
    "Visits today": "No visits logged today yet",
    "Follow-ups due": "No follow-ups due",
    "Awaiting a visit": "No accepted referrals awaiting a visit",
    "Care homes": "No care home residents",
}


def sections(response) -> tuple[list[str], list[str]]:
    """The headings of the cards in page order, and the one-line empty sections after them."""
    page = html.unescape(response.content.decode())
    main = page[page.index("<main") :]
    cards = [h for h in re.findall(r"<h2[^>]*>([^<]+)</h2>", main) if h in HEADINGS]
    waiting = main[main.index("Nothing waiting") :] if "Nothing waiting</h2>" in main else ""
    lines = [line for line in EMPTY.values() if line in waiting]
    if cards and lines:  # every card comes before the first empty line
        assert main.rindex(f">{cards[-1]}</h2>") < main.index("Nothing waiting</h2>")
    return cards, lines


def test_a_day_with_nothing_is_four_lines_and_no_cards(client, login):
    login("pharmacist")
    cards, lines = sections(client.get("/medicines/my-day/"))
    assert cards == []
    assert lines == list(EMPTY.values())


def test_work_comes_first_and_empty_sections_shrink_to_a_line(client, login, network):
    pharmacist = login("pharmacist")
    two_days_ago = timezone.localdate() - datetime.timedelta(days=2)
    follow_up = {"source": "visit", "assignee": pharmacist, "assignee_role": ""}
    ActionFactory(patient=PatientFactory(network=network), due_on=two_days_ago, **follow_up)
    cards, lines = sections(client.get("/medicines/my-day/"))
    assert cards == ["Follow-ups due"]
    assert lines == [EMPTY["Visits today"], EMPTY["Awaiting a visit"], EMPTY["Care homes"]]

    home = OrganisationFactory(kind="care_home", name="Beulah Court")
    PatientFactory(network=network, care_home=home, care_needs=["end_of_life"])
    cards, lines = sections(client.get("/medicines/my-day/"))
    assert cards == ["Follow-ups due", "Care homes"]
    assert lines == [EMPTY["Visits today"], EMPTY["Awaiting a visit"]]


def test_the_contents_list_follows_the_order_and_every_link_has_a_target(client, login, network):
    login("pharmacist")
    home = OrganisationFactory(kind="care_home", name="Beulah Court")
    PatientFactory(network=network, care_home=home, care_needs=["end_of_life"])
    page = client.get("/medicines/my-day/").content.decode()
    contents = page[page.index('aria-label="On this page"') :]
    links = re.findall(r'href="#([a-z-]+)"', contents[: contents.index("</nav>")])
    assert links[0] == "care-homes" and links[-1] == "nothing-waiting"
    for target in links:
        assert f'id="{target}"' in page


def test_only_mine_keeps_the_care_homes_card_to_show_everyone_again(client, login, network):
    """Filtered to my residents when none are mine: still the card, with the way back."""
    login("pharmacist")
    home = OrganisationFactory(kind="care_home", name="Beulah Court")
    PatientFactory(network=network, care_home=home, care_needs=["end_of_life"])
    response = client.get("/medicines/my-day/?care=mine")
    cards, lines = sections(response)
    assert "Care homes" in cards and EMPTY["Care homes"] not in lines
    assert "Show every resident" in response.content.decode()

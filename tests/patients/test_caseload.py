"""The people list as a caseload (issue #14.6): last discussed, next review and admissions in
the last 12 months beside frailty, key worker and on caseload since; filters and sorts run
in SQL so pagination stays right; the page's query count does not grow with its rows."""

import datetime
import re

import pytest
from django.utils import timezone

from huddles.models import AgendaItem, Episode, Meeting
from networks.models import Membership
from patients import views
from reports.models import AdmissionEvent
from tests.factories import OrganisationFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]

DASH = "\u2013"  # an empty cell


def today() -> datetime.date:
    return timezone.localdate()


def meeting(network, days: int, status=Meeting.Status.SCHEDULED) -> Meeting:
    at = timezone.now() + datetime.timedelta(days=days)
    return Meeting.objects.create(network=network, scheduled_for=at, starts_at=at, status=status)


def on_agenda(person, meet, status=AgendaItem.Status.PENDING, **fields) -> AgendaItem:
    return AgendaItem.objects.create(
        meeting=meet, patient=person, source="manual", reason="Review", status=status, **fields
    )


def admitted(person, days_ago: int, user, kind="emergency") -> None:
    AdmissionEvent.objects.create(
        network=person.network,
        patient=person,
        admitted_on=today() - datetime.timedelta(days=days_ago),
        kind=kind,
        recorded_by=user,
    )


def names(page: str) -> list[str]:
    return re.findall(
        r'data-label="Name">(?:<span[^>]*>[^<]*</span>)?<a href="/patients/\d+/">([^<,]+),', page
    )


def row(page: str, family: str) -> str:
    start = page.index(f">{family.upper()},")
    return page[start : page.index("</tr>", start)]


def cell(page: str, family: str, label: str) -> str:
    found = re.search(
        rf'data-label="{re.escape(label)}"[^>]*>(?:<span[^>]*>[^<]*</span>)?([^<]*)<',
        row(page, family),
    )
    assert found, label
    return found.group(1).strip()


@pytest.fixture
def caseload(network, member):
    """Three people: Adams (severe, on caseload, discussed 10 days ago and due at a meeting
    in 3 days, two admissions this year and one older), Brown (mild, key worker the GP, in a
    care home, discussed 40 days ago with a review date in 20 days), Clark (no frailty, off
    the caseload, at another practice)."""
    gp = member("gp")
    gp_membership = Membership.objects.get(user=gp, network=network)
    home = OrganisationFactory(kind="care_home", name="Beulah Court")
    practice = OrganisationFactory(kind="gp_practice", name="Norbury Surgery")
    network.care_homes.add(home)
    network.gp_practices.add(practice)
    adams = PatientFactory(network=network, family_name="Adams", frailty="severe")
    brown = PatientFactory(
        network=network,
        family_name="Brown",
        frailty="mild",
        key_worker=gp_membership,
        care_home=home,
    )
    clark = PatientFactory(network=network, family_name="Clark", frailty=None, gp_practice=practice)
    Episode.objects.create(
        patient=adams, network=network, opened_at=timezone.now() - datetime.timedelta(days=30)
    )
    Episode.objects.create(
        patient=brown, network=network, opened_at=timezone.now() - datetime.timedelta(days=60)
    )
    Episode.objects.create(
        patient=clark,
        network=network,
        opened_at=timezone.now() - datetime.timedelta(days=90),
        closed_at=timezone.now() - datetime.timedelta(days=1),
    )
    on_agenda(adams, meeting(network, -10, Meeting.Status.CLOSED), AgendaItem.Status.DISCUSSED)
    on_agenda(adams, meeting(network, 3))
    on_agenda(
        brown,
        meeting(network, -40, Meeting.Status.CLOSED),
        AgendaItem.Status.DISCUSSED,
        next_review_on=today() + datetime.timedelta(days=20),
    )
    # A cancelled meeting and a past pending item are not the next review.
    on_agenda(brown, meeting(network, 1, Meeting.Status.CANCELLED))
    admitted(adams, 5, gp)
    admitted(adams, 100, gp, kind="elective")
    admitted(adams, 400, gp)
    return {"gp": gp, "home": home, "practice": practice, "membership": gp_membership}


def uk(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def test_each_column_shows_its_value(client, caseload):
    client.force_login(caseload["gp"])
    page = client.get("/patients/").content.decode()
    assert names(page) == ["ADAMS", "BROWN", "CLARK"]
    assert cell(page, "Adams", "Last discussed") == uk(today() - datetime.timedelta(days=10))
    assert cell(page, "Adams", "Next review") == uk(today() + datetime.timedelta(days=3))
    assert cell(page, "Adams", "Admissions (12 months)") == "2"
    assert cell(page, "Adams", "On caseload since") == uk(today() - datetime.timedelta(days=30))
    assert cell(page, "Brown", "Last discussed") == uk(today() - datetime.timedelta(days=40))
    assert cell(page, "Brown", "Next review") == uk(today() + datetime.timedelta(days=20))
    assert cell(page, "Brown", "Admissions (12 months)") == "0"
    assert cell(page, "Clark", "On caseload since") == DASH
    assert cell(page, "Clark", "Last discussed") == DASH
    assert cell(page, "Clark", "Next review") == DASH


def test_admissions_are_clinical_and_hidden_from_the_pic(client, caseload, member):
    client.force_login(member("pic"))
    page = client.get("/patients/").content.decode()
    assert "Admissions (12 months)" not in page and ">Last discussed<" in page
    assert client.get("/patients/?sort=frailty").status_code == 422
    assert 'name="frailty"' not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("frailty=severe", ["ADAMS"]),
        ("frailty=none", ["CLARK"]),
        ("key_worker=mine", ["BROWN"]),
        ("key_worker=none", ["ADAMS", "CLARK"]),
        ("on_caseload_since=yes", ["ADAMS", "BROWN"]),
        ("on_caseload_since=no", ["CLARK"]),
        ("care_home=HOME", ["BROWN"]),
        ("gp_practice=PRACTICE", ["CLARK"]),
        ("sort=-name", ["CLARK", "BROWN", "ADAMS"]),
        ("sort=frailty", ["BROWN", "ADAMS", "CLARK"]),
        ("sort=-frailty", ["ADAMS", "BROWN", "CLARK"]),
        ("sort=last_discussed", ["BROWN", "ADAMS", "CLARK"]),
        ("sort=-last_discussed", ["ADAMS", "BROWN", "CLARK"]),
        ("sort=next_review", ["ADAMS", "BROWN", "CLARK"]),
        ("sort=-next_review", ["BROWN", "ADAMS", "CLARK"]),
        ("sort=-admissions_12m", ["ADAMS", "BROWN", "CLARK"]),
        ("sort=on_caseload_since", ["BROWN", "ADAMS", "CLARK"]),
        ("sort=-on_caseload_since", ["ADAMS", "BROWN", "CLARK"]),
        ("on_caseload_since=yes&sort=-admissions_12m", ["ADAMS", "BROWN"]),
    ],
)
def test_filters_and_sorts(client, caseload, query, expected):
    query = query.replace("HOME", str(caseload["home"].pk))
    query = query.replace("PRACTICE", str(caseload["practice"].pk))
    client.force_login(caseload["gp"])
    response = client.get(f"/patients/?{query}")
    assert response.status_code == 200
    assert names(response.content.decode()) == expected


def test_the_sorted_header_says_so_and_links_the_other_way(client, caseload):
    client.force_login(caseload["gp"])
    page = client.get("/patients/?sort=-admissions_12m&frailty=severe").content.decode()
    header = re.search(r'<th[^>]*aria-sort="descending"><a href="([^"]+)">([^<]+)<', page)
    assert header and header.group(2) == "Admissions (12 months)"
    assert "sort=admissions_12m" in header.group(1) and "frailty=severe" in header.group(1)
    assert 'aria-sort="none"><a href="?sort=name&amp;frailty=severe">Name<' in page


def test_a_bad_filter_is_named_and_ignored(client, caseload, network, member):
    client.force_login(caseload["gp"])
    stranger = OrganisationFactory(kind="care_home", name="Elsewhere")
    response = client.get(f"/patients/?care_home={stranger.pk}&sort=colour")
    assert response.status_code == 422
    page = response.content.decode()
    assert "There is a problem with the filter" in page and "Care home:" in page
    assert names(page) == ["ADAMS", "BROWN", "CLARK"]


def test_pagination_keeps_the_filters_and_sort(client, caseload, network):
    # A page and one more of severely frail people (Adams is the first of the fixture's).
    for n in range(views.PAGE_SIZE):
        PatientFactory(network=network, family_name=f"Zed{n:02d}", frailty="severe")
    client.force_login(caseload["gp"])
    page = client.get("/patients/?frailty=severe&sort=-name").content.decode()
    assert names(page)[:2] == [f"ZED{views.PAGE_SIZE - 1:02d}", f"ZED{views.PAGE_SIZE - 2:02d}"]
    assert len(names(page)) == views.PAGE_SIZE
    link = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "frailty=severe" in link and "sort=-name" in link and "page=2" in link
    second = client.get(f"/patients/{link}").content.decode()
    assert names(second) == ["ADAMS"]


def test_the_query_count_does_not_grow_with_people(
    client, caseload, network, django_assert_max_num_queries
):
    gp = caseload["gp"]
    client.force_login(gp)
    url = "/patients/?sort=-last_discussed&on_caseload_since=yes"
    client.get(url)
    with django_assert_max_num_queries(13) as two:
        assert len(names(client.get(url).content.decode())) == 2
    for n in range(18):
        person = PatientFactory(network=network, frailty="moderate")
        Episode.objects.create(patient=person, network=network, opened_at=timezone.now())
        on_agenda(person, meeting(network, -n - 1, Meeting.Status.CLOSED), "discussed")
        admitted(person, n + 1, gp)
    with django_assert_max_num_queries(len(two.captured_queries)):
        assert len(names(client.get(url).content.decode())) == 20

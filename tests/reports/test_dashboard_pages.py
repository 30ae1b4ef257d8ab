"""The manager dashboard's pages: who may open them, whose numbers they show, the filters,
the people behind a number, and the audited CSV exports. (The figures themselves are tested
against hand-computed fixtures in test_figures.py.)"""

import csv
import io
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AccessEvent
from huddles.models import Episode
from medicines.models import Visit
from networks.roles import Role
from patients.models import Goal
from referrals.models import Referral
from tests.factories import MembershipFactory, PatientFactory, UserFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
ALL = [r.value for r in Role]
OVERSIGHT = {"chair", "integrated_manager", "manager"}
REPORTS = OVERSIGHT | {"commissioner"}  # the figures; never the people behind them
SEE_PEOPLE = {"chair", "integrated_manager"}


def last_month() -> date:
    """The first day of last month: inside the default period, and whole."""
    first = timezone.localdate().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


MONTH = last_month()
M = f"{MONTH:%Y-%m}"
PERIOD = f"from={M}&to={M}"


def at(day: int, hour: int = 12) -> datetime:
    return datetime.combine(MONTH.replace(day=day), time(hour), tzinfo=LONDON)


def discharge(network, answer="yes", day=10, patient=None, **names):
    patient = patient or PatientFactory(network=network, **names)
    return Episode.objects.create(
        patient=patient,
        network=network,
        opened_at=at(1) - timedelta(days=20),
        closed_at=at(day),
        admission_avoided=answer,
    )


def referral(network, status="new", reason="", source_organisation=None, **kwargs):
    ref = ReferralFactory(
        patient=kwargs.pop("patient", None) or PatientFactory(network=network),
        source_organisation=source_organisation,
        **kwargs,
    )
    triaged = status in ("accepted", "declined")
    Referral.objects.filter(pk=ref.pk).update(
        created_at=at(5),
        triaged_at=at(6) if triaged else None,
        triaged_by=ref.referred_by if triaged else None,
        status=status,
        decline_reason=reason,
    )
    return ref


def table_cells(html: str, key: str) -> str:
    """The HTML of one dashboard table (by its key)."""
    match = re.search(rf'aria-labelledby="{key}-caption".*?</table>', html, re.S)
    assert match, key
    return match.group(0)


def people_links(html: str) -> int:
    return len(re.findall(r'href="/patients/\d+/"', html))


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- who may open what ---------------------------------------------------------------------------

URLS = [
    ("dashboard", "/reports/", REPORTS),
    ("people", f"/reports/people/?{PERIOD}&metric=caseload", SEE_PEOPLE),
    ("table export", f"/reports/export/referrals.csv?{PERIOD}", REPORTS),
    ("people export", f"/reports/export/people.csv?{PERIOD}&metric=caseload", SEE_PEOPLE),
]


@pytest.mark.parametrize("role", [*ALL, "anonymous"])
@pytest.mark.parametrize(("name", "url", "allowed"), URLS, ids=[u[0] for u in URLS])
def test_role_matrix(client, member, role, name, url, allowed):
    if role == "anonymous":
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        return
    client.force_login(member(role))
    response = client.get(url)
    assert response.status_code == (200 if role in allowed else 403), response.content[:300]


def test_a_member_of_no_network_is_refused(client):
    client.force_login(UserFactory(username="nobody"))
    assert client.get("/reports/").status_code == 403


def test_only_get(client, member):
    client.force_login(member("manager"))
    assert client.post("/reports/").status_code == 405
    assert client.post(f"/reports/export/goals.csv?{PERIOD}").status_code == 405


def test_unknown_table_is_404(client, member):
    client.force_login(member("manager"))
    assert client.get("/reports/export/patients.csv").status_code == 404


def test_managers_land_on_reports_and_see_it_in_the_menu(client, member):
    client.force_login(member("manager"))
    assert client.get("/")["Location"] == "/reports/"
    html = client.get("/reports/").content.decode()
    assert 'href="/reports/" aria-current="page">Reports</a>' in html


# --- only the user's networks --------------------------------------------------------------------


def test_a_manager_never_sees_another_networks_numbers(client, member, network, other_network):
    discharge(network, "yes")
    for _ in range(7):
        discharge(other_network, "no")
    client.force_login(member("manager"))
    html = client.get(f"/reports/?{PERIOD}").content.decode()
    avoided = table_cells(html, "admissions_avoided")
    assert ">1<" in avoided and ">7<" not in avoided
    assert "Purbeck" not in html
    # Asking for the other network (or one that does not exist) reveals nothing.
    assert client.get(f"/reports/?network=purbeck&{PERIOD}").status_code == 404
    assert client.get(f"/reports/?network=nowhere&{PERIOD}").status_code == 404
    assert client.get("/reports/export/admissions_avoided.csv?network=purbeck").status_code == 404


def test_a_gp_elsewhere_cannot_report_on_that_network(client, member, network, other_network):
    user = member("manager")
    MembershipFactory(user=user, network=other_network, role="gp")
    client.force_login(user)
    assert client.get(f"/reports/?network=purbeck&{PERIOD}").status_code == 404
    html = client.get(f"/reports/?{PERIOD}").content.decode()
    assert 'type="checkbox" name="network"' not in html  # one network to report on: nothing to tick


def test_a_manager_of_several_sees_them_combined_or_one(client, network, other_network):
    user = UserFactory(username="manager.both")
    MembershipFactory(user=user, network=network, role="manager")
    MembershipFactory(user=user, network=other_network, role="manager")
    discharge(network, "yes")
    discharge(other_network, "yes")
    discharge(other_network, "yes")
    client.force_login(user)
    both = client.get(f"/reports/?{PERIOD}").content.decode()
    assert "Purbeck and Thornton Heath" in both
    assert 'type="checkbox" name="network" value="purbeck"' in both
    foot = table_cells(both, "admissions_avoided").split("<tfoot>")[1]
    assert re.search(r">\s*3\s*<", foot)
    one = client.get(f"/reports/?network=thornton-heath&{PERIOD}").content.decode()
    foot = table_cells(one, "admissions_avoided").split("<tfoot>")[1]
    assert re.search(r">\s*1\s*<", foot) and not re.search(r">\s*3\s*<", foot)


# --- filters -------------------------------------------------------------------------------------


def test_the_default_period_is_the_last_twelve_months_in_words(client, member):
    client.force_login(member("manager"))
    html = client.get("/reports/").content.decode()
    this = timezone.localdate().replace(day=1)
    first = date(this.year - 1 + (this.month == 12), this.month % 12 + 1, 1)
    assert f"{first:%B %Y} to {this:%B %Y}" in html
    assert f'value="{first:%Y-%m}"' in html and f'value="{this:%Y-%m}"' in html
    assert 'type="month"' in html


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("from=2026-13&to=2026-12", "Enter a month"),
        ("from=last+year&to=2026-12", "Enter a month"),
        ("from=2026-05&to=2026-01", "cannot be before the first"),
        ("from=2020-01&to=2026-01", "at most 36 months"),
        ("from=1066-10&to=1066-10", "between 2000 and 2060"),
        ("service=astrology", "Select a valid choice"),
        ("from=%00&to=2026-01", "Enter a month"),
    ],
)
def test_bad_filters_say_so_and_show_the_default_period(client, member, query, error):
    client.force_login(member("manager"))
    response = client.get(f"/reports/?{query}")
    assert response.status_code == 422
    html = response.content.decode()
    assert "There is a problem with the filters" in html and error in html
    assert "the last 12 months" in html
    assert 'id="admissions_avoided-caption"' in html  # the figures are still there
    export = client.get(f"/reports/export/referrals.csv?{query}")
    assert export.status_code == 400


def test_the_service_filter_narrows_referrals(client, member, network):
    referral(network, service="gp")
    referral(network, service="medicines_optimisation")
    referral(network, service="medicines_optimisation")
    client.force_login(member("manager"))
    html = client.get(f"/reports/?{PERIOD}&service=gp").content.decode()
    referrals = table_cells(html, "referrals_outcomes")
    assert "GP" in referrals and "Medicines optimisation" not in referrals
    assert "referrals and triage for <strong>GP</strong> only" in html


def test_vocabulary_of_one_network_and_neutral_words_for_several(client, network, other_network):
    user = UserFactory(username="manager.words")
    MembershipFactory(user=user, network=network, role="manager")
    MembershipFactory(user=user, network=other_network, role="manager")
    client.force_login(user)
    assert "Huddles held" in client.get("/reports/?network=thornton-heath").content.decode()
    assert "Virtual wards held" in client.get("/reports/?network=purbeck").content.decode()
    both = client.get("/reports/").content.decode()
    assert "Meetings held" in both and "Huddles held" not in both


def test_the_estimate_is_labelled_and_charts_read_json_not_scripts(client, member, network):
    discharge(network, "unsure")
    client.force_login(member("manager"))
    html = client.get(f"/reports/?{PERIOD}").content.decode()
    assert "The MDT\u2019s own estimate at discharge" in html
    assert "What happened after discharge" in html and "Personal outcomes" in html
    assert '<canvas id="chart-avoided" data-chart="chart-avoided-data">' in html
    assert 'class="chart" aria-hidden="true"' in html
    assert '<script id="chart-avoided-data" type="application/json">' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "None" not in html
    assert "style=" not in html  # CSP: no inline styles


def test_missing_figures_show_a_dash_and_say_why(client, member, network):
    client.force_login(member("manager"))
    html = client.get(f"/reports/?{PERIOD}").content.decode()
    assert "\u2013" in table_cells(html, "goals")
    assert "no goal agreed in the period has an outcome yet" in html


# --- the people behind a number ------------------------------------------------------------------


def test_managers_see_numbers_but_not_the_people(client, member, network):
    discharge(network, "yes")
    client.force_login(member("manager"))
    html = client.get(f"/reports/?{PERIOD}").content.decode()
    assert "/reports/people/" not in html
    assert client.get(f"/reports/people/?{PERIOD}&metric=avoided").status_code == 403


def test_a_chair_drills_into_admissions_avoided(client, member, network, other_network):
    yes = discharge(network, "yes", family_name="Ayres").patient
    discharge(network, "no", family_name="Noakes")
    discharge(other_network, "yes", family_name="Elsewhere")
    chair = member("chair")
    client.force_login(chair)
    html = client.get(f"/reports/?{PERIOD}").content.decode()
    expected = (
        f"/reports/people/?from={M}&amp;to={M}&amp;metric=avoided&amp;month={M}&amp;answer=yes"
    )
    assert expected in html
    response = client.get(expected.replace("&amp;", "&"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "AYRES" in page and "NOAKES" not in page and "ELSEWHERE" not in page
    assert yes.nhs_number_display in page
    assert f'href="/patients/{yes.pk}/"' in page
    event = AccessEvent.objects.get(what="report_people")
    assert (event.patient_id, event.channel, event.user_id) == (yes.pk, "page", chair.pk)


def test_drill_into_declined_as_inappropriate_from_a_source(client, member, network):
    from tests.factories import OrganisationFactory

    trust = OrganisationFactory(kind="nhs_trust", name="Croydon University Hospital")
    wanted = referral(network, "declined", "inappropriate", source_organisation=trust).patient
    wanted.family_name = "Wanted"
    wanted.save()
    referral(network, "declined", "inappropriate")  # from a member: another row
    referral(network, "declined", "already_known", source_organisation=trust)
    referral(network, "accepted", source_organisation=trust)
    client.force_login(member("integrated_manager"))
    html = client.get(f"/reports/?{PERIOD}").content.decode()
    query = (
        f"from={M}&amp;to={M}&amp;service=medicines_optimisation&amp;metric=referrals"
        "&amp;status=declined&amp;reason=inappropriate&amp;source=nhs_trust"
    )
    assert f"/reports/people/?{query}" in html
    page = client.get(f"/reports/people/?{query.replace('&amp;', '&')}").content.decode()
    assert "WANTED" in page
    assert people_links(page) == 1
    assert "Inappropriate for this service" in page


def test_drill_into_red_flags_visits_and_goals(client, member, network):
    from tests.referrals.factories import PatientFlagFactory

    chair = member("chair")
    flagged = PatientFactory(network=network, family_name="Flagged")
    flag = PatientFlagFactory(patient=flagged, raised_by=chair)
    type(flag).objects.filter(pk=flag.pk).update(raised_at=at(3))
    pharmacist = member("pharmacist")
    visited = PatientFactory(network=network, family_name="Visited")
    Visit.objects.create(
        network=network, patient=visited, kind="home", visitor=pharmacist, visited_at=at(4)
    )
    goal_patient = PatientFactory(network=network, family_name="Goalie")
    Goal.objects.create(
        patient=goal_patient, description="Lunch club", agreed_on=at(2).date(), agreed_by=chair
    )
    client.force_login(chair)
    for query, name in [
        (f"metric=flags&code=medicines_stockpile&month={M}", "FLAGGED"),
        (f"metric=visits&visitor={pharmacist.pk}", "VISITED"),
        ("metric=goals&outcome=open", "GOALIE"),
    ]:
        page = client.get(f"/reports/people/?{PERIOD}&{query}").content.decode()
        assert name in page, query
        assert people_links(page) == 1, query


@pytest.mark.parametrize(
    "query",
    [
        "metric=everything",
        "",
        "metric=avoided&answer=perhaps",
        "metric=avoided&month=1999-01",
        "metric=admitted",
        "metric=admitted&days=45",
        "metric=visits",
        "metric=visits&visitor=x",
        "metric=referrals&reason=rude",
        "metric=referrals&source=aliens",
        "metric=avoided&from=2026-14",
    ],
)
def test_a_link_naming_no_number_is_a_bad_request(client, member, query):
    client.force_login(member("chair"))
    response = client.get(f"/reports/people/?{PERIOD}&{query}")
    assert response.status_code == 422
    assert "does not name a number" in response.content.decode()
    assert client.get(f"/reports/export/people.csv?{PERIOD}&{query}").status_code == 422
    assert not AccessEvent.objects.exists()


def test_people_in_a_network_where_the_user_may_not_see_people_are_refused(
    client, network, other_network
):
    user = UserFactory(username="chair.and.manager")
    MembershipFactory(user=user, network=network, role="chair")
    MembershipFactory(user=user, network=other_network, role="manager")
    discharge(network, "yes")
    client.force_login(user)
    combined = client.get(f"/reports/?{PERIOD}").content.decode()
    assert "/reports/people/" not in combined  # numbers of both: no one behind them to show
    assert client.get(f"/reports/people/?{PERIOD}&metric=avoided").status_code == 403
    assert (
        client.get(f"/reports/people/?network=purbeck&{PERIOD}&metric=avoided").status_code == 403
    )
    mine = client.get(f"/reports/?network=thornton-heath&{PERIOD}").content.decode()
    assert "/reports/people/" in mine
    page = client.get(f"/reports/people/?network=thornton-heath&{PERIOD}&metric=avoided")
    assert page.status_code == 200


def test_the_people_list_is_paginated(client, member, network):
    for i in range(55):
        discharge(network, "yes", family_name=f"Person{i:02d}")
    client.force_login(member("chair"))
    first = client.get(f"/reports/people/?{PERIOD}&metric=avoided").content.decode()
    assert "55 people, showing 1 to 50" in first
    assert people_links(first) == 50
    second = client.get(f"/reports/people/?{PERIOD}&metric=avoided&page=2").content.decode()
    assert people_links(second) == 5
    assert AccessEvent.objects.filter(what="report_people", channel="page").count() == 55


# --- CSV exports ---------------------------------------------------------------------------------


def test_a_table_export_has_the_tables_numbers_and_is_audited(client, member, network):
    discharge(network, "yes")
    discharge(network, "yes")
    discharge(network, "unsure")
    manager = member("manager")
    client.force_login(manager)
    response = client.get(f"/reports/export/admissions_avoided.csv?{PERIOD}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="icn-admissions-avoided-thornton-heath-{M}-to-{M}.csv"'
    )
    rows = read_csv(response)
    assert rows[0] == ["Month", "Yes", "No", "Unsure", "Total"]
    assert rows[1] == [M, "2", "0", "1", "3"]
    assert rows[-1] == ["all", "2", "0", "1", "3"]
    event = AccessEvent.objects.get()
    assert event.patient_id is None and event.network_id == network.pk
    assert (event.what, event.channel, event.user_id, event.role) == (
        "report_export:admissions_avoided",
        "export",
        manager.pk,
        "manager",
    )


@pytest.mark.parametrize(
    "table",
    [
        "admissions_avoided",
        "after_discharge",
        "goals",
        "referrals",
        "triage",
        "caseload",
        "visits",
        "red_flags",
        "meetings",
        "actions",
    ],
)
def test_every_table_exports(client, member, network, table):
    discharge(network, "no")
    referral(network, "declined", "inappropriate")
    client.force_login(member("manager"))
    html = client.get(f"/reports/?{PERIOD}").content.decode()
    assert f"/reports/export/{table}.csv?from={M}&amp;to={M}" in html
    rows = read_csv(client.get(f"/reports/export/{table}.csv?{PERIOD}"))
    assert rows[0] and all(rows[0])  # a header row
    assert "None" not in str(rows)


def test_an_export_across_networks_is_audited_in_each(client, network, other_network):
    user = UserFactory(username="manager.two")
    MembershipFactory(user=user, network=network, role="manager")
    MembershipFactory(user=user, network=other_network, role="integrated_manager")
    client.force_login(user)
    response = client.get(f"/reports/export/goals.csv?{PERIOD}")
    assert "purbeck_thornton-heath" in response["Content-Disposition"]
    assert set(AccessEvent.objects.values_list("network_id", "role")) == {
        (network.pk, "manager"),
        (other_network.pk, "integrated_manager"),
    }


def test_the_people_export_is_audited_per_person_and_safe_from_formulas(client, member, network):
    evil = discharge(network, "yes", given_name='=HYPERLINK("http://x")', family_name="+Evil")
    plain = discharge(network, "yes", given_name="Ann", family_name="Plain")
    discharge(network, "no", family_name="Other")
    chair = member("chair")
    client.force_login(chair)
    response = client.get(f"/reports/export/people.csv?{PERIOD}&metric=avoided&answer=yes")
    assert response.status_code == 200
    assert f"icn-people-avoided-thornton-heath-{M}-to-{M}.csv" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:5] == ["Family name", "Given name", "NHS number", "Date of birth", "Network"]
    assert ["'+Evil", '\'=HYPERLINK("http://x")'] in [r[:2] for r in rows]
    assert ["Plain", "Ann"] in [r[:2] for r in rows]
    assert len(rows) == 3
    events = AccessEvent.objects.filter(what="report_people", channel="export")
    assert {e.patient_id for e in events} == {evil.patient_id, plain.patient_id}
    assert {e.user_id for e in events} == {chair.pk}


def test_names_in_table_exports_are_safe_from_formulas(client, member, network, patient):
    pharmacist = member("pharmacist")
    pharmacist.first_name, pharmacist.last_name = "@SUM(A1", "A2)"
    pharmacist.save()
    Visit.objects.create(
        network=network, patient=patient, kind="home", visitor=pharmacist, visited_at=at(4)
    )
    client.force_login(member("manager"))
    rows = read_csv(client.get(f"/reports/export/visits.csv?{PERIOD}"))
    assert rows[1][0] == "'@SUM(A1 A2)"


# --- query counts --------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def grow(network, pharmacist, n):
    for i in range(n):
        patient = PatientFactory(network=network)
        discharge(network, ("yes", "no", "unsure")[i % 3], patient=patient)
        status = ("new", "accepted", "declined")[i % 3]
        referral(network, status, "other" if status == "declined" else "", patient=patient)
        Visit.objects.create(
            network=network, patient=patient, kind="home", visitor=pharmacist, visited_at=at(4)
        )


@pytest.mark.parametrize("url", ["/reports/", "/reports/people/?metric=avoided"])
def test_queries_do_not_grow_with_rows(client, member, network, url):
    pharmacists = [member("pharmacist"), member("pharmacy_technician")]
    client.force_login(member("chair"))
    grow(network, pharmacists[0], 2)
    few = count_queries(client, url)
    grow(network, pharmacists[1], 30)
    many = count_queries(client, url)
    assert many == few, (few, many)


def test_dashboard_query_budget(client, member, network, django_assert_max_num_queries):
    client.force_login(member("manager"))
    grow(network, member("pharmacist"), 10)
    # 19, and the networks' service labels and the per-service waits (the waiting list from
    # the stored counts, first contact computed: two statements).
    with django_assert_max_num_queries(22):
        assert client.get("/reports/").status_code == 200

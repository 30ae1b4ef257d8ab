"""The commissioner's monthly report (issue #19, item 5; reports/monthly.py): made on the first
working day of the month for the month before, with every metric per network and its limits,
naming no one; told once, in the app and by an e-mail carrying only the link; downloaded by
its owner only."""

import csv
import datetime
import io

import pytest
from django.core import mail

from audit.models import AccessEvent
from networks.models import Membership
from notifications.models import Notification
from referrals.models import Referral
from referrals.services import referral_create
from reports.compare import METRICS
from reports.models import MonthlyReport, PracticePopulation
from reports.monthly import first_working_day, monthly_reports_run, previous_month
from reports.stats import funnel
from tests.factories import OrganisationFactory, PatientFactory
from tests.pdf import pdf_text

pytestmark = pytest.mark.django_db

RUN_DAY = datetime.date(2027, 1, 4)  # the first working day of January 2027
DECEMBER = datetime.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("year", "month", "first"),
    [
        (2027, 1, datetime.date(2027, 1, 4)),  # 1st a bank holiday, 2nd-3rd a weekend
        (2026, 12, datetime.date(2026, 12, 1)),  # starts on a Tuesday
        (2027, 3, datetime.date(2027, 3, 1)),  # starts on a Monday
        (2026, 8, datetime.date(2026, 8, 3)),  # starts on a Saturday; 31 Aug's holiday is late
        (2027, 8, datetime.date(2027, 8, 2)),  # starts on a Sunday
        (2027, 5, datetime.date(2027, 5, 4)),  # Saturday 1st, Monday 3rd a bank holiday
    ],
)
def test_first_working_day(year, month, first):
    assert first_working_day(year, month) == first


def test_the_month_covered_is_the_calendar_month_before():
    assert previous_month(RUN_DAY) == DECEMBER
    assert previous_month(datetime.date(2027, 3, 1)) == datetime.date(2027, 2, 1)


def _population(network, code: str, registered: int, by) -> None:
    practice = OrganisationFactory(code=code, name=f"Practice {code}", kind="gp_practice")
    network.gp_practices.add(practice)
    PracticePopulation.objects.create(
        practice=practice, month=DECEMBER, registered=registered, recorded_by=by
    )


SURNAMES = [
    "Okafor", "Pike", "Adeyemi", "Brennan", "Czarnecki", "Dlamini", "Eriksen",
    "Fitzgerald", "Grabowski", "Haddad", "Iqbal", "Jankowski", "Kowalczyk", "Lindqvist",
]  # fmt: skip


def _referred(network, by, n: int, names: list[str]) -> list:
    """n people of the network, each referred once in December."""
    people = [
        PatientFactory(network=network, given_name=f"Wilhelmina{len(names)}", family_name=name)
        for name in [names.pop() for _ in range(n)]
    ]
    made = [
        referral_create(patient=person, service="medicines_optimisation", reason="Why", by=by)
        for person in people
    ]
    in_december = datetime.datetime(2026, 12, 10, 11, tzinfo=datetime.UTC)
    Referral.objects.filter(pk__in=[m.referral.pk for m in made]).update(created_at=in_december)
    return people


@pytest.fixture
def figures(member, network, other_network):
    """Thornton Heath: 4,000 people, 4 referrals in December; Purbeck: 500 people, 10. The
    people referred have names and NHS numbers the report must not show."""
    gp, foreign_gp = member("gp"), member("gp", net=other_network)
    _population(network, "H81001", 4000, gp)
    _population(other_network, "H81002", 500, foreign_gp)
    names = list(SURNAMES)
    return _referred(network, gp, 4, names) + _referred(other_network, foreign_gp, 10, names)


@pytest.fixture
def commissioner(member, network, other_network):
    user = member("commissioner")
    Membership.objects.create(user=user, network=other_network, role="commissioner")
    return user


def _csv_rows(report) -> list[dict]:
    text = bytes(report.csv).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_report_has_every_metric_per_network_with_its_limits(commissioner, figures):
    assert monthly_reports_run(today=RUN_DAY) == 1
    report = MonthlyReport.objects.get(user=commissioner)
    assert report.month == DECEMBER
    rows = _csv_rows(report)
    # One row per network and metric: 2 networks x 6 metrics.
    assert len(rows) == 2 * len(METRICS) == 12
    assert {row["metric"] for row in rows} == {m.code for m in METRICS}
    referrals = {row["network"]: row for row in rows if row["metric"] == "referrals_per_1000"}
    th, pb = referrals["Thornton Heath"], referrals["Purbeck"]
    # Thornton Heath 4 / 4,000 x 1,000 = 1; Purbeck 10 / 500 x 1,000 = 20; the system mean is
    # (4 + 10) / (4,000 + 500) x 1,000 = 3.111.
    assert (th["population"], th["numerator"], th["value"]) == ("4000", "4", "1")
    assert (pb["population"], pb["numerator"], pb["value"]) == ("500", "10", "20")
    assert th["system_mean"] == pb["system_mean"] == "3.111"
    # The limits are the funnel's (reports/stats.py, tested against hand-computed figures) at
    # each network's own population; Purbeck is above its 99.8% upper limit (12.3).
    expected = funnel({"th": (4, 4000), "pb": (10, 500)}, "rate", per=1000).points[1]
    assert float(pb["upper_99_8"]) == pytest.approx(expected.limits998[1], abs=0.001)
    assert float(pb["upper_99_8"]) == pytest.approx(12.301, abs=0.001)
    assert float(pb["lower_95"]) == pytest.approx(expected.limits95[0], abs=0.001)
    assert (th["outlier"], pb["outlier"]) == ("", "high")
    # No discharges: nothing to compare, so no value and no limits (not a guessed 0).
    goals = next(r for r in rows if r["metric"] == "goals_met_per_100")
    assert (goals["value"], goals["upper_95"], goals["outlier"]) == ("", "", "")


def test_the_report_names_no_one(client, commissioner, figures):
    monthly_reports_run(today=RUN_DAY)
    report = MonthlyReport.objects.get(user=commissioner)
    client.force_login(commissioner)
    text = pdf_text(client.get(f"/reports/monthly/{report.pk}.pdf"))
    table = bytes(report.csv).decode("utf-8-sig")
    # The figures are there (so a missing name is not an empty file) ...
    assert "Purbeck: Referrals, 20.0 per 1,000 population, above the 99.8% limit of 12.3" in text
    assert "Thornton Heath" in table and "referrals_per_1000" in table
    # ... and no one who was referred.
    for person in figures:
        for said in (
            person.given_name,
            person.family_name,
            person.nhs_number,
            person.nhs_number_display,
        ):
            assert said not in text
            assert said not in table


def test_told_once_in_the_app_and_by_an_email_with_the_link_only(commissioner, figures):
    assert monthly_reports_run(today=RUN_DAY) == 1
    [message] = mail.outbox
    assert message.to == [commissioner.email]
    assert "/reports/monthly/" in message.body
    assert message.attachments == []
    for figure in ("Purbeck", "Thornton Heath", "per 1,000", "20.0", *SURNAMES):
        assert figure not in message.body + message.subject
    [notification] = Notification.objects.filter(recipient=commissioner, kind="monthly_report")
    assert notification.url == "/reports/monthly/"
    assert notification.email == Notification.Email.NONE  # its e-mail is the one above
    # A second run that day (or a doubled beat) makes and sends nothing new.
    assert monthly_reports_run(today=RUN_DAY) == 0
    assert len(mail.outbox) == 1
    assert MonthlyReport.objects.count() == 1
    assert Notification.objects.filter(kind="monthly_report").count() == 1


def test_attachments_only_when_allowed(settings, commissioner, figures):
    settings.COMMISSIONER_REPORT_EMAIL_ATTACH = True
    monthly_reports_run(today=RUN_DAY)
    [message] = mail.outbox
    names = [name for name, _, _ in message.attachments]
    assert names == ["icn-monthly-report-2026-12.pdf", "icn-monthly-report-2026-12.csv"]
    assert message.attachments[0][1].startswith(b"%PDF")


@pytest.mark.parametrize(
    "day",
    [
        datetime.date(2027, 1, 1),  # a bank holiday
        datetime.date(2027, 1, 5),  # the second working day
        datetime.date(2026, 12, 2),
    ],
)
def test_nothing_on_other_days(commissioner, day):
    assert monthly_reports_run(today=day) == 0
    assert not MonthlyReport.objects.exists()
    assert mail.outbox == []


def test_only_commissioners_get_one(member, network, commissioner):
    member("manager")
    member("chair")
    monthly_reports_run(today=RUN_DAY)
    assert list(MonthlyReport.objects.values_list("user", flat=True)) == [commissioner.pk]


def _report(user, month, ids) -> MonthlyReport:
    return MonthlyReport.objects.create(
        user=user, month=month, network_ids=ids, pdf=b"%PDF-1.7 x", csv=b"month\r\n"
    )


def test_the_list_shows_only_ones_own_reports(client, member, network, commissioner):
    other = member("commissioner", username="another.commissioner")
    _report(commissioner, DECEMBER, [network.pk])
    theirs = _report(other, DECEMBER, [network.pk])
    client.force_login(commissioner)
    response = client.get("/reports/monthly/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "December 2026" in page and "Thornton Heath" in page
    assert f"/reports/monthly/{theirs.pk}.pdf" not in page
    assert client.get(f"/reports/monthly/{theirs.pk}.pdf").status_code == 404
    assert client.get(f"/reports/monthly/{theirs.pk}.csv").status_code == 404


def test_a_manager_may_not_open_the_reports(client, member, commissioner, network):
    report = _report(commissioner, DECEMBER, [network.pk])
    client.force_login(member("manager"))
    assert client.get("/reports/monthly/").status_code == 403
    assert client.get(f"/reports/monthly/{report.pk}.csv").status_code == 403


def test_a_download_is_in_the_access_trail(client, commissioner, network, other_network):
    report = _report(commissioner, DECEMBER, [network.pk, other_network.pk])
    client.force_login(commissioner)
    response = client.get(f"/reports/monthly/{report.pk}.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="icn-monthly-report-2026-12.csv"'
    )
    events = AccessEvent.objects.filter(what="monthly_report:csv", channel="export")
    assert sorted(events.values_list("network_id", flat=True)) == sorted(
        [network.pk, other_network.pk]
    )


@pytest.mark.parametrize("reports", [2, 20])
def test_the_list_query_budget(
    client, commissioner, network, reports, django_assert_max_num_queries
):
    month = DECEMBER
    for _ in range(reports):
        _report(commissioner, month, [network.pk])
        month = previous_month(month)
    client.force_login(commissioner)
    # Session, user, memberships, navigation counts, the reports, the networks' names.
    with django_assert_max_num_queries(8):
        response = client.get("/reports/monthly/")
    assert response.content.decode().count(".pdf") == reports


def test_beat_asks_every_weekday_morning():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["commissioner-monthly-report"]
    assert entry["task"] == "reports.tasks.send_monthly_reports"
    schedule = entry["schedule"]
    assert (schedule.hour, schedule.minute) == ({6}, {30})
    assert schedule.day_of_week == {1, 2, 3, 4, 5}  # Monday to Friday

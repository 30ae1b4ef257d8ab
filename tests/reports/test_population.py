"""Population denominators (issue #19 item 1): GP practices' list sizes per month, imported
from a CSV (POST /api/v1/populations/import/), and a network's population per month
(GET /api/v1/populations/, reports.population.network_population)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from networks.models import Organisation
from reports.models import PracticePopulation
from reports.population import network_population, population_import
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/populations/import/"
HEADER = "ods_code,month,registered\n"


def gp_practice(network, code: str):
    practice = OrganisationFactory(code=code, name=f"Practice {code}", kind="gp_practice")
    if network is not None:
        network.gp_practices.add(practice)
    return practice


@pytest.fixture
def practices(network):
    return [gp_practice(network, code) for code in ("H81001", "H81002")]


@pytest.fixture
def manager(member):
    return member("manager")


def upload(api, user, text: str, **data):
    file = SimpleUploadedFile("lists.csv", text.encode(), "text/csv")
    return api(user).post(URL, {"file": file, **data}, format="multipart")


def figures() -> set[tuple[str, date, int]]:
    return set(PracticePopulation.objects.values_list("practice__code", "month", "registered"))


def test_a_good_file_is_imported_and_the_same_file_again_changes_nothing(api, manager, practices):
    text = HEADER + "H81001,2026-01,8120\nh81002,2026-01,11050\nH81001,2026-02,8134\n"
    response = upload(api, manager, text, network="thornton-heath")
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0, "dry_run": False}
    assert figures() == {
        ("H81001", date(2026, 1, 1), 8120),
        ("H81002", date(2026, 1, 1), 11050),
        ("H81001", date(2026, 2, 1), 8134),
    }
    assert set(PracticePopulation.objects.values_list("recorded_by", flat=True)) == {manager.pk}
    again = upload(api, manager, text)  # the manager's only network: no need to name it
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 3, "dry_run": False}
    assert PracticePopulation.objects.count() == 3


def test_a_figure_held_is_replaced_and_its_history_kept(api, member, practices):
    chair = member("chair")
    upload(api, chair, HEADER + "H81001,2026-01,8120\n")
    response = upload(api, chair, HEADER + "H81001,2026-01,8200\nH81002,2026-01,9000\n")
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 0, "dry_run": False}
    assert figures() == {("H81001", date(2026, 1, 1), 8200), ("H81002", date(2026, 1, 1), 9000)}
    held = PracticePopulation.objects.get(practice__code="H81001")
    assert [e.registered for e in held.events.order_by("pgh_id")] == [8120, 8200]
    assert held.events.last().pgh_context.metadata["username"] == chair.username


def test_a_dry_run_counts_and_saves_nothing(api, member, practices):
    integrated = member("integrated_manager")
    upload(api, integrated, HEADER + "H81001,2026-01,8120\n")
    text = HEADER + "H81001,2026-01,8121\nH81002,2026-01,9000\n"
    response = upload(api, integrated, text, dry_run="true")
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 0, "dry_run": True}
    assert figures() == {("H81001", date(2026, 1, 1), 8120)}


@pytest.mark.parametrize(
    "row, field, message",
    [
        ("Z99999,2026-01,8000", "ods_code", "No GP practice with that code in this network."),
        ("P00001,2026-01,8000", "ods_code", "No GP practice with that code in this network."),
        ("H81001,2026-1,8000", "month", "Give the month as YYYY-MM, for example 2026-04."),
        ("H81001,01/2026,8000", "month", "Give the month as YYYY-MM, for example 2026-04."),
        ("H81001,2026-13,8000", "month", "Give the month as YYYY-MM, for example 2026-04."),
        ("H81001,2026-01-01,8000", "month", "Give the month as YYYY-MM, for example 2026-04."),
        ("H81001,2026-01,0", "registered", "whole number from 1 to 500,000"),
        ("H81001,2026-01,-5", "registered", "whole number from 1 to 500,000"),
        ("H81001,2026-01,8000.5", "registered", "whole number from 1 to 500,000"),
        ("H81001,2026-01,", "registered", "whole number from 1 to 500,000"),
        ("H81001,2026-01,600000", "registered", "whole number from 1 to 500,000"),
        ("H81001,2026-01,\uff18\uff10\uff10\uff10", "registered", "whole number from 1 to 500,000"),
        ("H81002,2026-02,8000", "month", "This practice's figure for 2026-02 is also on line 2."),
    ],
)
def test_a_bad_row_is_400_by_line_and_field_and_nothing_is_saved(
    api, manager, practices, other_network, row, field, message
):
    gp_practice(other_network, "P00001")  # another network's practice
    text = HEADER + "H81002,2026-02,8000\n" + row + "\n"
    response = upload(api, manager, text)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(3, field)]
    assert message in errors[0]["message"]
    assert not PracticePopulation.objects.exists()


def test_a_month_to_come_and_a_file_that_cannot_be_read_are_refused(api, manager, practices):
    today = timezone.localdate()
    next_month = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    response = upload(api, manager, HEADER + f"H81001,{next_month:%Y-%m},8000\n")
    assert response.json()["errors"][0]["field"] == "month"
    assert "has not begun" in response.json()["errors"][0]["message"]
    wrong = upload(api, manager, "practice,month,list\nH81001,2026-01,8000\n")
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "file"
    empty = upload(api, manager, HEADER)
    assert empty.json()["errors"] == [
        {"line": 2, "field": "file", "message": "There are no list sizes under the first row."}
    ]
    assert not PracticePopulation.objects.exists()


def test_the_network_must_be_named_by_someone_who_reports_on_several(
    api, member, network, other_network, practices
):
    manager = member("manager")
    member("manager", net=other_network, username=manager.username)
    response = upload(api, manager, HEADER + "H81001,2026-01,8000\n")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "network"
    assert upload(api, manager, HEADER + "H81001,2026-01,8000\n", network="purbeck").json()[
        "errors"
    ][0]["field"] == ("ods_code")  # H81001 is not Purbeck's
    assert not PracticePopulation.objects.exists()


def test_another_networks_file_is_404_and_a_bad_file_in_a_dry_run_is_400(
    api, manager, practices, other_network
):
    gp_practice(other_network, "P00001")
    text = HEADER + "P00001,2026-01,8000\n"
    assert upload(api, manager, text, network="purbeck").status_code == 404
    dry = upload(api, manager, HEADER + "H81001,2026-01,lots\n", dry_run="true")
    assert dry.status_code == 400
    assert dry.json()["errors"][0]["field"] == "registered"
    assert not PracticePopulation.objects.exists()


def test_the_database_refuses_a_month_not_on_its_first_day_and_nobody_registered(
    network, practices, manager
):
    for month, registered in ((date(2026, 1, 2), 8000), (date(2026, 1, 1), 0)):
        with pytest.raises(IntegrityError), transaction.atomic():
            PracticePopulation.objects.create(
                practice=practices[0], month=month, registered=registered, recorded_by=manager
            )


def import_rows(network, manager, rows):
    lines = [
        (i + 2, {"ods_code": c, "month": m, "registered": str(n)})
        for i, (c, m, n) in enumerate(rows)
    ]
    result = population_import(network=network, rows=lines, by=manager)
    assert not result.errors, result.errors


def test_the_selector_sums_the_networks_practices_per_month(
    network, other_network, practices, manager
):
    elsewhere = gp_practice(other_network, "P00001")
    leaving = gp_practice(network, "H81003")
    import_rows(
        network,
        manager,
        [
            ("H81001", "2026-01", 8000),
            ("H81002", "2026-01", 11000),
            ("H81003", "2026-01", 500),
            ("H81001", "2026-02", 8010),
            ("H81001", "2025-12", 7990),  # before the period
        ],
    )
    import_rows(other_network, manager, [("P00001", "2026-01", 99999)])
    network.gp_practices.remove(leaving)  # no longer the network's: not counted
    assert elsewhere.kind == Organisation.Kind.GP_PRACTICE
    assert network_population(network, date(2026, 1, 1), date(2026, 3, 1)) == {
        date(2026, 1, 1): {"registered": 19000, "practices": 2},
        date(2026, 2, 1): {"registered": 8010, "practices": 1},
    }
    assert network_population(other_network.pk, date(2026, 1, 1), date(2026, 1, 1)) == {
        date(2026, 1, 1): {"registered": 99999, "practices": 1}
    }


def test_the_api_gives_totals_per_month_and_per_practice(api, manager, network, practices):
    import_rows(
        network,
        manager,
        [("H81002", "2026-01", 11000), ("H81001", "2026-01", 8000), ("H81001", "2026-02", 8010)],
    )
    response = api(manager).get(
        "/api/v1/populations/", {"network": "thornton-heath", "from": "2026-01", "to": "2026-03"}
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "network": "thornton-heath",
        "from": "2026-01",
        "to": "2026-03",
        "practices": 2,
        "months": [
            {"month": "2026-01", "registered": 19000, "practices_reported": 2},
            {"month": "2026-02", "registered": 8010, "practices_reported": 1},
            {"month": "2026-03", "registered": None, "practices_reported": 0},
        ],
        "by_practice": [
            {
                "ods_code": "H81001",
                "name": "Practice H81001",
                "months": [
                    {"month": "2026-01", "registered": 8000},
                    {"month": "2026-02", "registered": 8010},
                ],
            },
            {
                "ods_code": "H81002",
                "name": "Practice H81002",
                "months": [{"month": "2026-01", "registered": 11000}],
            },
        ],
    }


def test_the_api_refuses_a_bad_period_and_other_roles(api, member, manager, practices):
    bad = api(manager).get("/api/v1/populations/", {"network": "thornton-heath", "from": "jan"})
    assert bad.status_code == 400
    assert api(manager).get("/api/v1/populations/").status_code == 400  # no network
    nurse = member("community_nurse")
    assert api(nurse).get("/api/v1/populations/?network=thornton-heath").status_code == 403
    assert upload(api, nurse, HEADER + "H81001,2026-01,8000\n").status_code == 403
    assert not PracticePopulation.objects.exists()


def _rows(practices: int, months: int) -> str:
    return HEADER + "".join(
        f"H9{p:04d},2025-{m + 1:02d},{6000 + p * 10 + m}\n"
        for p in range(practices)
        for m in range(months)
    )


@pytest.mark.parametrize("practices_n, months", [(1, 2), (5, 4)])  # 2 rows, then 20
def test_queries_do_not_grow_with_the_rows(
    api, manager, network, django_assert_max_num_queries, practices_n, months
):
    for p in range(practices_n):
        gp_practice(network, f"H9{p:04d}")
    client = api(manager)
    client.get("/api/v1/me/")  # the token's first use, outside the count
    text = _rows(practices_n, months)
    with django_assert_max_num_queries(8):
        file = SimpleUploadedFile("lists.csv", text.encode(), "text/csv")
        response = client.post(URL, {"file": file}, format="multipart")
    assert response.json()["created"] == practices_n * months
    with django_assert_max_num_queries(5):
        response = client.get(
            "/api/v1/populations/",
            {"network": "thornton-heath", "from": "2025-01", "to": "2025-12"},
        )
    assert len(response.json()["by_practice"]) == practices_n
    with django_assert_max_num_queries(1):
        totals = network_population(network.pk, date(2025, 1, 1), date(2025, 12, 1))
    assert len(totals) == months

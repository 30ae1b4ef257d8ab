"""Hospital admissions from a hospital CSV, checked row by row (each bad row by its line
number) and imported only when the user decides: good, bad and mixed files, duplicates,
other networks, the file's limits, a double click, a check whose query count does not grow
with the file, and the access trail."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AccessEvent
from core import nhs_number
from core.errors import Conflict
from reports import admissions
from reports.admissions import (
    admission_record,
    admissions_discard,
    admissions_import,
)
from reports.models import AdmissionEvent, AdmissionImport
from tests.factories import PatientFactory

from .helpers import CHECK, HX, check, csv_bytes, message_texts, spaced, text, today, upload

pytestmark = pytest.mark.django_db


# --- a good file --------------------------------------------------------------------------------


def test_good_file_is_checked_then_imported_whole(network, people, chair):
    a, b, c = people
    data = csv_bytes(
        f"{a.nhs_number},2026-01-10,emergency",
        f"{spaced(b.nhs_number)},2026-02-03,Elective",
        f"{c.nhs_number},03/03/2026,EMERGENCY",
    )

    checked = check(network, chair, data)

    assert checked.status == AdmissionImport.Status.CHECKED
    assert checked.rows_total == 3
    assert checked.bad_rows == []
    assert [r["line"] for r in checked.good_rows] == [2, 3, 4]
    assert checked.good_rows[1] == {
        "line": 3,
        "nhs_number": b.nhs_number,
        "admitted_on": "2026-02-03",
        "kind": "elective",
        "patient_id": b.pk,
    }
    assert not AdmissionEvent.objects.exists()  # nothing saved by the check

    done = admissions_import(admission_import=checked, by=chair, include_good_rows_only=False)

    assert done.status == AdmissionImport.Status.IMPORTED
    assert done.imported == 3 and done.duplicates == 0
    assert done.decided_at is not None
    events = AdmissionEvent.objects.order_by("admitted_on")
    assert [(e.patient, e.admitted_on, e.kind) for e in events] == [
        (a, datetime.date(2026, 1, 10), "emergency"),
        (b, datetime.date(2026, 2, 3), "elective"),
        (c, datetime.date(2026, 3, 3), "emergency"),
    ]
    assert all(e.source == "import" and e.admission_import == done for e in events)
    assert all(e.recorded_by == chair and e.network == network for e in events)


def test_good_file_through_the_pages(client, login, network, people):
    login("chair")
    a, b, _ = people
    data = csv_bytes(f"{a.nhs_number},2026-01-10,emergency", f"{b.nhs_number},2026-01-11,elective")

    response = client.post(CHECK, {"file": upload(data, "march.csv")})

    checked = AdmissionImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/admissions/imports/{checked.pk}/"
    page = client.get(response["Location"])
    body = text(page)
    assert page.status_code == 200
    assert "2 rows: 2 good, 0 with errors, 0 already recorded." in body
    assert "Nothing has been saved yet." in body
    assert "Import 2 admissions" in body
    assert "Edith Okafor" in body and spaced(a.nhs_number) in body
    assert not AdmissionEvent.objects.exists()

    response = client.post(f"/reports/admissions/imports/{checked.pk}/import/")

    assert response.status_code == 302
    assert message_texts(response) == ["Imported 2 admissions."]
    assert AdmissionEvent.objects.count() == 2
    body = text(client.get(response["Location"]))
    assert "2 rows: 2 imported, 0 with errors (not imported), 0 already recorded." in body
    assert "Imported on" in body
    assert "Import 2 admissions" not in body  # decided: no more buttons


def test_htmx_upload_redirects_the_browser_to_the_result(client, login, network, people):
    login("chair")
    data = csv_bytes(f"{people[0].nhs_number},2026-01-10,emergency")

    response = client.post(CHECK, {"file": upload(data)}, headers=HX)

    checked = AdmissionImport.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/reports/admissions/imports/{checked.pk}/"


# --- a bad file ---------------------------------------------------------------------------------


def test_bad_file_saves_nothing_and_reports_each_row_by_line(network, people, chair):
    a = people[0]
    wrong_digit = a.nhs_number[:9] + str((int(a.nhs_number[9]) + 1) % 10)
    data = csv_bytes(
        f"{wrong_digit},2026-01-10,emergency",  # line 2
        "12345,2026-01-10,emergency",  # line 3
        f"{a.nhs_number},2026-02-30,emergency",  # line 4
        f"{a.nhs_number},2026-01-10,day case",  # line 5
        ",,",  # line 6: blank, skipped
        f"{a.nhs_number},,",  # line 7
        "abc,yesterday,urgent",  # line 8: three problems
    )

    checked = check(network, chair, data)

    assert checked.good_rows == []
    assert checked.rows_total == 6
    by_line = {r["line"]: r["errors"] for r in checked.bad_rows}
    assert by_line == {
        2: [f"{spaced(wrong_digit)} is not a valid NHS number: the check digit does not match."],
        3: ["\u201812345\u2019 is not an NHS number: it needs 10 digits."],
        4: ["\u20182026-02-30\u2019 is not a date: use YYYY-MM-DD or DD/MM/YYYY."],
        5: ["\u2018day case\u2019 is not a kind of admission: use emergency or elective."],
        7: [
            "The admission date is missing.",
            "The kind of admission is missing: emergency or elective.",
        ],
        8: [
            "\u2018abc\u2019 is not an NHS number: it needs 10 digits.",
            "\u2018yesterday\u2019 is not a date: use YYYY-MM-DD or DD/MM/YYYY.",
            "\u2018urgent\u2019 is not a kind of admission: use emergency or elective.",
        ],
    }
    with pytest.raises(ValidationError, match="6 rows have errors: nothing was imported"):
        admissions_import(admission_import=checked, by=chair, include_good_rows_only=False)
    assert not AdmissionEvent.objects.exists()
    checked.refresh_from_db()
    assert checked.status == AdmissionImport.Status.CHECKED


def test_bad_file_page_lists_line_numbers_and_offers_discard_only(client, login, network, people):
    login("chair")
    data = csv_bytes(f"{people[0].nhs_number},2026-13-01,emergency", "999,2026-01-01,elective")
    client.post(CHECK, {"file": upload(data)})
    checked = AdmissionImport.objects.get()

    body = text(client.get(f"/reports/admissions/imports/{checked.pk}/"))

    assert "2 rows: 0 good, 2 with errors, 0 already recorded." in body
    assert "Line 2" in body and "\u20182026-13-01\u2019 is not a date" in body
    assert "Line 3" in body and "\u2018999\u2019 is not an NHS number" in body
    assert "Discard" in body
    assert "good rows only" not in body and "Import 0" not in body

    response = client.post(f"/reports/admissions/imports/{checked.pk}/import/")
    assert response.status_code == 422
    assert "2 rows have errors: nothing was imported." in text(response)

    response = client.post(f"/reports/admissions/imports/{checked.pk}/discard/")
    assert response.status_code == 302
    assert message_texts(response) == ["feed.csv discarded: nothing from it was imported."]
    checked.refresh_from_db()
    assert checked.status == AdmissionImport.Status.DISCARDED
    assert not AdmissionEvent.objects.exists()


# --- a mixed file -------------------------------------------------------------------------------


def test_mixed_file_saves_nothing_until_good_rows_only_is_chosen(network, people, chair):
    a, b, c = people
    future = (today() + datetime.timedelta(days=2)).isoformat()
    data = csv_bytes(
        f"{a.nhs_number},2026-01-10,emergency",  # 2 good
        f"{b.nhs_number},{future},emergency",  # 3 future
        f"{c.nhs_number},2026-01-12,elective",  # 4 good
        f"{b.nhs_number},1939-12-31,emergency",  # 5 before birth
    )

    checked = check(network, chair, data)

    assert [r["line"] for r in checked.good_rows] == [2, 4]
    assert [r["line"] for r in checked.bad_rows] == [3, 5]
    future_day = today() + datetime.timedelta(days=2)
    assert checked.bad_rows[0]["errors"] == [
        f"The admission date {admissions.day_display(future_day)} is in the future."
    ]
    assert checked.bad_rows[1]["errors"] == [
        "The admission date 31 Dec 1939 is before the person's date of birth (1 May 1940)."
    ]
    assert checked.bad_rows[0]["patient_id"] == b.pk
    with pytest.raises(ValidationError):
        admissions_import(admission_import=checked, by=chair, include_good_rows_only=False)
    assert not AdmissionEvent.objects.exists()

    done = admissions_import(admission_import=checked, by=chair, include_good_rows_only=True)

    assert done.imported == 2
    assert set(AdmissionEvent.objects.values_list("patient_id", "admitted_on")) == {
        (a.pk, datetime.date(2026, 1, 10)),
        (c.pk, datetime.date(2026, 1, 12)),
    }


def test_mixed_file_through_the_pages(client, login, network, people):
    login("chair")
    a, b, _ = people
    data = csv_bytes(
        f"{a.nhs_number},2026-01-10,emergency",
        f"{b.nhs_number},2026-01-10,maybe",
        f"{b.nhs_number},2026-01-11,elective",
    )
    client.post(CHECK, {"file": upload(data)})
    checked = AdmissionImport.objects.get()
    url = f"/reports/admissions/imports/{checked.pk}/"

    body = text(client.get(url))

    assert "3 rows: 2 good, 1 with errors, 0 already recorded." in body
    assert "Import the 2 good rows only" in body
    assert "Line 3" in body and "\u2018maybe\u2019 is not a kind of admission" in body
    assert not AdmissionEvent.objects.exists()

    # Without the explicit choice nothing is imported.
    response = client.post(url + "import/")
    assert response.status_code == 422
    assert not AdmissionEvent.objects.exists()

    response = client.post(url + "import/", {"good_rows_only": "1"})

    assert response.status_code == 302
    assert message_texts(response) == ["Imported 2 admissions. 1 row with errors was not imported."]
    assert AdmissionEvent.objects.count() == 2
    assert not AdmissionEvent.objects.filter(kind="emergency", patient=b).exists()


# --- duplicates, other networks -----------------------------------------------------------------


def test_repeat_within_the_file_is_a_bad_row_naming_the_first_line(network, people, chair):
    a = people[0]
    data = csv_bytes(
        f"{a.nhs_number},2026-01-10,emergency",
        f"{a.nhs_number},2026-01-10,elective",  # another kind: not a repeat
        f"{spaced(a.nhs_number)},10/01/2026,Non-Elective",  # line 4 repeats line 2
    )

    checked = check(network, chair, data)

    assert [r["line"] for r in checked.good_rows] == [2, 3]
    assert checked.bad_rows == [
        {
            "line": 4,
            "nhs_number": spaced(a.nhs_number),
            "admitted_on": "10/01/2026",
            "kind": "Non-Elective",
            "patient_id": a.pk,
            "errors": ["Repeats line 2 (the same person, date and kind)."],
        }
    ]


def test_already_recorded_is_counted_and_skipped_not_an_error(network, people, chair):
    a, b, _ = people
    admission_record(patient=a, admitted_on=datetime.date(2026, 1, 10), kind="emergency", by=chair)
    data = csv_bytes(
        f"{a.nhs_number},2026-01-10,emergency",  # already recorded
        f"{b.nhs_number},2026-01-10,emergency",
        f"{b.nhs_number},2026-01-20,emergency",
    )

    checked = check(network, chair, data)

    assert checked.duplicates == 1
    assert checked.bad_rows == []
    assert len(checked.good_rows) == 2
    # Recorded by hand after the check: skipped at import, and counted.
    admission_record(patient=b, admitted_on=datetime.date(2026, 1, 20), kind="emergency", by=chair)

    done = admissions_import(admission_import=checked, by=chair, include_good_rows_only=False)

    assert done.imported == 1
    assert done.duplicates == 2
    assert AdmissionEvent.objects.count() == 3
    assert AdmissionEvent.objects.filter(admission_import=done).count() == 1


def test_people_of_other_networks_are_never_matched(
    client, login, network, other_network, people, foreign_patient
):
    user = login("chair")
    # Even a chair of both networks: the file is checked against the current one only.
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, network=other_network, role="chair")
    session = client.session
    session["icn_network"] = network.slug
    session.save()
    data = csv_bytes(
        f"{foreign_patient.nhs_number},2026-01-10,emergency",
        f"{nhs_number.synthetic(777_001)},2026-01-10,emergency",  # no one anywhere
    )

    client.post(CHECK, {"file": upload(data)})

    checked = AdmissionImport.objects.get()
    assert checked.network == network
    assert [r["errors"] for r in checked.bad_rows] == [
        [f"No one with NHS number {spaced(foreign_patient.nhs_number)} in Thornton Heath."],
        [f"No one with NHS number {spaced(nhs_number.synthetic(777_001))} in Thornton Heath."],
    ]
    assert all(r["patient_id"] is None for r in checked.bad_rows)
    body = text(client.get(f"/reports/admissions/imports/{checked.pk}/"))
    assert foreign_patient.full_name not in body
    assert not AccessEvent.objects.filter(patient=foreign_patient).exists()


def test_same_nhs_number_in_two_networks_matches_this_networks_person(
    network, other_network, chair
):
    number = nhs_number.synthetic(888_123)
    here = PatientFactory(network=network, nhs_number=number)
    PatientFactory(network=other_network, nhs_number=number)

    checked = check(network, chair, csv_bytes(f"{number},2026-01-10,emergency"))

    assert checked.good_rows[0]["patient_id"] == here.pk


# --- the file itself ----------------------------------------------------------------------------


def test_bom_windows_line_endings_headers_and_extra_columns(network, people, chair):
    a, b, _ = people
    data = (
        "\ufeffHospital,NHS Number,Admitted-On,Kind,Ward\r\n"
        f"CUH,{a.nhs_number},10/01/2026,non-elective,A1\r\n"
        "\r\n"
        f'CUH,"{spaced(b.nhs_number)}",2026-01-11, Elective ,B2\r\n'
    ).encode()

    checked = check(network, chair, data)

    assert checked.bad_rows == []
    assert [(r["line"], r["admitted_on"], r["kind"]) for r in checked.good_rows] == [
        (2, "2026-01-10", "emergency"),
        (4, "2026-01-11", "elective"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (
            b"nhs_number,admitted_on\n",
            "The first row must name the columns nhs_number, admitted_on and kind; kind is "
            "missing.",
        ),
        (b"NHS,date\n", "; nhs_number, admitted_on and kind are missing."),
        (
            b"nhs_number;admitted_on;kind\n9434765919;2026-01-01;emergency\n",
            "The columns are separated by semicolons: use commas",
        ),
        (b"nhs_number,admitted_on,kind\n\n\n", "The file has no admissions under its first row."),
        ("nhs_number,admitted_on,kind\nK\u00f6ln,x,y\n".encode("latin-1"), "is not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "is not UTF-8 text"),
        (b"nhs_number,admitted_on,kind\n\x00\x00,1,2\n", "holds binary data"),
        (
            b"nhs_number,admitted_on,kind\n1,2,3\n" + b"x" * 200_000 + b",1,2\n",
            r"Line 3: the file cannot be read as CSV \(field larger than field limit",
        ),
    ],
    ids=[
        "empty",
        "missing column",
        "missing all",
        "semicolons",
        "no rows",
        "latin-1",
        "binary",
        "nul",
        "huge field",
    ],
)
def test_unreadable_files_are_refused_whole(network, chair, data, message):
    with pytest.raises(ValidationError, match=message) as caught:
        check(network, chair, data)
    assert list(caught.value.message_dict) == ["file"]
    assert not AdmissionImport.objects.exists()


def test_too_big_and_too_many_rows(network, people, chair):
    row = f"{people[0].nhs_number},2026-01-10,emergency\n"
    too_many = ("nhs_number,admitted_on,kind\n" + row * (admissions.MAX_ROWS + 1)).encode()
    assert len(too_many) < admissions.MAX_BYTES

    with pytest.raises(ValidationError, match="more than 50,000 rows"):
        check(network, chair, too_many)
    with pytest.raises(ValidationError, match="larger than 5 MB"):
        check(network, chair, b"x" * (admissions.MAX_BYTES + 1))
    assert not AdmissionImport.objects.exists()


def test_file_errors_on_the_upload_form(client, login, network):
    login("chair")

    response = client.post(CHECK, {"file": upload(b"\xff\xfe\x00n\x00h")})
    assert response.status_code == 422
    assert "is not UTF-8 text" in text(response)
    assert "There is a problem: nothing has been saved" in text(response)

    response = client.post(CHECK, {"file": upload(b"x" * (admissions.MAX_BYTES + 1))})
    assert response.status_code == 422
    assert "larger than 5 MB" in text(response)

    response = client.post(CHECK, {})
    assert response.status_code == 422
    assert "Choose a CSV file to check." in text(response)

    # htmx: the upload card alone, to swap in place of the form.
    response = client.post(CHECK, {"file": upload(b"a;b;c\n")}, headers=HX)
    assert response.status_code == 422
    assert response.content.decode().lstrip().startswith('<section class="nhsuk-card" id="upload"')
    assert "separated by semicolons: use commas" in text(response)
    assert response["Vary"].count("HX-Request") == 1
    assert not AdmissionImport.objects.exists()


# --- a double click, discard ----------------------------------------------------------------------


def test_double_submit_imports_once(client, login, network, people):
    login("chair")
    data = csv_bytes(f"{people[0].nhs_number},2026-01-10,emergency")
    client.post(CHECK, {"file": upload(data)})
    url = f"/reports/admissions/imports/{AdmissionImport.objects.get().pk}/"

    first = client.post(url + "import/")
    second = client.post(url + "import/")

    assert first.status_code == 302
    assert second.status_code == 409
    assert "This file has already been imported: nothing more was done." in text(second)
    assert AdmissionEvent.objects.count() == 1
    assert client.post(url + "discard/").status_code == 409
    assert AdmissionImport.objects.get().status == "imported"


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_are_serialised_by_the_row_lock(network, people, chair):
    data = csv_bytes(*(f"{p.nhs_number},2026-01-10,emergency" for p in people))
    checked = check(network, chair, data)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            admissions_import(admission_import=checked, by=chair, include_good_rows_only=False)
            outcomes.append("imported")
        except Conflict:
            outcomes.append("conflict")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "imported"]
    assert AdmissionEvent.objects.count() == 3
    assert AdmissionImport.objects.get().imported == 3


def test_discarded_file_cannot_be_imported(network, people, chair):
    checked = check(network, chair, csv_bytes(f"{people[0].nhs_number},2026-01-10,emergency"))

    admissions_discard(admission_import=checked, by=chair)

    with pytest.raises(Conflict, match="already been discarded"):
        admissions_import(admission_import=checked, by=chair, include_good_rows_only=True)
    assert not AdmissionEvent.objects.exists()


# --- the check is fast ----------------------------------------------------------------------------


def test_check_query_count_does_not_grow_with_the_file(network, chair):
    born = datetime.date(1940, 1, 1)
    patients = [PatientFactory(network=network, date_of_birth=born) for _ in range(50)]

    def rows(n):
        day = datetime.date(2025, 1, 1)
        return csv_bytes(
            *(
                f"{patients[i % 50].nhs_number},{day + datetime.timedelta(days=i)},emergency"
                for i in range(n)
            )
        )

    counts = {}
    for n in (5, 500):
        chair_fresh = type(chair).objects.get(pk=chair.pk)  # memberships not yet cached
        with CaptureQueriesContext(connection) as queries:
            checked = check(network, chair_fresh, rows(n))
        assert len(checked.good_rows) == n
        counts[n] = len(queries)
    assert counts[5] == counts[500] <= 4


def test_import_query_count_does_not_grow_with_the_file(network, chair):
    patients = [PatientFactory(network=network) for _ in range(20)]
    counts = {}
    for n, year in ((5, 2024), (500, 2025)):
        day = datetime.date(year, 1, 1)
        data = csv_bytes(
            *(
                f"{patients[i % 20].nhs_number},{day + datetime.timedelta(days=i // 20)},emergency"
                for i in range(n)
            )
        )
        checked = check(network, chair, data)
        with CaptureQueriesContext(connection) as queries:
            done = admissions_import(
                admission_import=checked, by=chair, include_good_rows_only=False
            )
        assert done.imported == n
        counts[n] = len(queries)
    assert counts[5] == counts[500]


# --- the access trail ---------------------------------------------------------------------------


def test_result_page_writes_access_events_for_the_people_shown(client, login, network, people):
    user = login("chair")
    a, b, c = people
    data = csv_bytes(
        f"{a.nhs_number},2026-01-10,emergency",
        f"{b.nhs_number},2099-01-10,emergency",  # bad, but the person is named
        f"{a.nhs_number},2026-01-11,emergency",
    )
    client.post(CHECK, {"file": upload(data)})
    checked = AdmissionImport.objects.get()

    client.get(f"/reports/admissions/imports/{checked.pk}/")

    events = AccessEvent.objects.filter(what="admissions_import")
    assert sorted(e.patient_id for e in events) == sorted([a.pk, b.pk])
    assert {(e.user_id, e.role, e.channel, e.outcome) for e in events} == {
        (user.pk, "chair", "page", "allowed")
    }
    assert not AccessEvent.objects.filter(patient=c).exists()

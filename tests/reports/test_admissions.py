"""Hospital admissions: one entered by hand, and a hospital CSV checked row by row (each bad
row by its line number) and imported only when the user decides; good, bad and mixed files,
duplicates, other networks, the file's limits, a double click, who may do it, the access
trail, and a check whose query count does not grow with the file."""

import datetime
import html
import re
import threading

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AccessEvent
from core import nhs_number
from core.errors import Conflict, NotAllowed
from networks.roles import Role
from reports import admissions
from reports.admissions import (
    admission_record,
    admissions_check,
    admissions_discard,
    admissions_import,
)
from reports.models import AdmissionEvent, AdmissionImport
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    """The London day when the test runs (not when the module was imported)."""
    return timezone.localdate()


PAGE = "/reports/admissions/"
CHECK = "/reports/admissions/check/"
HX = {"HX-Request": "true"}


def text(response) -> str:
    """The page's text: tags removed, spaces collapsed."""
    words = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(words)).replace(" .", ".").replace(" :", ":")


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def csv_bytes(*rows: str, header: str = "nhs_number,admitted_on,kind") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def upload(data: bytes, name: str = "feed.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def spaced(number: str) -> str:
    return nhs_number.display(number)


@pytest.fixture
def people(network):
    """Three people in the network, born in 1940."""
    born = datetime.date(1940, 5, 1)
    return [
        PatientFactory(network=network, given_name=g, family_name="Okafor", date_of_birth=born)
        for g in ("Edith", "Amos", "Ruth")
    ]


@pytest.fixture
def chair(member):
    return member("chair")


@pytest.fixture
def login(client, member):
    def make(role="chair", net=None):
        user = member(role, net=net)
        client.force_login(user)
        return user

    return make


def check(network, user, data: bytes, filename="feed.csv") -> AdmissionImport:
    return admissions_check(network=network, filename=filename, data=data, by=user)


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
    assert response.status_code == 400
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
    assert response.status_code == 400
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
    assert response.status_code == 400
    assert "is not UTF-8 text" in text(response)
    assert "There is a problem: nothing has been saved" in text(response)

    response = client.post(CHECK, {"file": upload(b"x" * (admissions.MAX_BYTES + 1))})
    assert response.status_code == 400
    assert "larger than 5 MB" in text(response)

    response = client.post(CHECK, {})
    assert response.status_code == 400
    assert "Choose a CSV file to check." in text(response)

    # htmx: the upload card alone, to swap in place of the form.
    response = client.post(CHECK, {"file": upload(b"a;b;c\n")}, headers=HX)
    assert response.status_code == 400
    assert response.content.decode().lstrip().startswith('<section class="card" id="upload"')
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


# --- by hand --------------------------------------------------------------------------------------


def test_manual_entry_records_one_admission(client, login, network, people):
    user = login("integrated_manager")
    a = people[0]

    response = client.post(
        PAGE, {"nhs_number": spaced(a.nhs_number), "admitted_on": "2026-02-03", "kind": "emergency"}
    )

    assert response.status_code == 302
    assert message_texts(response) == [
        f"Emergency admission on 3 Feb 2026 recorded for Edith Okafor ({spaced(a.nhs_number)})."
    ]
    event = AdmissionEvent.objects.get()
    assert (event.patient, event.admitted_on, event.kind) == (
        a,
        datetime.date(2026, 2, 3),
        "emergency",
    )
    assert event.source == "manual" and event.recorded_by == user and event.network == network
    assert AccessEvent.objects.filter(patient=a, what="admission_record").count() == 1


def test_manual_entry_accepts_dd_mm_yyyy(client, login, people):
    login("chair")
    response = client.post(
        PAGE, {"nhs_number": people[0].nhs_number, "admitted_on": "03/02/2026", "kind": "elective"}
    )
    assert response.status_code == 302
    assert AdmissionEvent.objects.get().admitted_on == datetime.date(2026, 2, 3)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"nhs_number": "", "admitted_on": "", "kind": ""}, "nhs_number", "Enter the person's"),
        ({"nhs_number": "943 476 5918"}, "nhs_number", "the check digit does not match"),
        ({"nhs_number": "12"}, "nhs_number", "An NHS number has 10 digits"),
        ({"nhs_number": "unknown"}, "nhs_number", "No one with NHS number"),
        ({"nhs_number": "foreign"}, "nhs_number", "No one with NHS number"),
        ({"admitted_on": "2026-02-30"}, "admitted_on", "Enter a real date"),
        ({"admitted_on": "future"}, "admitted_on", "is in the future"),
        ({"admitted_on": "1930-01-01"}, "admitted_on", "before the person's date of birth"),
        ({"kind": "daycase"}, "kind", "Select a valid choice"),
    ],
    ids=[
        "empty",
        "checksum",
        "short",
        "unknown",
        "other network",
        "bad date",
        "future",
        "before birth",
        "kind",
    ],
)
def test_manual_entry_errors_save_nothing(
    client, login, people, foreign_patient, data, field, message
):
    login("chair")
    post = {"nhs_number": people[0].nhs_number, "admitted_on": "2026-02-03", "kind": "emergency"}
    post.update(data)
    if post["nhs_number"] == "unknown":
        post["nhs_number"] = nhs_number.synthetic(777_002)
    if post["nhs_number"] == "foreign":
        post["nhs_number"] = foreign_patient.nhs_number
    if post["admitted_on"] == "future":
        post["admitted_on"] = (today() + datetime.timedelta(days=1)).isoformat()

    response = client.post(PAGE, post)

    assert response.status_code == 400
    errors = response.context["manual_form"].errors
    assert message in " ".join(errors[field])
    assert "There is a problem: nothing has been saved" in text(response)
    assert not AdmissionEvent.objects.exists()
    assert foreign_patient.full_name not in text(response)


def test_manual_duplicate_is_a_clear_conflict(client, login, people):
    login("chair")
    post = {"nhs_number": people[0].nhs_number, "admitted_on": "2026-02-03", "kind": "emergency"}
    client.post(PAGE, post)

    response = client.post(PAGE, post)

    assert response.status_code == 409
    assert "An emergency admission on 3 Feb 2026 is already recorded for Edith Okafor." in text(
        response
    )
    assert AdmissionEvent.objects.count() == 1
    # Both answers named the person.
    assert AccessEvent.objects.filter(patient=people[0], what="admission_record").count() == 2


def test_services_refuse_roles_that_do_not_record_admissions(network, people, member):
    gp, manager = member("gp"), member("manager")
    with pytest.raises(NotAllowed):
        admission_record(patient=people[0], admitted_on=today(), kind="emergency", by=gp)
    with pytest.raises(NotAllowed):
        check(network, manager, csv_bytes(f"{people[0].nhs_number},2026-01-10,emergency"))
    assert not AdmissionEvent.objects.exists() and not AdmissionImport.objects.exists()


# --- who may do it: every role, and anonymous ----------------------------------------------------

ALLOWED = {Role.CHAIR.value, Role.INTEGRATED_MANAGER.value}


@pytest.fixture
def imports(network, other_network, people, member):
    """A checked file in this network, and one in another network."""
    here = check(network, member("chair"), csv_bytes(f"{people[0].nhs_number},2026-01-10,elective"))
    there_person = PatientFactory(network=other_network)
    there = check(
        other_network,
        member("chair", net=other_network, username="chair.elsewhere"),
        csv_bytes(f"{there_person.nhs_number},2026-01-10,elective"),
    )
    return here, there


def _requests(here, there, people):
    manual = {"nhs_number": people[1].nhs_number, "admitted_on": "2026-01-05", "kind": "emergency"}
    return [
        ("page", "get", PAGE, None, 200),
        ("manual", "post", PAGE, manual, 302),
        ("check", "post", CHECK, "file", 302),
        ("result", "get", f"/reports/admissions/imports/{here.pk}/", None, 200),
        ("import", "post", f"/reports/admissions/imports/{here.pk}/import/", None, 302),
        ("discard", "post", f"/reports/admissions/imports/{here.pk}/discard/", None, 302),
        ("foreign result", "get", f"/reports/admissions/imports/{there.pk}/", None, 404),
        ("foreign import", "post", f"/reports/admissions/imports/{there.pk}/import/", None, 404),
        ("foreign discard", "post", f"/reports/admissions/imports/{there.pk}/discard/", None, 404),
    ]


def _send(client, method, url, body, people):
    if body == "file":
        body = {"file": upload(csv_bytes(f"{people[2].nhs_number},2026-01-07,emergency"))}
    return getattr(client, method)(url, body or {})


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_role_matrix(client, member, role, imports, people):
    here, there = imports
    client.force_login(member(role))
    for name, method, url, body, allowed_status in _requests(here, there, people):
        if name == "discard":  # import decided the file just before
            allowed_status = 409
        expected = allowed_status if role in ALLOWED or allowed_status == 404 else 403
        response = _send(client, method, url, body, people)
        assert response.status_code == expected, (role, name, response.status_code)
    if role not in ALLOWED:
        assert not AdmissionEvent.objects.exists()
        assert AdmissionImport.objects.count() == 2


def test_role_matrix_anonymous(client, imports, people):
    here, there = imports
    for _name, method, url, body, _ in _requests(here, there, people):
        response = _send(client, method, url, body, people)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert not AdmissionEvent.objects.exists()


def test_wrong_methods(client, login):
    login("chair")
    assert client.get(CHECK).status_code == 405
    assert client.get("/reports/admissions/imports/1/import/").status_code == 405
    assert client.put(PAGE).status_code == 405


def test_manager_is_told_why(client, login):
    login("manager")
    response = client.get(PAGE)
    assert response.status_code == 403
    assert "recorded by the chair and the integrated manager" in text(response)


def test_chair_of_another_network_only_is_refused_here(client, member, network, other_network):
    """A gp here who chairs elsewhere: the page follows the current network's role."""
    user = member("gp")
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, network=other_network, role="chair")
    client.force_login(user)
    session = client.session
    session["icn_network"] = network.slug
    session.save()
    assert client.get(PAGE).status_code == 403
    session["icn_network"] = other_network.slug
    session.save()
    assert client.get(PAGE).status_code == 200


def test_page_lists_recent_imports_with_status(client, login, network, people):
    user = login("chair")
    check(network, user, csv_bytes(f"{people[0].nhs_number},2026-01-10,elective"), "jan.csv")
    done = check(network, user, csv_bytes(f"{people[1].nhs_number},2026-01-10,elective"), "feb.csv")
    admissions_import(admission_import=done, by=user, include_good_rows_only=False)

    body = text(client.get(PAGE))

    assert "jan.csv" in body and "Waiting for a decision" in body
    assert "feb.csv" in body and "Imported" in body
    assert timezone.localdate().strftime("%Y") in body

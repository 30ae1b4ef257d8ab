"""Dispensing CSV uploads that are too large or cannot be read: the API (400) and the page (422)
refuse each with the same message naming the line, never a 500, never a file cut short, and
nothing is saved."""

import datetime
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from medicines.models import Supply
from medicines.services import SUPPLY_CSV_MAX_BYTES, medication_add
from referrals.models import Referral

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]

UPLOAD = "/api/v1/supplies/upload/"
HEADER = b"medicine,dispensed_on,quantity\n"
DAY = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
GOOD = f"Amlodipine,{DAY},28\n".encode()

BAD = {
    "extra column": (
        HEADER + GOOD + f"Amlodipine,{DAY},28,repeat\n".encode(),
        "Line 3: 4 values, but the first row names 3 columns.",
    ),
    "field over the csv module's limit": (
        HEADER + GOOD + b"A" * 140_000 + f",{DAY},28\n".encode(),
        "Line 3: this line cannot be read as CSV (field larger than field limit (131072)).",
    ),
    "NUL byte": (
        HEADER + GOOD + f"Amlo\x00dipine,{DAY},28\n".encode(),
        "Line 3: a NUL character (0x00): this is not a CSV text file.",
    ),
    "impossible date": (
        HEADER + b"Amlodipine,2025-02-30,28\n",
        "Line 2: '2025-02-30' is not a date (use YYYY-MM-DD or DD/MM/YYYY)",
    ),
    "date before 1900": (
        HEADER + b"Amlodipine,1899-12-31,28\n",
        "Line 2: the dispensing date is before 1900",
    ),
    "negative quantity": (
        HEADER + f"Amlodipine,{DAY},-28\n".encode(),
        "Line 2: the quantity must be a positive number",
    ),
    "quantity not a number": (
        HEADER + f"Amlodipine,{DAY},twenty\n".encode(),
        "Line 2: 'twenty' is not a quantity",
    ),
    "quantity with 3 decimal places": (
        HEADER + GOOD + f"Amlodipine,{DAY},1.005\n".encode(),
        "Line 3: the quantity has more than 2 decimal places",
    ),
    "medicine over two lines": (
        HEADER + f'"Amlodipine\n5 mg",{DAY},28\n'.encode(),
        "Line 3: the medicine name must be on a single line (no line breaks)",
    ),
    "no header": (
        GOOD,
        "Line 1: the first row must name the columns medicine, dispensed_on, quantity.",
    ),
    "header only": (HEADER, "Line 2: there are no dispensings under the first row."),
    "empty file": (b"", "Line 1: the file is empty."),
    "blank lines only": (b"\r\n\r\n", "Line 1: the file is empty."),
    "not UTF-8": (
        HEADER + GOOD + "K\u00f6ln tablets,2025-01-02,28\n".encode("latin-1"),
        "Line 3: the file is not UTF-8 text (save it as CSV UTF-8).",
    ),
}


@pytest.fixture
def pharmacist(member, patient):
    user = member("pharmacist")
    medication_add(
        patient=patient, by=user, name="Amlodipine", dose_amount=1, frequency="once_daily"
    )
    return user


def api_upload(api, user, patient, content: bytes):
    return api(user).post(
        UPLOAD,
        {"patient": patient.pk, "file": SimpleUploadedFile("d.csv", content, "text/csv")},
        format="multipart",
    )


def page_upload(client, user, patient, content: bytes):
    client.force_login(user)
    return client.post(
        f"/medicines/patients/{patient.pk}/dispensing/",
        {"form": "csv", "file": SimpleUploadedFile("d.csv", content, "text/csv")},
    )


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("case", BAD)
def test_a_bad_csv_is_400_naming_the_line_on_the_api_and_nothing_is_saved(
    api, pharmacist, patient, case
):
    content, message = BAD[case]
    response = api_upload(api, pharmacist, patient, content)
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"file": [message]}
    assert not Supply.objects.exists() and not Referral.objects.exists()


@pytest.mark.parametrize("case", BAD)
def test_a_bad_csv_is_422_naming_the_line_on_the_page_and_nothing_is_saved(
    client, pharmacist, patient, case
):
    content, message = BAD[case]
    response = page_upload(client, pharmacist, patient, content)
    assert response.status_code == 422
    assert message in page_text(response)
    assert not Supply.objects.exists() and not Referral.objects.exists()


def at_size(size: int) -> bytes:
    """A CSV of exactly `size` bytes whose last row, the one a cut would lose, has 112."""
    last = f"Amlodipine,{DAY},112\n".encode()
    return HEADER + b"\n" * (size - len(HEADER) - len(last)) + last


def test_a_csv_of_exactly_the_limit_is_read_to_its_last_byte(api, pharmacist, patient):
    response = api_upload(api, pharmacist, patient, at_size(SUPPLY_CSV_MAX_BYTES))
    assert response.status_code == 201, response.content[:300]
    assert [s["quantity"] for s in response.json()["added"]] == ["112.00"]


def test_a_csv_over_the_limit_is_refused_whole_never_cut(api, client, pharmacist, patient):
    """The API used to read the first 2,000,000 bytes and save what they held: 112 became 11
    and the last row was lost. Now a file over the limit is refused, naming the limit."""
    message = "The file is larger than 1,000,000 bytes: split it into smaller files."
    for size in (SUPPLY_CSV_MAX_BYTES + 1, 2_000_003):
        content = at_size(size)
        response = api_upload(api, pharmacist, patient, content)
        assert response.status_code == 400 and response.json() == {"file": [message]}
        page = page_upload(client, pharmacist, patient, content)
        assert page.status_code == 422 and message in page_text(page)
    assert not Supply.objects.exists()


def test_the_limit_is_in_the_openapi_description():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/supplies/upload/"]["post"]
    assert "at most 1,000,000 bytes" in operation["description"]
    assert "never cut short" in operation["description"]

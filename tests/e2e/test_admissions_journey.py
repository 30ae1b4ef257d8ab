"""Browser journey: a chair uploads a hospital CSV with good and bad rows, sees the upload's
progress and the bad rows by line number, chooses to import the good rows only, and sees the
count (headless Debian Chromium; screenshots at 1280 and 375 wide)."""

import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.nhs_number import display, synthetic
from reports.models import AdmissionEvent, AdmissionImport
from tests.e2e.pages import fits_the_screen, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
DOROTHY, ERROL, PURBECK_PERSON = synthetic(410_101), synthetic(410_202), synthetic(520_111)


def test_chair_imports_the_good_rows_of_a_mixed_file(page: Page, demo):
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    logs: list[str] = []
    page.on("console", lambda m: (errors if m.type == "error" else logs).append(m.text))
    page.set_viewport_size({"width": 1280, "height": 900})
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    feed = (
        "nhs_number,admitted_on,kind,ward\r\n"
        f"{display(DOROTHY)},2026-10-01,emergency,A1\r\n"  # line 2: good
        f"{PURBECK_PERSON},2026-10-02,emergency,A1\r\n"  # line 3: another network's person
        f"{ERROL},15/10/2026,Non-Elective,B2\r\n"  # line 4: good
        f"{ERROL},{future},elective,B2\r\n"  # line 5: in the future
    ).encode()

    before = AdmissionEvent.objects.count()
    log_in(page, demo, "chair.thornton-heath")
    page.goto(f"{demo}/reports/admissions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hospital admissions")
    page.screenshot(path=str(SHOTS / "admissions-page-1280.png"), full_page=True)
    page.evaluate(
        """document.addEventListener("htmx:xhr:progress", function () {
             console.log("upload: " + document.querySelector("[data-upload-status]").textContent);
           });"""
    )

    # A file that cannot be read: the upload card shows why, in place.
    page.get_by_label("Hospital CSV file").set_input_files(
        {"name": "export.csv", "mimeType": "text/csv", "buffer": b"nhs_number;admitted_on;kind\n"}
    )
    page.get_by_role("button", name="Check file").click()
    expect(page.locator("#upload").get_by_role("alert")).to_contain_text("separated by semicolons")
    expect(page).to_have_url(f"{demo}/reports/admissions/")
    page.screenshot(path=str(SHOTS / "admissions-upload-error-1280.png"), full_page=True)

    page.get_by_label("Hospital CSV file").set_input_files(
        {"name": "cuh-october.csv", "mimeType": "text/csv", "buffer": feed}
    )
    page.get_by_role("button", name="Check file").click()

    expect(page).to_have_url(re.compile(r"/reports/admissions/imports/\d+/$"))
    assert any("Checking every row" in line for line in logs), logs
    expect(page.get_by_role("heading", level=1)).to_have_text("Checked: cuh-october.csv")
    expect(page.locator("#summary")).to_contain_text(
        "4 rows: 2 good, 2 with errors, 0 already recorded."
    )
    bad = page.locator("#bad-rows")
    expect(bad.get_by_role("row", name=re.compile("Line 3"))).to_contain_text(
        f"No one with NHS number {display(PURBECK_PERSON)} in Thornton Heath."
    )
    expect(bad.get_by_role("row", name=re.compile("Line 5"))).to_contain_text("is in the future")
    expect(page.locator("#good-rows")).to_contain_text("Dorothy Pearce")
    # Nothing saved until a button is pressed (the demo has admissions of its own).
    assert AdmissionEvent.objects.count() == before
    page.screenshot(path=str(SHOTS / "admissions-check-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 740})
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "admissions-check-375.png"), full_page=True)

    page.get_by_role("button", name="Import the 2 good rows only").click()

    expect(page.locator("#messages")).to_contain_text(
        "Imported 2 admissions. 2 rows with errors were not imported."
    )
    expect(page.get_by_role("button", name=re.compile("Import"))).to_have_count(0)
    assert fits_the_screen(page)
    page.screenshot(path=str(SHOTS / "admissions-imported-375.png"), full_page=True)
    page.goto(f"{demo}/reports/admissions/")
    expect(page.locator("#imports")).to_contain_text("cuh-october.csv")
    page.screenshot(path=str(SHOTS / "admissions-page-375.png"), full_page=True)

    events = AdmissionEvent.objects.filter(source="import").order_by("admitted_on")
    assert AdmissionEvent.objects.count() == before + 2
    assert [(e.patient.nhs_number, e.admitted_on, e.kind) for e in events] == [
        (DOROTHY, datetime.date(2026, 10, 1), "emergency"),
        (ERROL, datetime.date(2026, 10, 15), "emergency"),
    ]
    assert AdmissionImport.objects.get().status == "imported"
    assert not [e for e in errors if "Content Security Policy" in e], errors

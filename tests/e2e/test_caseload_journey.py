"""Browser journey (issue #14.6): a pharmacist filters and sorts the people list, then
reallocates a care-home resident on My day and sees them under "mine"."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.pages import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pharmacist_filters_the_caseload_and_allocates_a_resident(page: Page, demo):
    log_in(page, demo, "pharmacist.thornton-heath")
    expect(page).to_have_url(re.compile(r"/medicines/my-day/$"))  # pharmacy starts on My day
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page).to_have_url(re.compile(r"/patients/$"))
    page.get_by_text("Filter the list").click()
    page.get_by_label(re.compile("^Frailty")).select_option("severe")
    page.get_by_role("button", name="Filter", exact=True).click()
    results = page.locator("#results")
    expect(results).to_contain_text("PEARCE")
    expect(results).to_contain_text("BECKETT")
    expect(results).not_to_contain_text("BAPTISTE")
    expect(page.locator("th", has_text="Admissions (12 months)")).to_be_visible()

    page.get_by_role("link", name=re.compile("^Name")).click()
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("Name")
    expect(page).to_have_url(re.compile(r"frailty=severe"))
    names = results.locator('th[data-label="Name"]').all_inner_texts()
    assert names == sorted(names, reverse=True)

    page.goto(f"{demo}/medicines/my-day/")
    resident = page.locator("li.day-list__item", has_text="Gloria Baptiste")
    expect(resident).to_contain_text("Allocated to Kelly Osei")
    expect(resident).to_contain_text("Swallowing difficulty")
    resident.get_by_label(re.compile("Allocate Gloria Baptiste to")).select_option(
        label="Amira Haddad (pharmacist)"
    )
    resident.get_by_role("button", name=re.compile("Reallocate")).click()
    expect(page.locator("#messages")).to_contain_text(
        "Gloria Baptiste is allocated to Amira Haddad."
    )
    page.get_by_role("link", name="Show only the residents allocated to me").click()
    homes = page.locator("#care-homes")
    expect(homes).to_contain_text("Gloria Baptiste")
    expect(page.locator("#care-caseloads")).to_contain_text("Amira Haddad")

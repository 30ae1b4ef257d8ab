"""The header's navigation offers each role only pages that role may open: every link in the
main navigation answers (200, or a redirect to a page of the app), never 403 or 404."""

import re

import pytest

from networks.roles import Role

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav class="nhsuk-header__navigation" aria-label="Main">(.*?)</nav>', re.S)
LINK = re.compile(r'class="nhsuk-header__navigation-link" href="([^"]+)"')


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_navigation_link_opens_for_the_role(client, member, role):
    client.force_login(member(role))
    page = client.get("/patients/" if role == "care_home_staff" else "/accounts/security/")
    assert page.status_code == 200, page.status_code
    nav = NAV.search(page.content.decode())
    assert nav, "no main navigation"
    links = LINK.findall(nav.group(1))
    assert links or role == "partner_system"  # an API account has no pages to go to
    for href in links:
        response = client.get(href)
        assert response.status_code in (200, 302), (role, href, response.status_code)

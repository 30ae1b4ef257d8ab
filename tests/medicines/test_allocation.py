"""Care-home residents allocated to named pharmacists and technicians (issue #14.6): the
medicines lead (a pharmacist) or the chair allocates and reallocates on My day, with row
history; each member's caseload count; "mine" shows a member their residents; other roles
are refused and a bad choice saves nothing."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from medicines.models import ResidentAllocation
from medicines.services import NOT_A_RESIDENT, NOT_ALLOCATABLE, resident_allocate
from networks.models import Membership
from tests.factories import OrganisationFactory, PatientFactory

from .helpers import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(network):
    home = OrganisationFactory(kind="care_home", name="Beulah Court")
    network.care_homes.add(home)
    return home


def resident(network, home, name="Resident", **fields):
    return PatientFactory(network=network, care_home=home, family_name=name, **fields)


def staff(member, role, username):
    user = member(role, username=username)
    user.first_name, user.last_name = username.title(), "Staff"
    user.save()
    return Membership.objects.get(user=user)


def test_the_lead_allocates_and_reallocates_with_history(member, network, home):
    lead = member("pharmacist")
    tech = staff(member, "pharmacy_technician", "tina")
    pharm = staff(member, "pharmacist", "paul")
    person = resident(network, home)
    first = resident_allocate(patient=person, member_id=tech.pk, by=lead)
    assert first.member == tech and first.allocated_by == lead
    again = resident_allocate(patient=person, member_id=pharm.pk, by=member("chair"))
    assert again.pk == first.pk and ResidentAllocation.objects.get().member == pharm
    history = list(first.events.order_by("pgh_id").values_list("member_id", "pgh_context"))
    assert [member_id for member_id, _ in history] == [tech.pk, pharm.pk]
    assert all(context for _, context in history)


@pytest.mark.parametrize("role", ["pharmacy_technician", "gp", "community_nurse", "pic"])
def test_other_roles_may_not_allocate(member, network, home, role):
    tech = staff(member, "pharmacy_technician", "tina")
    with pytest.raises(PermissionDenied):
        resident_allocate(patient=resident(network, home), member_id=tech.pk, by=member(role))
    assert not ResidentAllocation.objects.exists()


def test_a_member_who_is_not_a_pharmacist_or_technician_here_is_refused(
    member, network, other_network, home
):
    lead = member("pharmacist")
    person = resident(network, home)
    nurse = staff(member, "community_nurse", "nina")
    elsewhere = Membership.objects.get(
        user=member("pharmacist", net=other_network, username="pharm.purbeck")
    )
    for member_id in (nurse.pk, elsewhere.pk, None, 999999):
        with pytest.raises(ValidationError) as caught:
            resident_allocate(patient=person, member_id=member_id, by=lead)
        assert caught.value.message_dict == {"member": [NOT_ALLOCATABLE]}
    at_home = PatientFactory(network=network, care_home=None)
    tech = staff(member, "pharmacy_technician", "tina")
    with pytest.raises(ValidationError) as caught:
        resident_allocate(patient=at_home, member_id=tech.pk, by=lead)
    assert caught.value.message_dict == {"member": [NOT_A_RESIDENT]}
    assert not ResidentAllocation.objects.exists()


def test_my_day_allocates_counts_and_filters_mine(client, login, member, network, home):
    tech = staff(member, "pharmacy_technician", "tina")
    staff(member, "pharmacist", "paul")
    ann = resident(network, home, "Annresident", care_needs=["swallowing"])
    resident(network, home, "Bobresident", care_needs=["swallowing"])
    login("pharmacist")
    response = client.post(f"/medicines/patients/{ann.pk}/allocate/", {"member": tech.pk})
    assert response.status_code == 302 and response["Location"].endswith("#care-homes")
    page = text(client.get("/medicines/my-day/"))
    assert "Allocated to <strong>Tina Staff</strong> (pharmacy technician)" in page
    caseloads = page[page.index('id="care-caseloads"') :]
    caseloads = caseloads[: caseloads.index("</table>")]
    cells = re.sub(r"<(t[hd])[^>]*>", r"<\1>", caseloads)  # the cells, whatever their classes
    assert "<th>Tina Staff</th><td>Pharmacy technician</td><td>1</td>" in cells
    assert "<th>Paul Staff</th><td>Pharmacist</td><td>0</td>" in cells
    assert "Reallocate" in page and "Allocate<span" in page
    client.force_login(tech.user)
    mine = text(client.get("/medicines/my-day/?care=mine"))
    homes = mine[mine.index('id="care-homes"') :]
    assert "Annresident" in homes and "Bobresident" not in homes
    assert "Reallocate" not in mine  # a technician does not allocate


def test_my_day_bad_choice_is_a_clear_error_and_nothing_saved(client, login, member, network, home):
    nurse = staff(member, "community_nurse", "nina")
    ann = resident(network, home, "Annresident", care_needs=["swallowing"])
    login("chair")
    response = client.post(f"/medicines/patients/{ann.pk}/allocate/", {"member": nurse.pk})
    assert response.status_code == 422
    assert NOT_ALLOCATABLE in text(response)
    response = client.post(f"/medicines/patients/{ann.pk}/allocate/", {"member": "x"})
    assert response.status_code == 422
    assert not ResidentAllocation.objects.exists()


def test_my_day_refuses_other_roles_and_other_networks(
    client, login, member, network, home, foreign_patient
):
    tech = staff(member, "pharmacy_technician", "tina")
    ann = resident(network, home)
    login("gp")
    assert (
        client.post(f"/medicines/patients/{ann.pk}/allocate/", {"member": tech.pk}).status_code
        == 403
    )
    login("pharmacist")
    url = f"/medicines/patients/{foreign_patient.pk}/allocate/"
    assert client.post(url, {"member": tech.pk}).status_code == 404
    assert not ResidentAllocation.objects.exists()


def test_my_day_query_count_does_not_grow_with_allocations(
    client, login, member, network, home, django_assert_max_num_queries
):
    lead = login("pharmacist")
    tech = staff(member, "pharmacy_technician", "tina")
    for n in range(2):
        resident_allocate(patient=resident(network, home, f"R{n}"), member_id=tech.pk, by=lead)
    client.get("/medicines/my-day/")
    with django_assert_max_num_queries(40) as two:
        client.get("/medicines/my-day/")
    for n in range(2, 20):
        resident_allocate(patient=resident(network, home, f"R{n}"), member_id=tech.pk, by=lead)
    with django_assert_max_num_queries(len(two.captured_queries)):
        assert client.get("/medicines/my-day/").status_code == 200

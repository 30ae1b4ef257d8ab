"""Retention: people discharged more than RETENTION_YEARS ago are listed for the IG lead;
erasing one removes every row about them and leaves a tombstone in the trail."""

import datetime

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import CharField, Q, TextField
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AccessEvent
from governance.hashing import nhs_number_hash
from governance.models import Erasure, SubjectAccessRequest
from governance.walk import rows_about
from huddles.models import Episode
from patients.models import Patient
from referrals.models import Referral
from tests.factories import PatientFactory

from .people import hold_everything

pytestmark = pytest.mark.django_db
LIST = "/governance/retention/"


def _age(patient, years=9):
    """Move every date the retention rule reads `years` into the past."""
    then = timezone.now() - datetime.timedelta(days=365 * years + 3)
    Patient.objects.filter(pk=patient.pk).update(updated_at=then)
    Episode.objects.filter(patient=patient).update(opened_at=then, closed_at=then)
    Referral.objects.filter(patient=patient).update(created_at=then)
    Referral.objects.filter(patient=patient, closed_at__isnull=False).update(closed_at=then)
    from actions.models import Action
    from huddles.models import Meeting
    from medicines.models import Visit

    Meeting.objects.filter(items__patient=patient).update(starts_at=then)
    Visit.objects.filter(patient=patient).update(visited_at=then)
    Action.objects.filter(patient=patient).update(created_at=then)
    return then


@pytest.fixture
def ig(member):
    return member("ig_lead")


def test_the_list_shows_only_those_past_retention(client, ig, member, network):
    old = PatientFactory(network=network, family_name="Oldfield")
    recent = PatientFactory(network=network, family_name="Newman")
    still_referred = PatientFactory(network=network, family_name="Open")
    Referral.objects.create(
        network=network,
        patient=still_referred,
        service="gp",
        reason="x",
        referred_by=member("gp"),
    )
    for person in (old, still_referred):
        _age(person)
    hold_everything(recent, member("pharmacist"))
    client.force_login(ig)
    response = client.get(LIST)
    assert response.status_code == 200
    assert [p.pk for p in response.context["page"].object_list] == [old.pk]
    assert b"Oldfield" in response.content and b"Newman" not in response.content
    assert AccessEvent.objects.filter(user=ig, what="retention_review", patient=old).exists()


def test_the_list_query_count_is_constant(client, ig, network):
    client.force_login(ig)
    _age(PatientFactory(network=network))
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for _ in range(15):
        _age(PatientFactory(network=network))
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    assert len(one) == len(many)


def _text_columns(model):
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, CharField | TextField)]


def test_erasure_leaves_no_row_behind_and_a_tombstone(client, ig, member, network):
    pharmacist = member("pharmacist")
    person = PatientFactory(network=network, given_name="Zebedee", family_name="Quillfeather")
    hold_everything(person, pharmacist, n=2)
    other = PatientFactory(network=network)
    hold_everything(other, pharmacist)
    # A search for their number in someone's address bar is in the trail too.
    AccessEvent.objects.create(
        username="x",
        what="search",
        channel="page",
        outcome="allowed",
        path=f"/patients/?q={person.nhs_number}",
    )
    _age(person)
    client.force_login(ig)
    url = f"/governance/retention/{person.pk}/erase/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "", "confirm": "on"}).status_code == 422
    assert client.post(url, {"reason": "Past retention"}).status_code == 422  # not confirmed
    assert Patient.objects.filter(pk=person.pk).exists()

    response = client.post(url, {"reason": "Past retention, reviewed", "confirm": "on"})
    assert response.status_code == 302

    assert all(not qs.exists() for qs in rows_about(person.pk).values())
    # Independently of the walk: no column that is a foreign key to Patient holds their id...
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Patient:
                assert not model._base_manager.filter(**{field.attname: person.pk}).exists(), (
                    model._meta.label
                )
    # ... and no text column of a history, notification or trail table names them.
    copies = [m for m in apps.get_models() if hasattr(m, "pgh_tracked_model")]
    for model in [*copies, AccessEvent, apps.get_model("notifications", "Notification")]:
        for term in (person.nhs_number, "Quillfeather"):
            named = Q()
            for column in _text_columns(model):
                named |= Q(**{f"{column}__contains": term})
            assert not model._base_manager.filter(named).exists(), (model._meta.label, term)
    # The other person is untouched.
    assert all(qs.exists() for qs in rows_about(other.pk).values())

    tombstone = Erasure.objects.get()
    assert (tombstone.erased_by, tombstone.network, tombstone.reason) == (
        ig,
        network,
        "Past retention, reviewed",
    )
    assert tombstone.nhs_number_hash == nhs_number_hash(person.nhs_number)
    assert tombstone.rows_removed["patients.Patient"] == 1
    event = AccessEvent.objects.get(what="erasure")
    assert (event.user, event.network, event.patient_id) == (ig, network, None)
    assert event.patient_ref == f"erasure {tombstone.pk}"

    # A later request for the same number: not held, erased on that day.
    client.post(
        "/governance/subject-access/",
        {"nhs_number": person.nhs_number, "reference": "Second letter"},
    )
    assert SubjectAccessRequest.objects.get(reference="Second letter").patient is None
    answer = client.post(
        "/governance/subject-access/", {"nhs_number": person.nhs_number, "reference": "Again"}
    )
    assert b"was erased on" in answer.content


def test_the_tombstone_and_trail_stay_append_only(client, ig, network):
    from django.db import DatabaseError, transaction

    person = PatientFactory(network=network)
    _age(person)
    client.force_login(ig)
    client.post(f"/governance/retention/{person.pk}/erase/", {"reason": "R", "confirm": "on"})
    with pytest.raises(DatabaseError), transaction.atomic():
        Erasure.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessEvent.objects.all().delete()


def test_someone_not_due_cannot_be_erased(client, ig, patient):
    client.force_login(ig)
    url = f"/governance/retention/{patient.pk}/erase/"
    page = client.get(url)
    assert page.status_code == 200 and b"not past the retention period" in page.content
    assert client.post(url, {"reason": "R", "confirm": "on"}).status_code == 409
    assert Patient.objects.filter(pk=patient.pk).exists() and not Erasure.objects.exists()


def test_only_the_networks_ig_lead_erases(client, member, network, other_network):
    person = PatientFactory(network=network)
    _age(person)
    url = f"/governance/retention/{person.pk}/erase/"
    client.force_login(member("chair"))
    assert client.post(url, {"reason": "R", "confirm": "on"}).status_code == 403
    client.force_login(member("ig_lead", net=other_network, username="ig.purbeck"))
    assert client.post(url, {"reason": "R", "confirm": "on"}).status_code == 404
    assert Patient.objects.filter(pk=person.pk).exists()


def test_a_recent_meeting_discussion_keeps_them_off_the_list(client, ig, member, network):
    from huddles.models import AgendaItem, Meeting

    person = PatientFactory(network=network)
    _age(person)
    meeting = Meeting.objects.create(network=network, starts_at=timezone.now())
    AgendaItem.objects.create(meeting=meeting, patient=person, source="manual", reason="Why")
    client.force_login(ig)
    assert list(client.get(LIST).context["page"].object_list) == []

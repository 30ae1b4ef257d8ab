"""Every write is attributable (issue #13): the row history (django-pghistory) of what a
service writes names who did it, whether the service is called from a page, the API, a
command or a task; and what a Celery task writes names the system and the task."""

import datetime

import pytest
from django.utils import timezone

from actions.services import action_create, action_mark_done
from huddles.tasks import schedule_meetings
from networks.models import Membership
from networks.services import cover_end, cover_set, membership_deactivate
from patients.models import CareTeamMember, Patient
from patients.services import care_team_add, care_team_remove, patient_update
from referrals.models import Referral
from referrals.services import referral_accept, referral_create

pytestmark = pytest.mark.django_db


def context_of(model, pk, kind=None):
    """The pghistory context of the latest event row of one row (of one kind of event)."""
    events = model.pgh_event_model.objects.filter(pgh_obj_id=pk)
    if kind:
        events = events.filter(pgh_label=kind)
    event = events.select_related("pgh_context").latest("pgh_id")
    assert event.pgh_context is not None
    return event.pgh_context.metadata


def test_a_patient_edit_names_who_made_it(patient, member):
    nurse = member("community_nurse")
    patient_update(patient=patient, by=nurse, clinical_allowed=True, phone="020 7946 0000")
    context = context_of(Patient, patient.pk)
    assert context["user"] == nurse.pk and context["username"] == nurse.username


def test_a_referral_accepted_names_who_accepted_it(patient, member):
    gp, pharmacist = member("gp"), member("pharmacist")
    referral = referral_create(
        patient=patient, service="medicines_optimisation", reason="Confused", by=gp
    ).referral
    assert context_of(Referral, referral.pk)["user"] == gp.pk
    referral_accept(referral=referral, by=pharmacist)
    assert context_of(Referral, referral.pk)["user"] == pharmacist.pk


def test_removing_someone_from_a_care_team_names_who_removed_them(patient, member):
    gp, nurse = member("gp"), member("community_nurse")
    membership = Membership.objects.get(user=nurse)
    added = care_team_add(patient=patient, membership=membership, by=gp)
    pk = added.pk  # delete() forgets it
    care_team_remove(member=added, by=nurse)
    context = context_of(CareTeamMember, pk, kind="delete")
    assert context["user"] == nurse.pk


def test_deactivating_a_membership_and_ending_cover_name_who(network, member):
    manager, gp, nurse = member("integrated_manager"), member("gp"), member("community_nurse")
    today = timezone.localdate()
    cover = cover_set(
        network=network,
        member=gp,
        deputy=nurse,
        starts_on=today - datetime.timedelta(days=2),
        ends_on=today + datetime.timedelta(days=3),
        by=gp,
    )
    cover_end(cover=cover, by=gp)
    assert context_of(type(cover), cover.pk)["user"] == gp.pk
    membership = Membership.objects.get(user=nurse)
    membership_deactivate(membership=membership, by=manager)
    assert context_of(Membership, membership.pk)["user"] == manager.pk


def test_a_task_done_names_who_did_it(patient, member):
    gp, nurse = member("gp"), member("community_nurse")
    task = action_create(
        patient=patient, by=gp, title="Call", due_on=timezone.localdate(), assignee=nurse
    )
    action_mark_done(action=task, by=nurse)
    assert context_of(type(task), task.pk)["user"] == nurse.pk


def test_what_beat_writes_names_the_system_and_the_task(patient, member):
    """The beat task that schedules meetings puts an accepted MDT referral on the next
    agenda: that agenda item's history names the system, by way of the beat task."""
    from huddles.models import AgendaItem

    gp = member("gp")
    Referral.objects.create(  # accepted earlier, before any meeting was scheduled
        network=patient.network,
        patient=patient,
        service="mdt",
        reason="Falls",
        status=Referral.Status.ACCEPTED,
        referred_by=gp,
        triaged_at=timezone.now(),
        triaged_by=gp,
    )
    schedule_meetings()
    item = AgendaItem.objects.get(patient=patient)
    context = context_of(AgendaItem, item.pk)
    assert context["user"] is None
    assert context["username"] == "system" and context["via"] == "beat:schedule_meetings"

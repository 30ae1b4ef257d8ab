"""A person with rows in every table that can hold one about them (governance.walk), n of
each where a table may hold several."""

import datetime
from decimal import Decimal

from django.utils import timezone

from audit.models import BreakGlass
from audit.services import access_record
from careplans.models import CarePlan, CarePlanIntervention, CarePlanNeed
from governance.models import SubjectAccessRequest
from huddles.models import AgendaItem, Episode, Meeting
from medicines.models import (
    Intervention,
    Medication,
    MedicationImport,
    MedicationImportLine,
    MedicationReview,
    ResidentAllocation,
    Supply,
    Visit,
)
from networks.models import Membership
from notifications.services import notification_send
from patients.models import CareTeamMember, FrailtyAssessment, Goal
from referrals.models import PatientFlag, RedFlag, Referral
from reports.models import AdmissionEvent
from tests.factories import ActionFactory, MembershipFactory, UserFactory


def hold_everything(patient, by, n: int = 1):
    """Rows about `patient` in every table of the walk; `by` a member of its network. Each
    insert also writes its history row (pghistory tracks inserts)."""
    network = patient.network
    now = timezone.now()
    today = timezone.localdate()
    flags = list(RedFlag.objects.all()[:1])
    plan = CarePlan.objects.create(patient=patient, network=network, updated_by=by)
    ResidentAllocation.objects.create(
        patient=patient,
        member=Membership.objects.get(user=by, network=network),
        allocated_by=by,
        allocated_at=now,
    )
    # Accepted (since completed), and seen by the visits below: its first contact is kept
    # (reports.contact).
    Referral.objects.create(
        network=network,
        patient=patient,
        service="physiotherapy",
        reason="Falls",
        referred_by=by,
        status=Referral.Status.COMPLETED,
        triaged_at=now - datetime.timedelta(hours=1),
        triaged_by=by,
        closed_at=now,
    )
    for i in range(n):
        day = today - datetime.timedelta(days=i + 1)
        action = ActionFactory(patient=patient, network=network, title=f"Call {i}")
        meeting = Meeting.objects.create(
            network=network, starts_at=now + datetime.timedelta(days=i)
        )
        item = AgendaItem.objects.create(
            meeting=meeting, patient=patient, source="manual", reason="Why"
        )
        action.agenda_item = item
        action.save()
        referral = Referral.objects.create(
            network=network,
            patient=patient,
            service="social_services",
            reason="Needs help",
            referred_by=by,
            status=Referral.Status.WITHDRAWN,
            closed_at=now,
        )
        Episode.objects.create(
            patient=patient, network=network, referral=referral, opened_at=now, closed_at=now
        )
        medication = Medication.objects.create(
            patient=patient,
            name=f"Medicine {i}",
            dose_amount=Decimal(1),
            frequency="once_daily",
            created_by=by,
        )
        visit = Visit.objects.create(
            network=network,
            patient=patient,
            kind="home",
            visitor=by,
            visited_at=now,
            summary="Seen at home",
            follow_up_action=action,
        )
        Intervention.objects.create(visit=visit, kind="other", medication=medication)
        staged = MedicationImport.objects.create(
            network=network, patient=patient, channel="page", source_text="{}", created_by=by
        )
        MedicationImportLine.objects.create(
            medication_import=staged,
            position=0,
            name=f"Medicine {i}",
            match="differs",
            medication=medication,
            decision="take_theirs",
            decided_by=by,
            decided_at=now,
            result=medication,
        )
        MedicationReview.objects.create(
            patient=patient, reviewed_on=day, reviewer=by, outcome="no_change", visit=visit
        )
        Supply.objects.create(
            patient=patient,
            medicine=f"Medicine {i}",
            dispensed_on=day,
            quantity=28,
            created_by=by,
            medication=medication,
        )
        notification_send(
            recipient=by,
            kind="t",
            title=f"About them {i}",
            occurrence=f"g-{patient.pk}-{i}",
            patient=patient,
            network=network,
        )
        member = UserFactory()
        CareTeamMember.objects.create(
            patient=patient,
            membership=MembershipFactory(user=member, network=network, role="gp"),
            added_by=by,
        )
        FrailtyAssessment.objects.create(
            patient=patient, assessed_on=day, recorded_by=by, scale="cfs", cfs_score=5
        )
        Goal.objects.create(patient=patient, description="Walk", agreed_on=day, agreed_by=by)
        PatientFlag.objects.create(
            patient=patient,
            flag=flags[0],
            raised_from="patient",
            raised_by=by,
            referral=referral,
            resolved_at=now,
            resolved_by=by,
        )
        AdmissionEvent.objects.create(
            network=network, patient=patient, admitted_on=day, kind="emergency", recorded_by=by
        )
        CarePlanNeed.objects.create(plan=plan, domain="home", description="Stairs")
        CarePlanIntervention.objects.create(
            plan=plan, description="Rail", due_on=today, task=action, owner=by
        )
        SubjectAccessRequest.objects.create(
            requested_by=by,
            network=network,
            patient=patient,
            nhs_number_hash="x",
            reference=f"Letter {i}",
            channel="page",
        )
        access_record(user=by, patients=[patient], what="record", channel="page")
        BreakGlass.objects.create(
            expires_at=now + datetime.timedelta(hours=12),
            user=by,
            role="pharmacist",
            network=network,
            patient=patient,
            reason_code="vital_interests",
            reason="Fell at home",
        )
    return Membership.objects.get(user=by, network=network)

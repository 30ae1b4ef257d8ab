"""The world the access matrix (tests/test_access_matrix.py) runs in: one of everything a
role may or may not reach, built once for the module."""

from datetime import timedelta

import pytest
from django.utils import timezone

from networks.models import Cover
from notifications.services import notification_send
from reports.models import AdmissionImport
from tests.factories import ActionFactory, PatientFactory

pytestmark = pytest.mark.django_db


def build_networks_and_world():
    """The two networks, their people and the `world` (see build_world), from scratch: for
    the access matrix (in a transaction) and the accessibility tests (behind the live
    server). Returns {"network", "other_network", "patient", "foreign_patient", "world"}."""
    from referrals.catalogue import ensure_red_flags
    from reports.calendar import ensure_calendar

    from .conftest import member_maker
    from .factories import NetworkFactory

    ensure_red_flags()
    ensure_calendar()
    network = NetworkFactory(slug="thornton-heath", name="Thornton Heath", vocabulary="icn")
    other = NetworkFactory(
        slug="purbeck",
        name="Purbeck",
        vocabulary="hub",
        cadence="twice_weekly",
        meeting_weekdays=[0, 3],
    )
    patient = PatientFactory(network=network, given_name="Edith", family_name="Okafor")
    foreign = PatientFactory(network=other, given_name="Walter", family_name="Pike")
    return {
        "network": network,
        "other_network": other,
        "patient": patient,
        "foreign_patient": foreign,
        "world": build_world(network, other, patient, foreign, member_maker(network)),
    }


def build_world(network, other_network, patient, foreign_patient, member):
    from networks.models import Membership
    from patients.services import care_team_add, goal_add

    nurse = member("community_nurse", username="nurse.on.team")
    team = care_team_add(patient=patient, membership=Membership.objects.get(user=nurse), by=nurse)
    today = timezone.localdate()  # when the test runs, not when the module was imported
    from referrals.services import referral_accept, referral_create

    def refer(person, service, by):
        return referral_create(patient=person, service=service, reason="Why", by=by).referral

    outsider = member("social_worker", net=other_network, username="sw.purbeck.referrer")

    def raise_flag(person, code, by):
        from referrals.models import RedFlag
        from referrals.services import flag_raise

        flag = RedFlag.objects.get(code=code)
        return flag_raise(patient=person, flag=flag, by=by, raised_from="patient").flags[0]

    accepted = referral_accept(referral=refer(patient, "social_services", nurse), by=nurse)
    supported = PatientFactory(network=network, given_name="Supported")
    refer(supported, "pic", nurse)  # the PIC supports this person: their meeting item shows
    from huddles.services import agenda_add, guest_add, meetings_schedule, next_meeting
    from medicines.services import medication_add, medication_import_stage, visit_log
    from tests.medicines.gp_bundle import bundle, statement, text

    def stage_gp_list(person, by):
        data = bundle(person.nhs_number, statement("Amlodipine 5mg tablets", "319283006"))
        return medication_import_stage(
            patient=person, by=by, source_text=text(data), channel="page"
        )

    for net in (network, other_network):
        meetings_schedule(network=net)
    meeting = next_meeting(network)
    item = agenda_add(meeting=meeting, patient=patient, by=nurse, reason="Discuss")
    foreign_gp = member("gp", net=other_network, username="gp.purbeck.visitor")
    from audit.services import break_glass_record

    def break_glass(person, by):
        return break_glass_record(
            by=by, patient=person, reason_code="consent", reason="Asked", channel="page"
        ).pk

    gp_list = stage_gp_list(patient, nurse)
    foreign_gp_list = stage_gp_list(foreign_patient, foreign_gp)

    def webhook(net, owner):
        """A subscription of the network (made as data: the matrix asks who may manage it)."""
        from webhooks.models import Subscription

        return Subscription.objects.create(
            network=net,
            owner=owner,
            scope="network",
            url="http://127.0.0.1:9/hooks",
            events=["referral.created"],
            secret="whsec_" + "A" * 44,
        ).pk

    return {
        "wh": webhook(network, nurse),
        "fwh": webhook(other_network, outsider),
        "bg": break_glass(patient, nurse),  # for the IG lead's review
        "fbg": break_glass(foreign_patient, foreign_gp),
        "v": visit_log(patient=patient, by=nurse, kind="home", visited_at=timezone.now()).visit.pk,
        "fv": visit_log(
            patient=foreign_patient, by=foreign_gp, kind="home", visited_at=timezone.now()
        ).visit.pk,
        "m": medication_add(
            patient=patient, by=nurse, name="Ramipril", dose_amount=1, frequency="once_daily"
        ).pk,
        "h": meeting.pk,
        "hi": item.pk,
        "fh": next_meeting(other_network).pk,
        "i": item.pk,  # the same item, for the page rows (/meetings/<pk>/items/<item_id>/)
        "gu": guest_add(meeting=meeting, name="Pat Lodge", role="Care home manager", by=nurse).pk,
        "hp": agenda_add(
            meeting=meeting,
            patient=supported,
            by=nurse,
            reason="Lonely since her husband died",
        ).pk,
        "fi": agenda_add(
            meeting=next_meeting(other_network), patient=foreign_patient, by=outsider, reason="Why"
        ).pk,
        "p": patient.pk,
        "f": foreign_patient.pk,
        "gi": gp_list.pk,  # a GP medication list staged for the person
        "gl": gp_list.lines.get().pk,
        "fgi": foreign_gp_list.pk,
        # a GP list about the person, for the import endpoint (a body, not an id)
        "gp_list_body": bundle(patient.nhs_number, statement("Ramipril 5mg capsules", "318902004")),
        "t": ActionFactory(patient=patient, assignee_role="gp").pk,
        "ft": ActionFactory(patient=foreign_patient).pk,
        "c": team.pk,
        "ai": AdmissionImport.objects.create(
            network=network, filename="feed.csv", uploaded_by=nurse
        ).pk,
        "fai": AdmissionImport.objects.create(
            network=other_network, filename="feed.csv", uploaded_by=outsider
        ).pk,
        "g": goal_add(patient=patient, by=nurse, description="Walk").pk,
        "cv": Cover.objects.create(
            network=network,
            member=nurse,
            deputy=member("physiotherapist", username="physio.deputy"),
            starts_on=today,
            ends_on=today + timedelta(days=3),
            created_by=nurse,
        ).pk,
        "fcv": Cover.objects.create(
            network=other_network,
            member=foreign_gp,
            deputy=outsider,
            starts_on=today,
            ends_on=today,
            created_by=foreign_gp,
        ).pk,
        "on": notification_send(recipient=nurse, occurrence="n-other", kind="t", title="t").pk,
        "n": 0,  # the caller's own notification, made per role in the test
        "r": refer(patient, "medicines_optimisation", nurse).pk,
        "ra": accepted.pk,
        "fr": refer(foreign_patient, "medicines_optimisation", outsider).pk,
        "fl": raise_flag(patient, "no_heating", nurse).pk,
        **_governance_world(network, other_network, patient, foreign_patient, nurse, outsider),
        "ffl": raise_flag(foreign_patient, "no_heating", outsider).pk,
        # The matrix's commissioner's monthly report, and another commissioner's.
        "mr": _monthly_report(member("commissioner"), network).pk,
        "fmr": _monthly_report(
            member("commissioner", net=other_network, username="commissioner.purbeck"),
            other_network,
        ).pk,
    }


def _monthly_report(user, network):
    from reports.models import MonthlyReport

    month = timezone.localdate().replace(day=1)
    return MonthlyReport.objects.create(
        user=user, month=month, network_ids=[network.pk], pdf=b"%PDF-1.7", csv=b"month\r\n"
    )


def _governance_world(network, other_network, patient, foreign_patient, nurse, outsider):
    """A subject access request in each network, and a person past retention (RETENTION_YEARS:
    nothing about them for nine years), with a known NHS number for the request's body."""
    from core.nhs_number import synthetic
    from governance.models import SubjectAccessRequest
    from patients.models import Patient

    old = PatientFactory(network=network, nhs_number=synthetic(900), family_name="Longago")
    nine_years = timezone.now() - timedelta(days=365 * 9 + 3)
    Patient.objects.filter(pk=old.pk).update(updated_at=nine_years)

    def request(by, net, person):
        return SubjectAccessRequest.objects.create(
            requested_by=by, network=net, patient=person, reference="Letter", channel="page"
        ).pk

    return {
        "old": old.pk,
        "sar": request(nurse, network, patient),
        "fsar": request(outsider, other_network, foreign_patient),
    }

"""One example of each FHIR resource type, for the tests that walk the registry (the
access trail, the query counts, the round trip). A registered type without a maker here
fails tests/interop/test_trail_meta.py, so a new type cannot slip through.

MAKERS: resource type -> make(patient, member) -> the id of one resource of that type about
`patient`, readable by the chair of `patient`'s network.
"""

import datetime

from django.utils import timezone

from . import clinical


def _patient(patient, member):
    return str(patient.pk)


def _encounter(patient, member):
    return str(clinical.make_visit(patient, member("pharmacist")).pk)


def _observation(patient, member):
    return f"{clinical.make_visit(patient, member('pharmacist')).pk}-news2"


def _medication_statement(patient, member):
    return str(clinical.make_medication(patient, member("pharmacist")).pk)


def _care_plan(patient, member):
    return str(clinical.make_care_plan(patient, member("chair")).pk)


def referral(patient, member, **fields):
    from referrals.models import Referral

    values = {
        "network": patient.network,
        "patient": patient,
        "service": "physiotherapy",
        "reason": "Two falls in a month; unsteady on the stairs.",
        "referred_by": member("gp"),
        **fields,
    }
    return Referral.objects.create(**values)


def _service_request(patient, member):
    return str(referral(patient, member).pk)


def patient_flag(patient, member, code="fall", **fields):
    from referrals.models import PatientFlag, RedFlag

    return PatientFlag.objects.create(
        patient=patient,
        flag=RedFlag.objects.get(code=code),
        raised_from=PatientFlag.RaisedFrom.PATIENT,
        raised_by=member("gp"),
        **fields,
    )


def _flag(patient, member):
    return str(patient_flag(patient, member).pk)


def task(patient, member, **fields):
    from actions.models import Action

    values = {
        "network": patient.network,
        "patient": patient,
        "title": "Check the blister pack is being used",
        "assignee_role": "pharmacist",
        "due_on": timezone.localdate() + datetime.timedelta(days=7),
        "created_by": member("gp"),
        **fields,
    }
    return Action.objects.create(**values)


def _task(patient, member):
    return str(task(patient, member).pk)


def episode(patient, **fields):
    from huddles.models import Episode

    values = {
        "patient": patient,
        "network": patient.network,
        "opened_at": timezone.now() - datetime.timedelta(days=30),
        **fields,
    }
    return Episode.objects.create(**values)


def _episode(patient, member):
    return str(episode(patient).pk)


def care_team_member(patient, member, role="pharmacist", involvement=""):
    from patients.models import CareTeamMember

    user = member(role, net=patient.network)
    return CareTeamMember.objects.create(
        patient=patient,
        membership=user.memberships.get(network=patient.network),
        involvement=involvement,
        added_by=user,
    )


def _care_team(patient, member):
    care_team_member(patient, member, "pharmacist", "Medicines review")
    care_team_member(patient, member, "social_worker")
    return str(patient.pk)


MAKERS = {
    "Patient": _patient,
    "Encounter": _encounter,
    "Observation": _observation,
    "MedicationStatement": _medication_statement,
    "CarePlan": _care_plan,
    "CareTeam": _care_team,
    "EpisodeOfCare": _episode,
    "ServiceRequest": _service_request,
    "Flag": _flag,
    "Task": _task,
}

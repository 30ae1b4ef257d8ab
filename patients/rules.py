"""Who may do what to a person's record (django-rules). Objects are Patients or Networks."""

import rules

from networks.roles import CASEWORK_ROLES, CLINICAL_ROLES, TRAIL_ROLES, Role
from networks.selectors import membership_in, role_in

from .involvement import reads_clinical as reads_clinical_detail
from .models import Patient


def _network_id(obj) -> int | None:
    if obj is None:
        return None
    return getattr(obj, "network_id", None) or getattr(obj, "id", None)


def _role(user, obj) -> str | None:
    return role_in(user, _network_id(obj))


@rules.predicate
def does_casework(user, obj) -> bool:
    return _role(user, obj) in CASEWORK_ROLES


@rules.predicate
def cares_for_resident(user, obj) -> bool:
    """Care home staff: a resident of their own care home (obj a Patient), or, for a network
    (obj a Network), that they have residents to list there."""
    membership = membership_in(user, _network_id(obj))
    if membership is None or membership.role != Role.CARE_HOME_STAFF:
        return False
    if not hasattr(obj, "care_home_id"):  # a network: the list shows their residents only
        return True
    return obj.care_home_id is not None and obj.care_home_id == membership.care_home_id


@rules.predicate
def sees_clinical(user, obj) -> bool:
    """The role reads clinical detail at all (obj a person, a network, or a row of either)."""
    return _role(user, obj) in CLINICAL_ROLES


@rules.predicate
def reads_clinical(user, obj) -> bool:
    """The one clinical-read decision (patients.involvement): for a person, the role AND
    (involved, OR a live break-glass grant, OR the network does not require involvement);
    for a network (a list, a form that adds someone) the role, each person then decided on
    their own (clinical_patient_ids)."""
    if isinstance(obj, Patient) and obj.pk is not None:
        return reads_clinical_detail(user, obj)
    return _role(user, obj) in CLINICAL_ROLES


@rules.predicate
def oversees(user, obj) -> bool:
    return _role(user, obj) in TRAIL_ROLES


# Care home staff read and update (contact details, social needs, goals, red flags) their
# own home's residents only; nothing clinical, and they add nobody.
rules.add_perm("patients.view_patient", does_casework | cares_for_resident)
rules.add_perm("patients.add_patient", does_casework)  # obj: the network
rules.add_perm("patients.change_patient", does_casework | cares_for_resident)
rules.add_perm("patients.view_clinical", reads_clinical)
rules.add_perm("patients.change_clinical", reads_clinical)
# Breaking the glass is for roles that may read clinical detail at all (API.md 1.1: not the
# PIC, managers, care home staff); involvement and restriction then decide if they need to.
rules.add_perm("patients.break_glass", sees_clinical)
rules.add_perm("patients.record_consent", does_casework)
rules.add_perm("patients.change_care_team", does_casework)
rules.add_perm("patients.view_access_log", oversees)

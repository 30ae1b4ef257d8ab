import rules

from networks.roles import CASEWORK_ROLES, Role
from networks.selectors import active_memberships, role_in
from patients.rules import cares_for_resident

from .selectors import service_directory


@rules.predicate
def may_refer(user, patient) -> bool:
    """Casework roles refer people in their networks; so may a partner system's account."""
    role = role_in(user, patient.network_id)
    return role in CASEWORK_ROLES or role == Role.PARTNER_SYSTEM


@rules.predicate
def serves_the_service(user, referral) -> bool:
    role = role_in(user, referral.network_id)
    if role is None:
        return False
    if role == Role.CHAIR:
        return True
    # The membership's network object is shared by the whole request, so its cached service
    # directory is read once, however many referrals are checked.
    network = active_memberships(user)[referral.network_id].network
    return role in service_directory(network)[referral.service].serving_roles


@rules.predicate
def is_the_referrer(user, referral) -> bool:
    return referral.referred_by_id == user.pk and role_in(user, referral.network_id) is not None


# obj: the patient. Care home staff refer their own home's residents.
rules.add_perm("referrals.add_referral", may_refer | cares_for_resident)
rules.add_perm("referrals.triage_referral", serves_the_service)
rules.add_perm("referrals.withdraw_referral", is_the_referrer)

"""MDT roles and services: stable codes (API.md) with display labels."""

from django.db import models


class Role(models.TextChoices):
    CHAIR = "chair", "Chair"
    GP = "gp", "GP"
    PHARMACIST = "pharmacist", "Pharmacist"
    PHARMACY_TECHNICIAN = "pharmacy_technician", "Pharmacy technician"
    SOCIAL_WORKER = "social_worker", "Social worker"
    COMMUNITY_NURSE = "community_nurse", "Community nurse"
    COMMUNITY_MATRON = "community_matron", "Community matron"
    HOSPITAL_CONSULTANT = "hospital_consultant", "Hospital consultant"
    PIC = "pic", "Personal independence coordinator"
    OCCUPATIONAL_THERAPIST = "occupational_therapist", "Occupational therapist"
    PHYSIOTHERAPIST = "physiotherapist", "Physiotherapist"
    INTEGRATED_MANAGER = "integrated_manager", "Integrated manager"
    MANAGER = "manager", "Manager"
    IG_LEAD = "ig_lead", "Information governance lead"
    CARE_HOME_STAFF = "care_home_staff", "Care home staff"
    COMMISSIONER = "commissioner", "Commissioner"
    PARTNER_SYSTEM = "partner_system", "Partner system"


class Service(models.TextChoices):
    MDT = "mdt", "MDT"
    MEDICINES_OPTIMISATION = "medicines_optimisation", "Medicines optimisation"
    SOCIAL_SERVICES = "social_services", "Social services"
    PIC = "pic", "Personal independence coordination"
    OCCUPATIONAL_THERAPY = "occupational_therapy", "Occupational therapy"
    PHYSIOTHERAPY = "physiotherapy", "Physiotherapy"
    COMMUNITY_NURSING = "community_nursing", "Community nursing"
    GP = "gp", "GP"


# What each role may see of a person's record.
# "clinical": clinical notes, frailty and its history, why on the caseload, (later) observations
# and medicines. The voluntary-sector PIC supports the person socially and sees contact
# details, social needs and goals only; managers read reports and audit, not records.
CLINICAL_ROLES = frozenset(
    {
        Role.CHAIR,
        Role.GP,
        Role.PHARMACIST,
        Role.PHARMACY_TECHNICIAN,
        Role.SOCIAL_WORKER,
        Role.COMMUNITY_NURSE,
        Role.COMMUNITY_MATRON,
        Role.HOSPITAL_CONSULTANT,
        Role.OCCUPATIONAL_THERAPIST,
        Role.PHYSIOTHERAPIST,
        Role.INTEGRATED_MANAGER,
    }
)
# Roles that work with people's records (read and write).
CASEWORK_ROLES = CLINICAL_ROLES | {Role.PIC}
# Which roles serve which service by default; each network can change it (referrals admin).
DEFAULT_SERVING_ROLES: dict[str, tuple[str, ...]] = {
    Service.MDT: (Role.CHAIR,),
    Service.MEDICINES_OPTIMISATION: (Role.PHARMACIST, Role.PHARMACY_TECHNICIAN),
    Service.SOCIAL_SERVICES: (Role.SOCIAL_WORKER,),
    Service.PIC: (Role.PIC,),
    Service.OCCUPATIONAL_THERAPY: (Role.OCCUPATIONAL_THERAPIST,),
    Service.PHYSIOTHERAPY: (Role.PHYSIOTHERAPIST,),
    Service.COMMUNITY_NURSING: (Role.COMMUNITY_NURSE, Role.COMMUNITY_MATRON),
    Service.GP: (Role.GP,),
}
# Care home staff work with the residents of their own care home only (their membership names
# the home): contact details, social needs and goals, as the PIC, red flags and referrals; in
# none of the sets above, everything network-wide stays closed to them (patients.rules).
# Roles that open people's records at all (care home staff their own home's residents only).
RECORD_ROLES = CASEWORK_ROLES | {Role.CARE_HOME_STAFF}
# A partner system (a hospital discharge team's or GP system's account) may only create
# referrals in its network and read the ones it made: it is in none of the sets above.

# Roles that may see who looked at a record, and read reports.
OVERSIGHT_ROLES = frozenset({Role.CHAIR, Role.INTEGRATED_MANAGER, Role.MANAGER})

# Roles that read a network's access trail (who opened which record, refusals) and "who
# looked at this record": oversight, and the information governance lead, who opens no
# records and reads no reports.
TRAIL_ROLES = OVERSIGHT_ROLES | {Role.IG_LEAD}

# Roles that read a network's reports (figures, never the people behind them): oversight and
# the commissioner, who is given the networks they commission and opens no records.
REPORT_ROLES = OVERSIGHT_ROLES | {Role.COMMISSIONER}
# Roles that compare networks side by side: the commissioner (any networks they are given) and
# managers (who need two or more networks for a comparison to mean anything).
COMPARE_ROLES = frozenset({Role.COMMISSIONER, Role.INTEGRATED_MANAGER, Role.MANAGER})

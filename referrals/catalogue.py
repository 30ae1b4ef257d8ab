"""The red-flag catalogue that every installation starts with (API.md's codes and more).

The data migration and `seed_demo` add any code that is missing; neither changes a flag
that has been edited in the admin.

SNOMED CT codes (FHIR Flag.code, ServiceRequest.code) only where the concept is certain, each
checked against published value sets and terminology lists:
- fall: 161898004 |Falls (finding)|; pressure_damage: 399912005 |Pressure ulcer (disorder)|;
  memory_concerns: 386807006 |Memory impairment (finding)|; loneliness: 422650009 |Social
  isolation (finding)|.
- Left without a code (no concept found that says the same, rather than a near guess):
  the five medicines flags, no_heating, not_using_upstairs, sleeping_on_sofa,
  poor_nutrition (not malnutrition), transport_difficulty, carer_strain, self_neglect.
The admin may set or change a code; no migration overwrites one.
"""

FLAGS = [
    # code, label, category, routes_to, default urgency, SNOMED CT code ("" where none is sure)
    (
        "medicines_stockpile",
        "Stockpile of medicines",
        "medicines",
        "medicines_optimisation",
        "routine",
        "",
    ),
    (
        "expired_medicines",
        "Expired medicines in the home",
        "medicines",
        "medicines_optimisation",
        "routine",
        "",
    ),
    (
        "multiple_dispensing_dates",
        "Several dispensing dates for regular medicines",
        "medicines",
        "medicines_optimisation",
        "routine",
        "",
    ),
    (
        "medicines_running_out_unevenly",
        "Medicines running out before others",
        "medicines",
        "medicines_optimisation",
        "routine",
        "",
    ),
    (
        "cannot_manage_medicines",
        "Cannot identify or manage own medicines",
        "medicines",
        "medicines_optimisation",
        "urgent",
        "",
    ),
    ("no_heating", "Heating broken or not used", "home", "social_services", "urgent", ""),
    (
        "not_using_upstairs",
        "Not been upstairs for months",
        "home",
        "occupational_therapy",
        "routine",
        "",
    ),
    (
        "sleeping_on_sofa",
        "Sleeping on the sofa or in a chair",
        "home",
        "occupational_therapy",
        "routine",
        "",
    ),
    (
        "poor_nutrition",
        "Living on takeaways or not eating well",
        "daily_living",
        "social_services",
        "routine",
        "",
    ),
    ("loneliness", "Lonely or isolated", "social", "pic", "routine", "422650009"),
    (
        "transport_difficulty",
        "Getting lost or on the wrong bus; cannot get out",
        "social",
        "pic",
        "routine",
        "",
    ),
    ("fall", "Has fallen", "health", "physiotherapy", "routine", "161898004"),
    ("carer_strain", "Carer not coping", "social", "social_services", "routine", ""),
    ("self_neglect", "Signs of self-neglect", "daily_living", "social_services", "urgent", ""),
    ("memory_concerns", "New or worsening memory problems", "health", "gp", "routine", "386807006"),
    (
        "pressure_damage",
        "Red or broken skin from pressure",
        "health",
        "community_nursing",
        "urgent",
        "399912005",
    ),
]


def ensure_red_flags(model=None) -> None:
    """Insert the codes that are missing, in one statement."""
    if model is None:
        from .models import RedFlag as model
    has_snomed = any(f.name == "snomed_code" for f in model._meta.get_fields())
    model.objects.bulk_create(
        [
            model(
                code=code,
                label=label,
                category=category,
                routes_to=routes_to,
                default_urgency=urgency,
                active=True,
                # The migration that seeds the catalogue runs before the field exists.
                **({"snomed_code": snomed} if has_snomed else {}),
            )
            for code, label, category, routes_to, urgency, snomed in FLAGS
        ],
        ignore_conflicts=True,
    )


# The SNOMED CT procedure a referral to each built-in service asks for (FHIR
# ServiceRequest.code), set on a new network's services (referrals.services.network_created)
# and, by migration, on existing networks' where none was set. None for the MDT and community
# nursing: no "referral to" concept found that is certain.
SERVICE_SNOMED = {
    "medicines_optimisation": "306362008",  # Referral to pharmacist (procedure)
    "social_services": "308440001",  # Referral to social worker (procedure)
    "pic": "871731000000106",  # Referral to social prescribing service (UK extension)
    "occupational_therapy": "308453003",  # Referral to occupational therapist (procedure)
    "physiotherapy": "308447003",  # Referral to physiotherapist (procedure)
    "gp": "183561008",  # Referral to general practitioner (procedure)
}


def snomed_for_flags() -> dict[str, str]:
    """{red flag code: SNOMED CT code} for the catalogue's flags that have one."""
    return {code: snomed for code, *_rest, snomed in FLAGS if snomed}

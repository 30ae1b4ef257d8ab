"""The red-flag catalogue that every installation starts with (API.md's codes and more).

The data migration and `seed_demo` add any code that is missing; neither changes a flag
that has been edited in the admin."""

FLAGS = [
    # code, label, category, routes_to, default urgency
    (
        "medicines_stockpile",
        "Stockpile of medicines",
        "medicines",
        "medicines_optimisation",
        "routine",
    ),
    (
        "expired_medicines",
        "Expired medicines in the home",
        "medicines",
        "medicines_optimisation",
        "routine",
    ),
    (
        "multiple_dispensing_dates",
        "Several dispensing dates for regular medicines",
        "medicines",
        "medicines_optimisation",
        "routine",
    ),
    (
        "medicines_running_out_unevenly",
        "Medicines running out before others",
        "medicines",
        "medicines_optimisation",
        "routine",
    ),
    (
        "cannot_manage_medicines",
        "Cannot identify or manage own medicines",
        "medicines",
        "medicines_optimisation",
        "urgent",
    ),
    ("no_heating", "Heating broken or not used", "home", "social_services", "urgent"),
    (
        "not_using_upstairs",
        "Not been upstairs for months",
        "home",
        "occupational_therapy",
        "routine",
    ),
    (
        "sleeping_on_sofa",
        "Sleeping on the sofa or in a chair",
        "home",
        "occupational_therapy",
        "routine",
    ),
    (
        "poor_nutrition",
        "Living on takeaways or not eating well",
        "daily_living",
        "social_services",
        "routine",
    ),
    ("loneliness", "Lonely or isolated", "social", "pic", "routine"),
    (
        "transport_difficulty",
        "Getting lost or on the wrong bus; cannot get out",
        "social",
        "pic",
        "routine",
    ),
    ("fall", "Has fallen", "health", "physiotherapy", "routine"),
    ("carer_strain", "Carer not coping", "social", "social_services", "routine"),
    ("self_neglect", "Signs of self-neglect", "daily_living", "social_services", "urgent"),
    ("memory_concerns", "New or worsening memory problems", "health", "gp", "routine"),
    (
        "pressure_damage",
        "Red or broken skin from pressure",
        "health",
        "community_nursing",
        "urgent",
    ),
]


def ensure_red_flags(model=None) -> None:
    """Insert the codes that are missing, in one statement."""
    if model is None:
        from .models import RedFlag as model
    model.objects.bulk_create(
        [
            model(
                code=code,
                label=label,
                category=category,
                routes_to=routes_to,
                default_urgency=urgency,
                active=True,
            )
            for code, label, category, routes_to, urgency in FLAGS
        ],
        ignore_conflicts=True,
    )

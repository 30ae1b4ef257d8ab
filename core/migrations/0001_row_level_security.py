"""Network isolation in PostgreSQL (docs/adr/0006): row-level security on every table of a
network's people data, as registered in core.rls.TABLES when this was written. A table added
later gets its own migration with ``rls.isolate("its_table")`` (core/rls.py says how)."""

from django.db import migrations

from core import rls

TABLES = [
    "patients_patient",
    "patients_patientevent",
    "patients_careteammember",
    "patients_careteammemberevent",
    "patients_frailtyassessment",
    "patients_frailtyassessmentevent",
    "patients_goal",
    "patients_goalevent",
    "audit_accessevent",
    "actions_action",
    "actions_actionevent",
    "careplans_careplan",
    "careplans_careplanevent",
    "careplans_careplanneed",
    "careplans_careplanneedevent",
    "careplans_careplanintervention",
    "careplans_careplaninterventionevent",
    "notifications_notification",
    "referrals_referral",
    "referrals_referralevent",
    "referrals_patientflag",
    "referrals_patientflagevent",
    "medicines_visit",
    "medicines_visitevent",
    "medicines_intervention",
    "medicines_medication",
    "medicines_medicationevent",
    "medicines_medicationreview",
    "medicines_medicationreviewevent",
    "medicines_residentallocation",
    "medicines_residentallocationevent",
    "medicines_supply",
    "huddles_meeting",
    "huddles_meetingevent",
    "huddles_episode",
    "huddles_episodeevent",
    "huddles_agendaitem",
    "huddles_agendaitemevent",
    "huddles_attendance",
    "huddles_attendanceevent",
    "huddles_guest",
    "huddles_guestevent",
    "reports_admissionevent",
    "reports_admissioneventevent",
    "reports_admissionimport",
]


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0008_frailty_scales"),
        ("audit", "0008_roles_added"),
        ("actions", "0014_roles_added"),
        ("careplans", "0002_roles_added"),
        ("notifications", "0005_notification_email_body"),
        ("referrals", "0009_roles_added"),
        ("medicines", "0005_resident_allocation"),
        ("huddles", "0006_meeting_guests"),
        ("reports", "0003_input_rules"),
    ]

    operations = [rls.isolate(*TABLES)]

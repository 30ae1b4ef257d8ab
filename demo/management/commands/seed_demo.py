"""`python manage.py seed_demo`: the demo data of API.md ("Demo data"), idempotently.

Creates or brings up to date two networks, `thornton-heath` (ICN vocabulary, fortnightly
huddle) and `purbeck` (hub vocabulary, virtual ward twice a week), with their organisations,
one user per role per network named `<role>.<network-slug>` (password from DEMO_PASSWORD,
via settings.ICN_DEMO_PASSWORD), eight fictional people each with consent and a care team,
and a few open actions (tasks) for named members and role queues.

Running it again changes nothing: every object is looked up by its natural key (network
slug, organisation code, username, (network, NHS number)) and only missing objects are
created; networks, organisations, users and memberships are brought back to the values
below; people and actions already present are left as they are, since demo users may have
changed them. The password is re-set whenever DEMO_PASSWORD no longer matches. With
DEMO_TOTP_SECRET (base32) every demo person but the partner systems has a confirmed TOTP
authenticator with that secret, so the demo runs with ICN_REQUIRE_MFA=true.

Everything is fictional: NHS numbers come from the synthetic 999 range, telephone numbers
from Ofcom's drama ranges, names and organisation codes are made up.

Referrals, visits and meetings (huddles / virtual wards) do not exist yet: the issues that
add them extend this command with a few of each per network, in the same idempotent way.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import pghistory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.services import totp_device_set_secret, totp_key_from_base32
from actions.models import Action
from actions.services import action_create
from core.nhs_number import synthetic
from huddles.services import meetings_schedule
from medicines.models import Visit
from medicines.services import medication_add, visit_log
from networks.models import Cover, Membership, Network, Organisation
from networks.roles import DEFAULT_SERVING_ROLES, Role, Service
from networks.services import cover_set, membership_add, membership_reactivate
from notifications.models import Preference
from patients.models import CareTeamMember, Consent, Frailty, Patient
from patients.services import care_team_add, patient_create, patient_record_consent
from referrals.catalogue import ensure_red_flags
from referrals.models import RedFlag, Referral, ServiceConfig
from referrals.selectors import DEFAULT_ACCEPTS
from referrals.services import (
    referral_accept,
    referral_complete,
    referral_create,
    referral_decline,
)

User = get_user_model()

EMAIL_DOMAIN = "example.nhs.uk"
# Serialises concurrent runs (e.g. two dev servers starting at once); any constant will do.
ADVISORY_LOCK_KEY = 0x1C4_5EED

Kind = Organisation.Kind


@dataclass(frozen=True)
class Org:
    key: str  # local name used below
    code: str
    name: str
    kind: str
    address: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Person:
    """A demo user: first name, last name, organisation key, job title."""

    first: str
    last: str
    org: str
    job_title: str


@dataclass(frozen=True)
class DemoPatient:
    seed: int  # for core.nhs_number.synthetic
    given_name: str
    family_name: str
    date_of_birth: date
    address: str
    postcode: str
    phone: str
    gp: str  # organisation key
    frailty: str | None
    caseload_reason: str
    social_needs: str = ""
    what_matters: str = ""
    notes_for_visitors: str = ""
    clinical_notes: str = ""
    care_home: str | None = None  # organisation key
    key_worker: str | None = None  # role
    consent: tuple[str, str] = (Consent.GIVEN, Consent.GIVEN)  # (MDT, sharing)
    team: tuple[tuple[str, str], ...] = ()  # (role, involvement)


@dataclass(frozen=True)
class DemoAction:
    patient_seed: int
    title: str
    due_in_days: int
    assignee: str = ""  # role of the named member it is for
    queue: str = ""  # role queue it is for
    details: str = ""


@dataclass(frozen=True)
class DemoReferral:
    patient_seed: int
    service: str
    reason: str
    by: str  # role of the referring member
    urgency: str = "routine"
    flags: tuple[str, ...] = ()
    outcome: str = "new"  # new | accepted | completed | declined:<reason>:<note>
    triaged_by: str = ""  # role; defaults to the chair
    source_org: str = ""  # organisation key, for referrers outside the network
    source_contact: str = ""


@dataclass(frozen=True)
class DemoNetwork:
    slug: str
    name: str
    vocabulary: str
    cadence: str
    meeting_weekdays: list[int]
    meeting_time: time
    organisations: tuple[Org, ...]
    people: dict[str, Person]
    patients: tuple[DemoPatient, ...]
    actions: tuple[DemoAction, ...] = field(default=())
    referrals: tuple[DemoReferral, ...] = field(default=())


THORNTON_HEATH = DemoNetwork(
    slug="thornton-heath",
    name="Thornton Heath",
    vocabulary=Network.Vocabulary.ICN,
    cadence=Network.Cadence.FORTNIGHTLY,
    meeting_weekdays=[1],
    meeting_time=time(13, 0),
    organisations=(
        Org(
            "trust",
            "RJ6-DEMO",
            "Croydon Health Services NHS Trust (demo)",
            Kind.NHS_TRUST,
            "530 London Road, Croydon CR7 7YE",
            "020 7946 0100",
        ),
        Org(
            "gp1",
            "TH-GP-01",
            "Brigstock Green Medical Practice",
            Kind.GP_PRACTICE,
            "14 Brigstock Parade, Thornton Heath CR7 8RX",
            "020 7946 0201",
        ),
        Org(
            "gp2",
            "TH-GP-02",
            "Bensham Vale Surgery",
            Kind.GP_PRACTICE,
            "77 Bensham Manor Road, Thornton Heath CR7 7AF",
            "020 7946 0202",
        ),
        Org(
            "gp3",
            "TH-GP-03",
            "Norbury Pond Health Centre",
            Kind.GP_PRACTICE,
            "3 Pond Place, London SW16 4AB",
            "020 7946 0203",
        ),
        Org(
            "council",
            "CROYDON-LA",
            "Croydon Council",
            Kind.COUNCIL,
            "Bernard Weatherill House, 8 Mint Walk, Croydon CR0 1EA",
            "020 7946 0300",
        ),
        Org(
            "ageuk",
            "AGEUK-CROY",
            "Age UK Croydon",
            Kind.VOLUNTARY_SECTOR,
            "81 Brigstock Road, Thornton Heath CR7 7JH",
            "020 7946 0400",
        ),
        Org(
            "home1",
            "TH-CH-01",
            "Heathfield Lodge Care Home",
            Kind.CARE_HOME,
            "21 Green Lane, Thornton Heath CR7 8BG",
            "020 7946 0501",
        ),
        Org(
            "home2",
            "TH-CH-02",
            "Beulah Court Nursing Home",
            Kind.CARE_HOME,
            "6 Beulah Hill, London SE19 3LF",
            "020 7946 0502",
        ),
    ),
    people={
        Role.CHAIR: Person("Grace", "Okafor", "trust", "Network facilitator"),
        Role.GP: Person("Rajesh", "Menon", "gp1", "GP partner"),
        Role.PHARMACIST: Person("Amira", "Haddad", "gp2", "Clinical pharmacist"),
        Role.PHARMACY_TECHNICIAN: Person("Kelly", "Osei", "gp3", "Pharmacy technician"),
        Role.SOCIAL_WORKER: Person("Daniel", "Whitfield", "council", "Senior social worker"),
        Role.COMMUNITY_NURSE: Person("Bernadette", "Lynch", "trust", "Community matron"),
        Role.PIC: Person("Tasha", "Campbell", "ageuk", "Personal independence coordinator"),
        Role.OCCUPATIONAL_THERAPIST: Person("Priya", "Nair", "trust", "Occupational therapist"),
        Role.PHYSIOTHERAPIST: Person("Tomasz", "Kowalski", "trust", "Physiotherapist"),
        Role.INTEGRATED_MANAGER: Person(
            "Sandra", "Mensah", "council", "Integrated health and social care manager"
        ),
        Role.MANAGER: Person("Jonathan", "Reeve", "trust", "Head of community services"),
        Role.IG_LEAD: Person("Helen", "Adeyemi", "trust", "Information governance lead"),
        Role.PARTNER_SYSTEM: Person(
            "Discharge", "Team (system)", "trust", "Hospital discharge team's system account"
        ),
    },
    patients=(
        DemoPatient(
            seed=410_101,
            given_name="Dorothy",
            family_name="Pearce",
            date_of_birth=date(1936, 3, 14),
            address="Flat 9, Langdale Court, 40 Parchmore Road, Thornton Heath",
            postcode="CR7 8LX",
            phone="020 7946 0811",
            gp="gp1",
            frailty=Frailty.SEVERE,
            caseload_reason="Discharged from CUH after a fall 12/10; lives alone",
            clinical_notes="Osteoporosis, AF on apixaban, macular degeneration.",
            social_needs="Second-floor flat, lift often out of order. Daughter lives in Leeds "
            "and phones on Sundays. Twice-daily carers since discharge.",
            what_matters="Staying in my own flat and getting to church on Sundays.",
            notes_for_visitors="Registered blind; knock loudly and say who you are.",
            key_worker=Role.COMMUNITY_NURSE,
            team=(
                (Role.COMMUNITY_NURSE, "Post-discharge review and falls plan"),
                (Role.PHARMACIST, "Medication review after the fall"),
                (Role.SOCIAL_WORKER, "Reablement package"),
            ),
        ),
        DemoPatient(
            seed=410_202,
            given_name="Errol",
            family_name="Campbell",
            date_of_birth=date(1941, 7, 2),
            address="58 Winterbourne Road, Thornton Heath",
            postcode="CR7 7QT",
            phone="07700 900311",
            gp="gp1",
            frailty=Frailty.MODERATE,
            caseload_reason="Heart failure and type 2 diabetes; two admissions with fluid "
            "overload in three months",
            clinical_notes="Furosemide dose changed at last discharge; weighs himself daily.",
            social_needs="Wife Marcia is his main carer and is finding it hard.",
            what_matters="Watching Crystal Palace with my grandson.",
            notes_for_visitors="Friendly dog; ask for it to be shut in the kitchen.",
            key_worker=Role.PHARMACIST,
            team=(
                (Role.GP, "Heart failure management"),
                (Role.PHARMACIST, "Diuretic and diabetes medicines"),
                (Role.COMMUNITY_NURSE, "Weights and fluid monitoring"),
            ),
        ),
        DemoPatient(
            seed=410_303,
            given_name="Kamala",
            family_name="Shah",
            date_of_birth=date(1945, 11, 23),
            address="112 Melfort Road, Thornton Heath",
            postcode="CR7 7RN",
            phone="020 7946 0834",
            gp="gp2",
            frailty=Frailty.MILD,
            caseload_reason="Fourteen regular medicines; family found stockpiles of tablets "
            "and multiple dispensing dates",
            social_needs="Lives with her son, who works nights. Speaks Gujarati; son interprets.",
            what_matters="Cooking for the family again.",
            notes_for_visitors="Please visit after 11am; Gujarati speaker, son interprets.",
            team=(
                (Role.PHARMACIST, "Structured medication review"),
                (Role.PHARMACY_TECHNICIAN, "Compliance aid and repeat ordering"),
            ),
        ),
        DemoPatient(
            seed=410_404,
            given_name="Harold",
            family_name="Beckett",
            date_of_birth=date(1932, 5, 30),
            address="Heathfield Lodge Care Home, 21 Green Lane, Thornton Heath",
            postcode="CR7 8BG",
            phone="020 7946 0501",
            gp="gp3",
            care_home="home1",
            frailty=Frailty.SEVERE,
            caseload_reason="Care-home resident; end of life care plan; recurrent UTIs",
            clinical_notes="ReSPECT form in place: not for hospital transfer unless "
            "comfort cannot be managed at the home.",
            social_needs="Daughter holds LPA for health and welfare and visits daily.",
            what_matters="(From his daughter) To be comfortable and stay at Heathfield "
            "Lodge, not go back into hospital.",
            notes_for_visitors="Lacks capacity for these decisions; speak to his daughter "
            "Susan (LPA).",
            consent=(Consent.BEST_INTEREST, Consent.BEST_INTEREST),
            key_worker=Role.GP,
            team=(
                (Role.GP, "End of life care"),
                (Role.PHARMACIST, "Anticipatory medicines"),
                (Role.COMMUNITY_NURSE, "Syringe driver if needed"),
            ),
        ),
        DemoPatient(
            seed=410_505,
            given_name="Gloria",
            family_name="Baptiste",
            date_of_birth=date(1939, 9, 8),
            address="Beulah Court Nursing Home, 6 Beulah Hill, London",
            postcode="SE19 3LF",
            phone="020 7946 0502",
            gp="gp3",
            care_home="home2",
            frailty=Frailty.MODERATE,
            caseload_reason="New resident after a stroke admission; swallowing difficulties",
            clinical_notes="SALT advice: IDDSI level 4 diet; tablets to be reviewed for "
            "liquid forms.",
            what_matters="Having her gospel music on and her hair done on Fridays.",
            team=(
                (Role.PHARMACY_TECHNICIAN, "Swallowing and formulations review"),
                (Role.GP, "Post-stroke review"),
            ),
        ),
        DemoPatient(
            seed=410_606,
            given_name="Stanley",
            family_name="Wojcik",
            date_of_birth=date(1947, 1, 19),
            address="9 Ecclesbourne Road, Thornton Heath",
            postcode="CR7 7BP",
            phone="07700 900362",
            gp="gp2",
            frailty=Frailty.MILD,
            caseload_reason="Three falls at home in six weeks; not been upstairs for months, "
            "sleeping on the sofa",
            social_needs="Lives alone. Heating broken since September; landlord not responding.",
            what_matters="Getting back upstairs to sleep in my own bed.",
            notes_for_visitors="Key safe; the code is held by the care agency. Ring before "
            "visiting.",
            key_worker=Role.OCCUPATIONAL_THERAPIST,
            team=(
                (Role.OCCUPATIONAL_THERAPIST, "Home assessment and equipment"),
                (Role.PHYSIOTHERAPIST, "Strength and balance programme"),
                (Role.SOCIAL_WORKER, "Housing and heating repair"),
            ),
        ),
        DemoPatient(
            seed=410_707,
            given_name="Joyce",
            family_name="Thompson",
            date_of_birth=date(1934, 4, 4),
            address="27 Zion Road, Thornton Heath",
            postcode="CR7 8RG",
            phone="020 7946 0877",
            gp="gp1",
            frailty=Frailty.MODERATE,
            caseload_reason="Lonely since her husband died in the spring; missing meals, "
            "living on takeaways; 5 kg weight loss",
            social_needs="No family nearby. Used to go to a lunch club at the church hall.",
            what_matters="Going back to the lunch club and seeing her friends.",
            key_worker=Role.PIC,
            team=(
                (Role.PIC, "Befriending and lunch club"),
                (Role.SOCIAL_WORKER, "Carers and meals"),
                (Role.GP, "Weight loss review"),
            ),
        ),
        DemoPatient(
            seed=410_808,
            given_name="Vincent",
            family_name="Oduya",
            date_of_birth=date(1950, 12, 1),
            address="4 Kynaston Avenue, Thornton Heath",
            postcode="CR7 7BZ",
            phone="07700 900388",
            gp="gp3",
            frailty=Frailty.MILD,
            caseload_reason="COPD; three A&E attendances this winter",
            clinical_notes="Rescue pack at home; inhaler technique not checked since 2022.",
            consent=(Consent.NOT_ASKED, Consent.NOT_ASKED),
            team=(
                (Role.COMMUNITY_NURSE, "COPD review"),
                (Role.PHYSIOTHERAPIST, "Pulmonary rehabilitation"),
            ),
        ),
    ),
    referrals=(
        DemoReferral(
            410_303,
            "medicines_optimisation",
            "Daughter found bags of old tablets in the kitchen; not sure what she takes.",
            by=Role.SOCIAL_WORKER,
            flags=("medicines_stockpile",),
        ),
        DemoReferral(
            410_505,
            "social_services",
            "Boiler broken for a week; using the oven for heat.",
            by=Role.COMMUNITY_NURSE,
            urgency="urgent",
            flags=("no_heating",),
        ),
        DemoReferral(
            410_101,
            "mdt",
            "Discharged from CUH today after a fall at home; lives alone.",
            by=Role.PARTNER_SYSTEM,
            urgency="urgent",
            outcome="accepted",
            source_org="trust",
            source_contact="Ward 7 discharge team, 020 7946 0700",
        ),
        DemoReferral(
            410_707,
            "pic",
            "Has stopped going to the lunch club since her husband died.",
            by=Role.GP,
            flags=("loneliness",),
            outcome="accepted",
            triaged_by=Role.PIC,
        ),
        DemoReferral(
            410_202,
            "physiotherapy",
            "Two falls in a month; unsteady on the stairs.",
            by=Role.PHARMACIST,
            outcome="declined:already_known:Seen by the falls team last week.",
        ),
    ),
    actions=(
        DemoAction(
            410_303,
            "Structured medication review; remove stockpiled tablets",
            3,
            assignee=Role.PHARMACIST,
        ),
        DemoAction(
            410_606,
            "Assess for care package and chase heating repair",
            5,
            queue=Role.SOCIAL_WORKER,
        ),
        DemoAction(
            410_606,
            "Home assessment: stair rail and bed downstairs",
            7,
            assignee=Role.OCCUPATIONAL_THERAPIST,
        ),
        DemoAction(410_707, "Befriending referral and lunch club place", 10, queue=Role.PIC),
        DemoAction(
            410_202,
            "Weekly weights and fluid review",
            2,
            assignee=Role.COMMUNITY_NURSE,
        ),
        DemoAction(
            410_505,
            "Check which tablets can be switched to liquids with the home",
            12,
            queue=Role.PHARMACY_TECHNICIAN,
        ),
        # Overdue, so the reminder sweeps have something to chase in the demo.
        DemoAction(
            410_303,
            "Ring the GP practice about the warfarin dose",
            -2,
            assignee=Role.PHARMACIST,
        ),
        DemoAction(
            410_606,
            "Chase the council about the boiler repair",
            -4,
            queue=Role.SOCIAL_WORKER,
        ),
    ),
)

PURBECK = DemoNetwork(
    slug="purbeck",
    name="Purbeck",
    vocabulary=Network.Vocabulary.HUB,
    cadence=Network.Cadence.TWICE_WEEKLY,
    meeting_weekdays=[0, 3],
    meeting_time=time(9, 30),
    organisations=(
        Org(
            "trust",
            "RDY-DEMO",
            "Dorset HealthCare (demo)",
            Kind.NHS_TRUST,
            "Sentinel House, 4-6 Nuffield Road, Poole BH17 0RB",
            "01632 960100",
        ),
        Org(
            "gp1",
            "PB-GP-01",
            "Wareham Quay Surgery",
            Kind.GP_PRACTICE,
            "2 Quay Lane, Wareham BH20 4LP",
            "01632 960201",
        ),
        Org(
            "gp2",
            "PB-GP-02",
            "Swanage Downs Medical Practice",
            Kind.GP_PRACTICE,
            "18 Station Road, Swanage BH19 1AE",
            "01632 960202",
        ),
        Org(
            "gp3",
            "PB-GP-03",
            "Corfe Vale Surgery",
            Kind.GP_PRACTICE,
            "The Square, Corfe Castle BH20 5EZ",
            "01632 960203",
        ),
        Org(
            "council",
            "DORSET-LA",
            "Dorset Council",
            Kind.COUNCIL,
            "County Hall, Colliton Park, Dorchester DT1 1XJ",
            "01632 960300",
        ),
        Org(
            "ageuk",
            "AGEUK-NSWD",
            "Age UK North, South & West Dorset",
            Kind.VOLUNTARY_SECTOR,
            "The Mansard, Allington Avenue, Dorchester DT1 1FN",
            "01632 960400",
        ),
        Org(
            "home1",
            "PB-CH-01",
            "Durlston View Care Home",
            Kind.CARE_HOME,
            "11 Peveril Road, Swanage BH19 2DF",
            "01632 960501",
        ),
        Org(
            "home2",
            "PB-CH-02",
            "Frome Meadows Nursing Home",
            Kind.CARE_HOME,
            "Worgret Road, Wareham BH20 4PN",
            "01632 960502",
        ),
    ),
    people={
        Role.CHAIR: Person("Helen", "Marsh", "trust", "Health and social care coordinator"),
        Role.GP: Person("Alistair", "Penrose", "gp1", "GP partner"),
        Role.PHARMACIST: Person("Sophie", "Carter", "trust", "Community pharmacist"),
        Role.PHARMACY_TECHNICIAN: Person("Jade", "Whitlock", "gp2", "Pharmacy technician"),
        Role.SOCIAL_WORKER: Person("Mark", "Tanner", "council", "Social worker"),
        Role.COMMUNITY_NURSE: Person("Ruth", "Aldridge", "trust", "Community nurse"),
        Role.PIC: Person("Lucy", "Fairweather", "ageuk", "Personal independence coordinator"),
        Role.OCCUPATIONAL_THERAPIST: Person("Claire", "Dunning", "trust", "Occupational therapist"),
        Role.PHYSIOTHERAPIST: Person("Ben", "Hollis", "trust", "Physiotherapist"),
        Role.INTEGRATED_MANAGER: Person("Fiona", "Garland", "trust", "Integrated locality manager"),
        Role.MANAGER: Person("Simon", "Ashdown", "council", "Commissioning manager"),
        Role.IG_LEAD: Person("Martin", "Cole", "council", "Data protection officer"),
        Role.PARTNER_SYSTEM: Person(
            "Discharge", "Team (system)", "trust", "Hospital discharge team's system account"
        ),
    },
    patients=(
        DemoPatient(
            seed=520_111,
            given_name="Margaret",
            family_name="Stickland",
            date_of_birth=date(1933, 2, 9),
            address="Rose Cottage, Church Knowle, Wareham",
            postcode="BH20 5NQ",
            phone="01632 960811",
            gp="gp3",
            frailty=Frailty.SEVERE,
            caseload_reason="Discharged from Dorset County Hospital after a chest infection "
            "03/10; lives alone",
            clinical_notes="Oxygen saturation 92% on discharge; antibiotics completed.",
            social_needs="Rural cottage, no bus. Neighbour does her shopping. Coal fire is "
            "her only heating.",
            what_matters="Staying at home with her cat and her garden.",
            notes_for_visitors="Single-track lane; park at the farm gate and walk up.",
            key_worker=Role.COMMUNITY_NURSE,
            team=(
                (Role.COMMUNITY_NURSE, "Post-discharge observations"),
                (Role.SOCIAL_WORKER, "Heating and shopping support"),
                (Role.PIC, "Links with the village good neighbour scheme"),
            ),
        ),
        DemoPatient(
            seed=520_222,
            given_name="Arthur",
            family_name="Hibbs",
            date_of_birth=date(1938, 8, 17),
            address="5 North Street, Wareham",
            postcode="BH20 4AG",
            phone="01632 960822",
            gp="gp1",
            frailty=Frailty.MODERATE,
            caseload_reason="Parkinson's; time-critical medicines missed during his last "
            "admission; two falls since",
            clinical_notes="Co-careldopa five times a day; timings matter.",
            social_needs="Wife has mild memory problems; they manage together.",
            what_matters="Walking the dog along the quay every morning.",
            key_worker=Role.PHARMACIST,
            team=(
                (Role.PHARMACIST, "Parkinson's medicines timing"),
                (Role.PHYSIOTHERAPIST, "Falls and mobility"),
            ),
        ),
        DemoPatient(
            seed=520_333,
            given_name="Eileen",
            family_name="Dowden",
            date_of_birth=date(1942, 6, 25),
            address="Flat 2, Clifton House, 30 High Street, Swanage",
            postcode="BH19 2NU",
            phone="01632 960833",
            gp="gp2",
            frailty=Frailty.MILD,
            caseload_reason="Cannot identify or manage her own medicines; expired medicines "
            "found at a visit",
            social_needs="Son visits at weekends from Bournemouth.",
            what_matters="Keeping her independence and doing her own shopping.",
            notes_for_visitors="Hard of hearing; ring the bell on the side gate.",
            team=(
                (Role.PHARMACY_TECHNICIAN, "Compliance aid"),
                (Role.PHARMACIST, "Medication review"),
            ),
        ),
        DemoPatient(
            seed=520_444,
            given_name="Reginald",
            family_name="Frampton",
            date_of_birth=date(1930, 10, 3),
            address="Durlston View Care Home, 11 Peveril Road, Swanage",
            postcode="BH19 2DF",
            phone="01632 960501",
            gp="gp2",
            care_home="home1",
            frailty=Frailty.SEVERE,
            caseload_reason="Care-home resident; advanced dementia; high eFI score; end of "
            "life care",
            clinical_notes="Advance care plan agreed with family: comfort care at the home.",
            what_matters="(From his wife) Music from the 1950s and the sea view from his window.",
            notes_for_visitors="Lacks capacity; his wife June is the contact.",
            consent=(Consent.BEST_INTEREST, Consent.BEST_INTEREST),
            key_worker=Role.GP,
            team=(
                (Role.GP, "End of life care"),
                (Role.PHARMACIST, "Deprescribing and anticipatory medicines"),
                (Role.COMMUNITY_NURSE, "Pressure area care"),
            ),
        ),
        DemoPatient(
            seed=520_555,
            given_name="Sylvia",
            family_name="Bugler",
            date_of_birth=date(1944, 1, 12),
            address="Frome Meadows Nursing Home, Worgret Road, Wareham",
            postcode="BH20 4PN",
            phone="01632 960502",
            gp="gp1",
            care_home="home2",
            frailty=Frailty.MODERATE,
            caseload_reason="Recently moved to Frome Meadows after a hip fracture; refusing "
            "some medicines",
            what_matters="Getting strong enough to walk to the dining room.",
            team=(
                (Role.PHARMACY_TECHNICIAN, "Adherence review with the home"),
                (Role.PHYSIOTHERAPIST, "Rehabilitation after hip fracture"),
            ),
        ),
        DemoPatient(
            seed=520_666,
            given_name="Peter",
            family_name="Lander",
            date_of_birth=date(1948, 3, 28),
            address="14 Bonfields Avenue, Swanage",
            postcode="BH19 1PL",
            phone="07700 900466",
            gp="gp2",
            frailty=Frailty.MILD,
            caseload_reason="Main carer for his wife, who has dementia; his own heart "
            "failure poorly controlled",
            social_needs="Carer strain; no breaks in two years.",
            what_matters="Looking after my wife at home for as long as I can.",
            consent=(Consent.GIVEN, Consent.REFUSED),
            team=(
                (Role.SOCIAL_WORKER, "Carer's assessment and respite"),
                (Role.GP, "Heart failure review"),
            ),
        ),
        DemoPatient(
            seed=520_777,
            given_name="Betty",
            family_name="Hayter",
            date_of_birth=date(1936, 12, 6),
            address="3 Mill Lane, Wool, Wareham",
            postcode="BH20 6DN",
            phone="01632 960877",
            gp="gp3",
            frailty=Frailty.MODERATE,
            caseload_reason="Falls; not been upstairs for months, sleeping in her armchair",
            social_needs="Lives alone; toilet is upstairs.",
            what_matters="A proper night's sleep in a bed.",
            notes_for_visitors="Registered blind; knock loudly.",
            key_worker=Role.OCCUPATIONAL_THERAPIST,
            team=(
                (Role.OCCUPATIONAL_THERAPIST, "Downstairs living and commode"),
                (Role.PHYSIOTHERAPIST, "Strength and balance"),
                (Role.PIC, "Befriending"),
            ),
        ),
        DemoPatient(
            seed=520_888,
            given_name="Derek",
            family_name="Pitman",
            date_of_birth=date(1946, 9, 14),
            address="Flat 6, Kings Court, Kings Road West, Swanage",
            postcode="BH19 1HS",
            phone="07700 900488",
            gp="gp2",
            frailty=Frailty.FIT,
            caseload_reason="Frequent attender at Swanage minor injuries unit; lives alone; "
            "drinking more since retiring",
            consent=(Consent.NOT_ASKED, Consent.NOT_ASKED),
            team=(
                (Role.GP, "Alcohol and frequent attendance"),
                (Role.SOCIAL_WORKER, "Welfare check"),
            ),
        ),
    ),
    referrals=(
        DemoReferral(
            520_333,
            "medicines_optimisation",
            "Several dispensing dates each month; carer unsure which box is current.",
            by=Role.COMMUNITY_NURSE,
            flags=("multiple_dispensing_dates",),
        ),
        DemoReferral(
            520_555,
            "occupational_therapy",
            "Sleeping in her chair downstairs for months.",
            by=Role.PIC,
            flags=("sleeping_on_sofa", "not_using_upstairs"),
        ),
        DemoReferral(
            520_111,
            "mdt",
            "Back home from Dorset County Hospital; heart failure.",
            by=Role.PARTNER_SYSTEM,
            urgency="urgent",
            outcome="accepted",
            source_org="trust",
            source_contact="Discharge hub, 01632 960 100",
        ),
        DemoReferral(
            520_777,
            "social_services",
            "Carer (wife) exhausted; asking for respite.",
            by=Role.GP,
            outcome="completed",
            triaged_by=Role.SOCIAL_WORKER,
        ),
    ),
    actions=(
        DemoAction(
            520_222,
            "Agree a time-critical medicines plan with the family",
            2,
            assignee=Role.PHARMACIST,
        ),
        DemoAction(520_666, "Carer's assessment and respite options", 6, queue=Role.SOCIAL_WORKER),
        DemoAction(
            520_777,
            "Deliver commode and bed for downstairs living",
            4,
            assignee=Role.OCCUPATIONAL_THERAPIST,
        ),
        DemoAction(
            520_111,
            "Ask about a winter fuel grant and the good neighbour scheme",
            9,
            queue=Role.PIC,
        ),
        DemoAction(
            520_555,
            "Review refused medicines with the nursing home",
            11,
            queue=Role.PHARMACY_TECHNICIAN,
        ),
        DemoAction(520_444, "Review anticipatory medicines", 13, assignee=Role.GP),
    ),
)

DEMO_NETWORKS = (THORNTON_HEATH, PURBECK)

DEMO_MEDICINES = (
    ("Amlodipine", "5 mg", 1, "once_daily"),
    ("Ramipril", "2.5 mg", 1, "once_daily"),
    ("Atorvastatin", "20 mg", 1, "at_night"),
    ("Metformin", "500 mg", 1, "twice_daily"),
)


def demo_username(role: str, network_slug: str) -> str:
    return f"{role}.{network_slug}"


class Command(BaseCommand):
    help = "Create or refresh the demo networks, users, people and actions (idempotent)."

    def handle(self, *args, **options):
        password = settings.ICN_DEMO_PASSWORD
        if not password:
            raise CommandError("DEMO_PASSWORD is empty; set a password for the demo users.")
        self.tally: Counter[tuple[str, str]] = Counter()
        self.totp_secret = settings.ICN_DEMO_TOTP_SECRET
        if self.totp_secret:
            try:
                totp_key_from_base32(self.totp_secret)
            except ValueError as exc:
                raise CommandError(f"DEMO_TOTP_SECRET: {exc}") from exc
        with transaction.atomic(), pghistory.context(command="seed_demo"):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
            for spec in DEMO_NETWORKS:
                self.seed_network(spec, password)
        self.report()

    # -- helpers -------------------------------------------------------------------------

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        self.tally[(kind, outcome)] += n

    def upsert(self, model, kind: str, lookup: dict, values: dict, exclude=()):
        """Create by natural key, or save only the fields that differ (so a re-run with the
        same data writes nothing and adds no history)."""
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            obj.full_clean(exclude=list(exclude))
            obj.save()
            self.count(kind, "created")
            return obj
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            obj.full_clean(exclude=list(exclude))
            obj.save(update_fields=changed)
            self.count(kind, "updated")
        else:
            self.count(kind, "unchanged")
        return obj

    # -- the seed ------------------------------------------------------------------------

    def seed_network(self, spec: DemoNetwork, password: str) -> None:
        network = self.upsert(
            Network,
            "networks",
            {"slug": spec.slug},
            {
                "name": spec.name,
                "vocabulary": spec.vocabulary,
                "cadence": spec.cadence,
                "meeting_weekdays": spec.meeting_weekdays,
                "meeting_time": spec.meeting_time,
            },
        )
        orgs = {
            org.key: self.upsert(
                Organisation,
                "organisations",
                {"code": org.code},
                {"name": org.name, "kind": org.kind, "address": org.address, "phone": org.phone},
            )
            for org in spec.organisations
        }
        # The network's GP practices and the care homes it supports.
        for kind, related, label in (
            (Kind.GP_PRACTICE, network.gp_practices, "GP practices attached"),
            (Kind.CARE_HOME, network.care_homes, "care homes attached"),
        ):
            attached = set(related.values_list("id", flat=True))
            missing = [o for o in orgs.values() if o.kind == kind and o.id not in attached]
            if missing:
                related.add(*missing)
                self.count(label, "created", len(missing))

        members = {
            role: self.seed_member(network, role, spec.people[role], orgs, password)
            for role in Role.values
        }
        chair = members[Role.CHAIR].user

        patients = {
            p.seed: self.seed_patient(network, p, orgs, members, chair) for p in spec.patients
        }
        self.seed_actions(network, spec, patients, members, chair)
        self.seed_services(network)
        self.seed_referrals(network, spec, patients, members, orgs)
        self.seed_medicines(network, spec, patients, members)
        self.seed_meetings(network)
        self.seed_cover_and_preferences(network, members)
        self.seed_outcomes(network, list(patients.values()), members)

    def seed_cover_and_preferences(self, network: Network, members: dict) -> None:
        """The occupational therapist is away this week and the physiotherapist covers; the
        pharmacist gets e-mail straight away (the others: the 07:30 digest)."""
        away = members[Role.OCCUPATIONAL_THERAPIST].user
        today = timezone.localdate()
        if Cover.objects.filter(network=network, member=away, ends_on__gte=today).exists():
            self.count("covers", "unchanged")
        else:
            cover_set(
                network=network,
                member=away,
                deputy=members[Role.PHYSIOTHERAPIST].user,
                starts_on=today,
                ends_on=today + timedelta(days=4),
                by=away,
                note="Annual leave",
            )
            self.count("covers", "created")
        self.upsert(
            Preference,
            "notification preferences",
            {"user": members[Role.PHARMACIST].user},
            {"email": Preference.Delivery.IMMEDIATE},
        )

    def seed_outcomes(self, network: Network, patients: list, members: dict) -> None:
        """A year of history for the reports: discharges from the MDT with the answer to
        "have we avoided an admission?", the emergency admissions that followed two of them,
        and goals agreed with people, some met."""
        from huddles.models import Episode
        from patients.models import Goal
        from reports.models import AdmissionEvent

        if Episode.objects.filter(network=network, closing_reason__startswith="Demo:").exists():
            self.count("report history", "unchanged")
            return
        chair = members[Role.CHAIR].user
        pic = members[Role.PIC].user
        now = timezone.now()
        answers = ["yes", "yes", "no", "yes", "unsure", "yes", "no", "yes", "yes", "unsure"]
        for n, answer in enumerate(answers):
            patient = patients[n % len(patients)]
            closed = now - timedelta(days=30 * (n + 1) + 3 * n)
            Episode.objects.create(
                patient=patient,
                network=network,
                opened_at=closed - timedelta(days=20 + 4 * n),
                closed_at=closed,
                admission_avoided=answer,
                closing_reason=f"Demo: discharged from the {network.terms['meeting']}",
            )
            if n in (2, 5):  # an emergency admission 12 and 60 days after discharge
                AdmissionEvent.objects.create(
                    network=network,
                    patient=patient,
                    admitted_on=timezone.localdate(closed) + timedelta(days=12 if n == 2 else 60),
                    kind=AdmissionEvent.Kind.EMERGENCY,
                    recorded_by=chair,
                )
            self.count("report history", "created")
        today = timezone.localdate()
        goals = [
            ("Walk to the corner shop again", "met"),
            ("Get to the Tuesday lunch club", "met"),
            ("Sleep upstairs in my own bed", "partly_met"),
            ("See my granddaughter's school play", "open"),
            ("Manage my own tablets with a dosette box", "not_met"),
        ]
        for n, (description, outcome) in enumerate(goals):
            Goal.objects.create(
                patient=patients[n % len(patients)],
                description=description,
                agreed_on=today - timedelta(days=90 - 10 * n),
                agreed_by=pic,
                outcome=outcome,
                outcome_on=None if outcome == "open" else today - timedelta(days=20 - n),
                outcome_by=None if outcome == "open" else pic,
            )
            self.count("goals", "created")

    def seed_member(
        self, network: Network, role: str, person: Person, orgs: dict, password: str
    ) -> Membership:
        username = demo_username(role, network.slug)
        user = self.upsert(
            User,
            "users",
            {"username": username},
            {
                "first_name": person.first,
                "last_name": person.last,
                "email": f"{username}@{EMAIL_DOMAIN}",
                "is_active": True,
            },
            exclude=["password"],  # set just below
        )
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            self.count("passwords", "set")
        if self.totp_secret and role != Role.PARTNER_SYSTEM:
            _, created = totp_device_set_secret(user=user, secret_b32=self.totp_secret)
            self.count("authenticators", "created" if created else "unchanged")

        organisation = orgs[person.org]
        membership = Membership.objects.filter(user=user, network=network).first()
        if membership is None:
            membership = membership_add(
                user=user,
                network=network,
                role=role,
                organisation=organisation,
                job_title=person.job_title,
                by=None,
            )
            self.count("memberships", "created")
            return membership
        outcome = "unchanged"
        if not membership.is_active:
            membership = membership_reactivate(membership=membership, by=None)
            outcome = "updated"
        wanted = {"role": role, "organisation": organisation, "job_title": person.job_title}
        changed = [name for name, value in wanted.items() if getattr(membership, name) != value]
        if changed:
            for name in changed:
                setattr(membership, name, wanted[name])
            membership.full_clean(exclude=["user", "network", "organisation"])
            membership.save(update_fields=changed)
            outcome = "updated"
        self.count("memberships", outcome)
        return membership

    def seed_patient(
        self, network: Network, spec: DemoPatient, orgs: dict, members: dict, chair
    ) -> Patient:
        nhs_number = synthetic(spec.seed)
        patient = Patient.objects.filter(network=network, nhs_number=nhs_number).first()
        if patient is None:
            patient = patient_create(
                network=network,
                by=chair,
                clinical_allowed=True,
                nhs_number=nhs_number,
                given_name=spec.given_name,
                family_name=spec.family_name,
                date_of_birth=spec.date_of_birth,
                address=spec.address,
                postcode=spec.postcode,
                phone=spec.phone,
                gp_practice=orgs[spec.gp],
                care_home=orgs[spec.care_home] if spec.care_home else None,
                key_worker=members[spec.key_worker] if spec.key_worker else None,
                notes_for_visitors=spec.notes_for_visitors,
                social_needs=spec.social_needs,
                what_matters=spec.what_matters,
                frailty=spec.frailty,
                caseload_reason=spec.caseload_reason,
                clinical_notes=spec.clinical_notes,
            )
            consent_mdt, consent_sharing = spec.consent
            if (consent_mdt, consent_sharing) != (Consent.NOT_ASKED, Consent.NOT_ASKED):
                patient_record_consent(
                    patient=patient,
                    by=chair,
                    consent_mdt=consent_mdt,
                    consent_sharing=consent_sharing,
                )
            self.count("patients", "created")
        else:
            self.count("patients", "unchanged")

        on_team = set(
            CareTeamMember.objects.filter(patient=patient).values_list("membership_id", flat=True)
        )
        for role, involvement in spec.team:
            membership = members[role]
            if membership.pk in on_team:
                continue
            care_team_add(patient=patient, membership=membership, by=chair, involvement=involvement)
            self.count("care team members", "created")
        return patient

    def seed_actions(
        self, network: Network, spec: DemoNetwork, patients: dict, members: dict, chair
    ) -> None:
        titles = [a.title for a in spec.actions]
        if Action.objects.filter(network=network, title__in=titles).exists():
            self.count("actions", "unchanged", len(titles))
            return
        today = timezone.localdate()
        for demo in spec.actions:
            action_create(
                patient=patients[demo.patient_seed],
                by=chair,
                title=demo.title,
                details=demo.details,
                due_on=today + timedelta(days=demo.due_in_days),
                assignee=members[demo.assignee].user if demo.assignee else None,
                assignee_role=demo.queue,
            )
            self.count("actions", "created")

    def seed_services(self, network: Network) -> None:
        """Each service as this network runs it: the default serving roles and criteria,
        written out so that they can be changed in the admin."""
        for service in Service:
            self.upsert(
                ServiceConfig,
                "services",
                {"network": network, "service": service.value},
                {
                    "serving_roles": list(DEFAULT_SERVING_ROLES[service]),
                    "accepts": DEFAULT_ACCEPTS[service],
                    "active": True,
                },
                exclude=["network"],
            )

    def seed_referrals(
        self, network: Network, spec: DemoNetwork, patients: dict, members: dict, orgs: dict
    ) -> None:
        ensure_red_flags()
        if Referral.objects.filter(network=network).exists():
            self.count("referrals", "unchanged", len(spec.referrals))
            return
        flags = {f.code: f for f in RedFlag.objects.all()}
        chair = members[Role.CHAIR].user
        for demo in spec.referrals:
            raised = referral_create(
                patient=patients[demo.patient_seed],
                service=demo.service,
                reason=demo.reason,
                urgency=demo.urgency,
                by=members[demo.by].user,
                red_flags=[flags[code] for code in demo.flags],
                source_organisation=orgs[demo.source_org] if demo.source_org else None,
                source_contact=demo.source_contact,
            )
            referral = raised.referral
            triager = members[demo.triaged_by].user if demo.triaged_by else chair
            if demo.outcome in ("accepted", "completed"):
                referral = referral_accept(referral=referral, by=triager)
            if demo.outcome == "completed":
                referral_complete(referral=referral, by=triager)
            if demo.outcome.startswith("declined:"):
                _, reason, note = demo.outcome.split(":", 2)
                referral_decline(referral=referral, by=triager, reason=reason, note=note)
            self.count("referrals", "created", 1 + len(raised.flag_referrals))

    def seed_medicines(
        self, network: Network, spec: DemoNetwork, patients: dict, members: dict
    ) -> None:
        """A medication list for the first three people and two visits by the pharmacist."""
        if Visit.objects.filter(network=network).exists():
            self.count("visits", "unchanged", 2)
            return
        pharmacist = members[Role.PHARMACIST].user
        people = [patients[p.seed] for p in spec.patients[:3]]
        for person in people:
            for name, strength, amount, frequency in DEMO_MEDICINES:
                medication_add(
                    patient=person,
                    by=pharmacist,
                    name=name,
                    strength=strength,
                    dose_amount=amount,
                    dose_unit="tablet",
                    frequency=frequency,
                    prescriber="GP practice",
                )
                self.count("medicines", "created")
        now = timezone.now()
        visit_log(
            patient=people[0],
            by=pharmacist,
            kind="home",
            visited_at=now - timedelta(days=6),
            summary="Medication review at home with her daughter; blister pack agreed.",
            observations={
                "systolic_bp": 132,
                "diastolic_bp": 78,
                "pulse": 76,
                "respiratory_rate": 16,
                "temperature_c": "36.7",
                "spo2": 97,
                "consciousness": "alert",
            },
            interventions=[{"kind": "compliance_aid", "note": "Weekly blister pack"}],
        )
        visit_log(
            patient=people[1],
            by=pharmacist,
            kind="home",
            visited_at=now - timedelta(days=2),
            summary="Breathless and hot; GP asked to visit today.",
            observations={
                "systolic_bp": 104,
                "diastolic_bp": 62,
                "pulse": 112,
                "respiratory_rate": 23,
                "temperature_c": "38.4",
                "spo2": 94,
                "consciousness": "alert",
            },
        )
        self.count("visits", "created", 2)

    def seed_meetings(self, network: Network) -> None:
        created = meetings_schedule(network=network)
        self.count("meetings", "created" if created else "unchanged", created or 1)

    def report(self) -> None:
        kinds = dict.fromkeys(kind for kind, _ in self.tally)
        for kind in kinds:
            parts = [
                f"{self.tally[(kind, outcome)]} {outcome}"
                for outcome in ("created", "updated", "set", "unchanged")
                if self.tally[(kind, outcome)]
            ]
            self.stdout.write(f"{kind}: {', '.join(parts)}")
        slugs = ", ".join(spec.slug for spec in DEMO_NETWORKS)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({slugs}). Log in as <role>.<network>, e.g. "
                f"pharmacist.thornton-heath, with the DEMO_PASSWORD password."
                + (
                    " The security code comes from an authenticator app set up with "
                    "DEMO_TOTP_SECRET."
                    if self.totp_secret
                    else ""
                )
            )
        )

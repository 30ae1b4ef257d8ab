"""Synthetic data at scale, for `manage.py generate_synthetic` and the benchmarks.

Networks, organisations, staff and, for each person, one timeline in order: referrals and
their triage, red flags, MDT episodes with the meetings that discussed them, visits, tasks,
admissions, goals, medicines and the record itself. Everything is written with COPY, a chunk
of people per transaction (memory stays bounded), with ids taken here from the tables'
sequences in blocks (nextval, so no other writer can get the same id) so that children can
point at parents without a round trip.

The synthetic rows get no history (pghistory): its triggers are told to skip them
(`pgtrigger.ignore` for the transaction). This is not only for speed: each history trigger
opens plpgsql EXCEPTION blocks, and each of those scans the transaction's queue of deferred
foreign-key checks, so that a large insert costs O(N^2) (20,000 tracked rows: 13.8 s with the
triggers, 0.5 s without). Where the database user may (a superuser), all triggers are off
while writing (session_replication_role = replica): no trigger calls and no row-by-row
foreign-key checks, which instead are checked set-based, one anti-join per constraint over
each chunk's new rows, before its commit. 100,000 people and 1,000,000 referrals (3.4 million
rows) take about 100 s on two cores that way, about 165 s with the triggers on (--no-replica).

Marked as synthetic: networks whose slug starts `synthetic-`, users `synthetic.`, organisations
`SYN-`; `delete_synthetic` removes them and every row that cannot exist without them.
Deterministic: the same options (seed, sizes, --today) give the same data (not the same ids).
Fictional throughout: NHS numbers from the 999 range, Ofcom drama telephone numbers, a
postcode area (ZT) that does not exist, made-up places and organisations.
"""

from __future__ import annotations

import bisect
import calendar
import itertools
import json
import math
import random
import time
from array import array
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from psycopg import sql

from actions.models import Action
from core.nhs_number import check_digit
from core.workdays import is_working_day
from huddles.models import AgendaItem, Attendance, Episode, Meeting
from huddles.scheduling import slots
from medicines.models import Intervention, Medication, MedicationReview, Visit
from medicines.news2 import news2
from networks.models import Cover, Membership, Network, Organisation
from networks.roles import DEFAULT_SERVING_ROLES, Role, Service
from notifications.models import Preference
from patients.models import CareNeed, CareTeamMember, FrailtyAssessment, Goal, Patient
from referrals.catalogue import ensure_red_flags
from referrals.models import PatientFlag, RedFlag, Referral, ServiceConfig
from referrals.selectors import DEFAULT_ACCEPTS
from reports.models import AdmissionEvent, AdmissionImport

User = get_user_model()

# --- word lists (fictional) ---------------------------------------------------------------------

# fmt: off
# people

# Given names common among people born 1925-1960 in England, with a London mix.
GIVEN_FEMALE = (
    "Margaret", "Patricia", "Dorothy", "Joan", "Barbara", "Jean", "Betty", "Joyce", "Doris",
    "Eileen", "Irene", "Sheila", "Pamela", "Maureen", "Brenda", "Sylvia", "Valerie", "Shirley",
    "Mavis", "Edna", "Gladys", "Winifred", "Hilda", "Elsie", "Ivy", "Mabel", "Vera", "Kathleen",
    "Mary", "Elizabeth", "Susan", "Janet", "Christine", "Carol", "Ann", "Gillian", "Linda",
    "Rita", "Audrey", "Olive", "Gloria", "Hyacinth", "Marcia", "Beverley", "Kamala", "Savitri",
    "Pushpa", "Nirmala", "Amina", "Fatima", "Bridget", "Siobhan", "Teresa", "Agnieszka",
    "Halina", "Grace", "Comfort", "Esther", "Rosa", "Maria",
)
GIVEN_MALE = (
    "John", "David", "Michael", "Peter", "Robert", "Brian", "Alan", "Kenneth", "Ronald",
    "Raymond", "Derek", "Dennis", "Stanley", "Harold", "Arthur", "Albert", "Frederick",
    "Leonard", "Reginald", "Walter", "Ernest", "Frank", "George", "William", "James", "Thomas",
    "Roy", "Norman", "Colin", "Keith", "Trevor", "Terence", "Geoffrey", "Malcolm", "Barry",
    "Errol", "Winston", "Clifton", "Lloyd", "Vincent", "Rajesh", "Mohammed", "Abdul",
    "Harbhajan", "Gurdev", "Patrick", "Sean", "Desmond", "Tadeusz", "Kofi", "Samuel",
)
# The commonest surnames (four times as likely), then a diverse tail.
FAMILY_COMMON = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards",
    "Hughes", "Green", "Hall",
)
FAMILY_OTHER = (
    "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Clark", "Turner", "Hill",
    "Scott", "Cooper", "Morris", "Ward", "Moore", "King", "Watson", "Baker", "Harrison",
    "Morgan", "Patel", "Young", "Allen", "Mitchell", "James", "Anderson", "Phillips", "Lee",
    "Bell", "Parker", "Davis", "Shah", "Khan", "Begum", "Ali", "Hussain", "Singh", "Kaur",
    "Sharma", "Gupta", "Chowdhury", "Rahman", "Okafor", "Mensah", "Osei", "Adeyemi",
    "Okonkwo", "Campbell", "Baptiste", "Francis", "Grant", "Henry", "Reid", "Stewart",
    "Murphy", "Kelly", "O'Brien", "Byrne", "Ryan", "Walsh", "O'Connor", "Doyle", "Kowalski",
    "Nowak", "Wojcik", "Kaminski", "Lewandowski", "Papadopoulos", "Georgiou", "Rossi",
    "Ferreira", "Da Silva", "Pearce", "Beckett", "Stickland", "Hibbs", "Dowden", "Frampton",
    "Bugler", "Lander", "Hayter", "Pitman", "Whitfield", "Lynch", "Nair", "Menon", "Haddad",
    "Marsh", "Penrose", "Carter", "Tanner", "Aldridge", "Fairweather", "Dunning", "Hollis",
    "Garland", "Ashdown", "Pike", "Lowe", "Nash", "Chapman", "Ellis", "Webb", "Rogers",
    "Stevens", "Cook", "Bailey", "Richardson", "Cox", "Howard", "Fisher", "Bennett", "Gray",
    "Holmes", "Palmer", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker",
    "Fleming", "Gibson", "Mason", "Hunt", "Dixon", "Hart", "Fox", "Spencer", "Rose", "Bishop",
    "Marshall", "Owen", "Hammond", "Lamb", "Booth", "Kent", "Burton", "Sutton", "Cole",
    "Dawson", "Payne", "Pearson", "Day", "Jenkins", "Fletcher", "Burgess", "Saunders",
    "Hudson", "Ahmed", "Iqbal", "Mahmood", "Akhtar", "Nguyen", "Tran", "Wong", "Chen",
)
FAMILY = FAMILY_COMMON * 4 + FAMILY_OTHER

# places (fictional)

PLACES = (
    "Ashcombe Vale", "Brindle Heath", "Carrowmere", "Dunsford Green", "Eastwick Moor",
    "Fennick Cross", "Greyhallow", "Holloway Rise", "Ivymead", "Kestrel Park", "Larkspur Down",
    "Millbeck", "Northwold", "Oakhurst Common", "Pennybridge", "Quarry Bank",
)
STREETS = (
    "Station", "Church", "Victoria", "Albert", "Park", "Mill", "Chapel", "Grove", "Manor",
    "Queens", "Kings", "Windsor", "Orchard", "Beech", "Elm", "Cedar", "Willow", "Meadow",
    "Brook", "Highfield", "Spring", "Stanley", "Denmark", "Clarence", "Palmerston", "Belvedere",
    "Lancaster", "Gordon", "Havelock", "Tennyson", "Wordsworth", "Milton", "Cromwell", "Nelson",
)
STREET_KINDS = ("Road", "Street", "Avenue", "Close", "Lane", "Gardens", "Crescent", "Way")
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

PRACTICE_KINDS = ("Medical Practice", "Surgery", "Health Centre", "Group Practice")
CARE_HOME_NAMES = (
    "Heathfield Lodge", "Beulah Court", "Durlston View", "Frome Meadows", "The Limes",
    "Oakleigh House", "Rosebank", "Willowbrook", "Cedar Lodge", "St Anne's", "Harbour View",
    "Meadowcroft", "The Laurels", "Abbeyfield House", "Linden Court", "Magnolia House",
)
HOSPITALS = ("Synthetic University Hospital", "Synthetic General Hospital")

# staff

JOB_TITLES = {
    "chair": "Network facilitator",
    "gp": "GP partner",
    "pharmacist": "Clinical pharmacist",
    "pharmacy_technician": "Pharmacy technician",
    "social_worker": "Social worker",
    "community_nurse": "Community nurse",
    "pic": "Personal independence coordinator",
    "occupational_therapist": "Occupational therapist",
    "physiotherapist": "Physiotherapist",
    "integrated_manager": "Integrated health and social care manager",
    "manager": "Head of community services",
    "ig_lead": "Information governance lead",
    "partner_system": "Hospital discharge team's system account",
}

# referrals

REASONS = {
    "mdt": (
        "Discharged after a fall at home; lives alone and is struggling to manage.",
        "Back home after a chest infection; carers worried about breathlessness.",
        "Third emergency attendance this year; needs a joined-up plan.",
        "Heart failure with fluid overload; two admissions in three months.",
        "Family worried she is not coping; missing meals and medicines.",
        "COPD exacerbations every few weeks; rescue pack used twice this month.",
        "New diagnosis of dementia; wife is the main carer and exhausted.",
        "Frequent falls and confusion at night; possible UTI recurrence.",
        "Recently bereaved; self-neglect and weight loss reported by neighbours.",
        "End of life care planning; wishes to stay at home.",
    ),
    "medicines_optimisation": (
        "Bags of old tablets found in the kitchen; not sure what is current.",
        "Fourteen regular medicines; confused about timings since discharge.",
        "Several dispensing dates each month; boxes running out at different times.",
        "Struggling to open blister packs; asking for a compliance aid.",
        "New anticoagulant started in hospital; check the interactions.",
        "Dizzy on standing; blood pressure medicines may need review.",
        "Refusing some medicines; carer unsure what matters most.",
        "Swallowing difficulty; tablets need switching to liquids.",
        "Medication review after a fall.",
        "Time-critical Parkinson's medicines missed at home.",
    ),
    "social_services": (
        "Heating broken for a week; using the oven for warmth.",
        "Carer not coping; asking for respite.",
        "Needs a package of care after discharge.",
        "Living on takeaways; not managing shopping or cooking.",
        "Concerns about financial exploitation by a neighbour.",
        "Home in poor condition; signs of self-neglect.",
        "Housing disrepair; landlord not responding.",
        "Needs a carer's assessment for his wife.",
    ),
    "pic": (
        "Lonely since her husband died; has stopped going out.",
        "Used to go to a lunch club; would like to go again.",
        "Keeps getting on the wrong bus; has stopped leaving the house.",
        "Would like help with a benefits check and a blue badge.",
        "Wants to get back to church on Sundays.",
        "Interested in befriending and a weekly phone call.",
    ),
    "occupational_therapy": (
        "Not been upstairs for months; sleeping in the armchair.",
        "Struggling with the bath; needs an assessment for equipment.",
        "Getting in and out of bed is difficult since discharge.",
        "Toilet is upstairs; needs a commode or a stair lift assessment.",
        "Kitchen safety concerns after a small fire.",
    ),
    "physiotherapy": (
        "Two falls in a month; unsteady on the stairs.",
        "Deconditioned after a long admission; walking much less.",
        "Rehabilitation after a hip fracture.",
        "Strength and balance programme after falls.",
        "Breathless on walking; pulmonary rehabilitation referral.",
    ),
    "community_nursing": (
        "Leg ulcer needs dressing twice a week.",
        "Pressure area red over the sacrum.",
        "Catheter care and review.",
        "Weights and fluid monitoring for heart failure.",
        "Insulin administration; cannot manage own injections.",
        "Post-discharge observations after pneumonia.",
        "Syringe driver may be needed; end of life care.",
    ),
    "gp": (
        "New or worsening memory problems; please review.",
        "Weight loss of 5 kg in two months.",
        "Blood pressure high at two visits.",
        "Possible UTI; more confused than usual.",
        "Review of pain relief; not sleeping.",
        "Advance care planning conversation requested by family.",
    ),
}
DECLINE_NOTES = {
    "inappropriate": (
        "Not for this service; suggest the GP.",
        "Does not meet the criteria for this service.",
        "Better met by the falls team.",
    ),
    "already_known": (
        "Already on our caseload.",
        "Seen by the team last week.",
        "Duplicate of an open referral.",
    ),
    "outside_area": ("Registered with a practice outside the network.", ""),
    "person_declined": (
        "Spoke to her; she does not want the service at the moment.",
        "Declined a visit; happy to be re-referred.",
        "",
    ),
    "other": (
        "Moved into a nursing home out of area.",
        "Admitted to hospital before contact; re-refer on discharge.",
        "Died before contact.",
    ),
}
SOURCE_CONTACTS = {
    "nhs_trust": (
        "Ward 7 discharge team, 020 7946 0700",
        "Discharge hub, 01632 960100",
        "Frailty unit, 020 7946 0710",
        "Acute medical unit, 01632 960140",
    ),
    "gp_practice": ("Practice nurse, 020 7946 0240", "Reception manager, 01632 960230"),
    "care_home": ("Nurse in charge, 020 7946 0550", "Home manager, 01632 960550"),
    "council": ("Adult social care front door, 020 7946 0330",),
}

# caseload, goals, notes

CASELOAD_REASONS = (
    "Discharged after a fall; lives alone",
    "Heart failure; two admissions with fluid overload this year",
    "COPD; several A&E attendances this winter",
    "Frailty and polypharmacy; carers worried about medicines",
    "Dementia; carer strain",
    "Recurrent UTIs and delirium",
    "Parkinson's; time-critical medicines and falls",
    "End of life care; wishes to die at home",
    "Care-home resident; frequent hospital transfers",
    "Lonely and not eating well since bereavement",
    "Diabetes with hypoglycaemic episodes",
    "Leg ulcers and reduced mobility",
)
CONDITIONS = (
    "AF on apixaban", "Heart failure (HFrEF)", "COPD", "Type 2 diabetes", "CKD stage 3",
    "Hypertension", "Osteoporosis", "Osteoarthritis of both knees", "Parkinson's disease",
    "Alzheimer's dementia", "Vascular dementia", "Previous stroke", "Macular degeneration",
    "Depression", "Hypothyroidism", "Prostate cancer (stable)", "Breast cancer (in remission)",
    "Peripheral vascular disease", "Anaemia", "Recurrent UTIs",
)
SOCIAL_NEEDS = (
    "Lives alone. Daughter phones on Sundays.",
    "Lives with her husband, who has dementia; she is his main carer.",
    "Twice-daily carers since discharge.",
    "Second-floor flat; the lift is often out of order.",
    "No family nearby; neighbour does the shopping.",
    "Son lives with him and works nights.",
    "Rural cottage, no bus; coal fire is the only heating.",
    "Speaks Gujarati; son interprets.",
    "Hard of hearing; prefers letters to phone calls.",
    "Carer strain; no break in two years.",
)
WHAT_MATTERS = (
    "Staying in my own home.",
    "Getting to church on Sundays.",
    "Seeing my grandchildren.",
    "Walking the dog along the river again.",
    "Going back to the lunch club.",
    "Sleeping upstairs in my own bed.",
    "Looking after my wife at home for as long as I can.",
    "Cooking for the family again.",
    "Watching the football with my grandson.",
    "Not going back into hospital.",
    "Doing my own shopping.",
    "Keeping my garden going.",
)
NOTES_FOR_VISITORS = (
    "Registered blind; knock loudly and say who you are.",
    "Friendly dog; ask for it to be shut in the kitchen.",
    "Key safe; code held by the care agency. Ring before visiting.",
    "Please visit after 11am.",
    "Hard of hearing; ring the bell on the side gate.",
    "Park at the farm gate and walk up.",
    "Lacks capacity for these decisions; speak to the daughter (LPA).",
)
CLINICAL_NOTES = (
    "ReSPECT form in place.",
    "Advance care plan agreed with family.",
    "Weighs himself daily.",
    "Rescue pack at home.",
    "SALT advice: IDDSI level 4 diet.",
    "Anticipatory medicines in the home.",
    "",
)
GOALS = (
    "Walk to the corner shop again",
    "Get to the Tuesday lunch club",
    "Sleep upstairs in my own bed",
    "See my granddaughter's school play",
    "Manage my own tablets with a dosette box",
    "Get back to church on Sundays",
    "Have a bath safely",
    "Go to the garden centre with my daughter",
    "Stay at home through the winter",
    "Make new friends at the community centre",
    "Cook my own dinner twice a week",
    "Get the garden tidy for the summer",
)
GOAL_NOTES = {
    "met": ("Managed it with a walking frame.", "Goes every week now.", ""),
    "partly_met": ("Manages on good days.", "Needs a carer with her.", ""),
    "not_met": ("Too unwell this winter.", "Changed her mind.", ""),
}
INVOLVEMENT = {
    "mdt": "MDT case management",
    "medicines_optimisation": "Medication review",
    "social_services": "Care package and social needs",
    "pic": "Befriending and community links",
    "occupational_therapy": "Home assessment and equipment",
    "physiotherapy": "Strength, balance and mobility",
    "community_nursing": "Nursing care",
    "gp": "GP review",
}

# meetings

ITEM_NOTES = (
    "Discussed with the team; plan agreed.",
    "Improving; carers report she is eating better.",
    "Still breathless; GP to review this week.",
    "Medicines rationalised; blister pack from Monday.",
    "Family meeting held; daughter happy with the plan.",
    "Fell again at the weekend; no injury.",
    "Package of care started; going well.",
    "Mood low; PIC to visit.",
)
DISCHARGE_REASONS = {
    "yes": (
        "Stable at home with the package of care; admission avoided.",
        "Medicines sorted and no falls since; would have been admitted.",
        "Managed the exacerbation at home with the rescue pack.",
    ),
    "no": (
        "Admitted despite the plan; discharged from the caseload.",
        "Declined further input.",
        "Moved to a nursing home.",
    ),
    "unsure": (
        "Stable, but hard to say whether an admission was avoided.",
        "Improved; unclear what made the difference.",
    ),
}
CANCELLED_REASONS = ("Bank holiday", "Chair on leave; agenda moved to the next meeting")

# actions

ACTION_TITLES = {
    "chair": ("Arrange a family meeting", "Update the care plan", "Chase the discharge summary"),
    "gp": (
        "Review blood pressure medicines",
        "Book bloods (U&E, FBC)",
        "Review pain relief",
        "Advance care planning conversation",
        "Refer to the memory clinic",
    ),
    "pharmacist": (
        "Structured medication review",
        "Check the dosette box with the pharmacy",
        "Ring the GP practice about the anticoagulant dose",
        "Deprescribing review",
    ),
    "pharmacy_technician": (
        "Set up a compliance aid with the community pharmacy",
        "Sort out repeat ordering",
        "Check which tablets can be switched to liquids",
        "Remove out-of-date medicines",
    ),
    "social_worker": (
        "Assess for a care package",
        "Arrange a carer's assessment",
        "Chase the council about the heating repair",
        "Safeguarding check",
    ),
    "community_nurse": (
        "Weekly weights and fluid review",
        "Review pressure areas",
        "Dressing change and wound review",
        "Post-discharge observations",
    ),
    "pic": (
        "Befriending referral and lunch club place",
        "Benefits check",
        "Link with the good neighbour scheme",
        "Ask about a winter fuel grant",
    ),
    "occupational_therapist": (
        "Home assessment: stair rail and bed downstairs",
        "Deliver commode and bath board",
        "Kitchen safety assessment",
    ),
    "physiotherapist": (
        "Falls assessment at home",
        "Start a strength and balance programme",
        "Walking aid review",
    ),
    "integrated_manager": ("Escalate the care package delay", "Review the complex case"),
}
MANUAL_ACTIONS = (
    "Ring the daughter about the care package",
    "Chase the hospital letter",
    "Check how she is after the weekend",
    "Follow up the equipment order",
)

# visits and medicines

VISIT_SUMMARIES = (
    "Medication review at home with her daughter; blister pack agreed.",
    "Reviewed all medicines; two stopped, GP informed.",
    "Breathless and hot; GP asked to visit today.",
    "Stockpile of old medicines removed with consent.",
    "Inhaler technique checked and corrected.",
    "Well today; observations normal; no changes.",
    "Dizzy on standing; ramipril dose reduced with the GP.",
    "Carer shown how to use the compliance aid.",
)
INTERVENTION_NOTES = {
    "stopped": "No longer indicated.",
    "started": "Agreed with the GP.",
    "dose_changed": "Dose reduced; review in four weeks.",
    "compliance_aid": "Weekly blister pack from the community pharmacy.",
    "rationalised": "Timings simplified to twice a day.",
    "other": "Advice given.",
}
REVIEW_ACTIONS = (
    "GP to review the blood pressure medicines.",
    "Pharmacy to start a weekly blister pack.",
    "Recheck kidney function in two weeks.",
    "",
)
STOP_REASONS = ("Side effects", "No longer needed", "Replaced by an alternative", "Dizziness")
# name, strength, form, dose amount, dose unit, frequency, route
MEDICINES = (
    ("Amlodipine", "5 mg", "tablet", "1", "tablet", "once_daily", "oral"),
    ("Ramipril", "2.5 mg", "capsule", "1", "capsule", "once_daily", "oral"),
    ("Atorvastatin", "20 mg", "tablet", "1", "tablet", "at_night", "oral"),
    ("Metformin", "500 mg", "tablet", "1", "tablet", "twice_daily", "oral"),
    ("Bisoprolol", "2.5 mg", "tablet", "1", "tablet", "once_daily", "oral"),
    ("Apixaban", "2.5 mg", "tablet", "1", "tablet", "twice_daily", "oral"),
    ("Furosemide", "40 mg", "tablet", "1", "tablet", "once_daily", "oral"),
    ("Levothyroxine", "50 micrograms", "tablet", "1", "tablet", "once_daily", "oral"),
    ("Omeprazole", "20 mg", "capsule", "1", "capsule", "once_daily", "oral"),
    ("Lansoprazole", "15 mg", "capsule", "1", "capsule", "once_daily", "oral"),
    ("Paracetamol", "500 mg", "tablet", "2", "tablet", "four_times_daily", "oral"),
    ("Sertraline", "50 mg", "tablet", "1", "tablet", "once_daily", "oral"),
    ("Mirtazapine", "15 mg", "tablet", "1", "tablet", "at_night", "oral"),
    ("Donepezil", "10 mg", "tablet", "1", "tablet", "at_night", "oral"),
    ("Co-careldopa", "25 mg/100 mg", "tablet", "1", "tablet", "three_times_daily", "oral"),
    ("Salbutamol", "100 micrograms/dose", "inhaler", "2", "puff", "as_required", "inhaled"),
    ("Beclometasone/formoterol", "100/6", "inhaler", "2", "puff", "twice_daily", "inhaled"),
    ("Alendronic acid", "70 mg", "tablet", "1", "tablet", "weekly", "oral"),
    ("Calcium and vitamin D3", "1.5 g/400 unit", "tablet", "1", "tablet", "twice_daily", "oral"),
    ("Gliclazide", "80 mg", "tablet", "1", "tablet", "twice_daily", "oral"),
    ("Morphine sulfate", "10 mg/5 ml", "liquid", "2.5", "ml", "as_required", "oral"),
    ("Lactulose", "3.35 g/5 ml", "liquid", "10", "ml", "twice_daily", "oral"),
    ("Senna", "7.5 mg", "tablet", "2", "tablet", "at_night", "oral"),
    ("Tamsulosin", "400 micrograms", "capsule", "1", "capsule", "once_daily", "oral"),
    ("Latanoprost", "50 micrograms/ml", "drops", "1", "drop", "at_night", "eye"),
    ("Buprenorphine", "5 micrograms/hour", "patch", "1", "patch", "weekly", "transdermal"),
    ("Gabapentin", "300 mg", "capsule", "1", "capsule", "three_times_daily", "oral"),
    ("Amitriptyline", "10 mg", "tablet", "1", "tablet", "at_night", "oral"),
    ("Doxazosin", "2 mg", "tablet", "1", "tablet", "once_daily", "oral"),
    ("Digoxin", "62.5 micrograms", "tablet", "1", "tablet", "once_daily", "oral"),
    ("Spironolactone", "25 mg", "tablet", "1", "tablet", "once_daily", "oral"),
    ("Ferrous fumarate", "210 mg", "tablet", "1", "tablet", "twice_daily", "oral"),
    ("Folic acid", "5 mg", "tablet", "1", "tablet", "once_daily", "oral"),
    ("Colecalciferol", "800 unit", "capsule", "1", "capsule", "once_daily", "oral"),
    ("Emollient cream", "", "cream", "1", "application", "as_required", "topical"),
    ("Insulin glargine", "100 units/ml", "injection", "10", "unit", "at_night", "subcutaneous"),
)
PRESCRIBERS = ("GP practice", "Hospital discharge", "Community pharmacist", "")
# fmt: on


# --- settings of the data set -------------------------------------------------------------------

LONDON = ZoneInfo("Europe/London")
INF = float("inf")
HOUR = 3600.0
DAY = 86400.0
SLUG_PREFIX = "synthetic-"
USERNAME_PREFIX = "synthetic."
ORG_PREFIX = "SYN-"
EMAIL_DOMAIN = "synthetic.example.invalid"
PEOPLE_PER_CHUNK = 5000  # people (and everything about them) per transaction
ID_BLOCK = 10_000  # ids taken from a sequence at a time
UNUSABLE_PASSWORD = "!synthetic"  # starts with "!": Django never accepts it
TARGET_AGENDA = 32  # people discussed per meeting, on average (more lately: referrals grow)
AGENDA_CAP = 60  # a full agenda: the next person waits for the next meeting
ITEMS_PER_EPISODE = 2.65  # agenda items per MDT episode (DISCUSSIONS, plus "not reached")

# The staff of a network: one of each role, then more of the roles with the most work.
ROLES_ONCE = (
    "chair", "gp", "pharmacist", "pharmacy_technician", "social_worker", "community_nurse",
    "pic", "occupational_therapist", "physiotherapist", "integrated_manager", "manager",
    "partner_system", "ig_lead",
)  # fmt: skip
ROLES_MORE = (
    "community_nurse", "pharmacist", "gp", "social_worker", "pharmacy_technician",
    "occupational_therapist", "physiotherapist", "pic", "community_nurse", "pharmacist",
    "social_worker", "gp", "community_nurse",
)  # fmt: skip
CASEWORK = (
    "gp", "pharmacist", "pharmacy_technician", "social_worker", "community_nurse", "pic",
    "occupational_therapist", "physiotherapist",
)  # fmt: skip
# Who triages each service (pharmacists more often than technicians).
TRIAGERS = {
    "mdt": ("chair",),
    "medicines_optimisation": ("pharmacist", "pharmacist", "pharmacy_technician"),
    "social_services": ("social_worker",),
    "pic": ("pic",),
    "occupational_therapy": ("occupational_therapist",),
    "physiotherapy": ("physiotherapist",),
    "community_nursing": ("community_nurse",),
    "gp": ("gp",),
}
QUEUE_ROLE = {service: roles[0] for service, roles in TRIAGERS.items()}
# Each service's share of the referrals (the MDT's share comes from its meetings' capacity).
SERVICE_MIX = {
    "medicines_optimisation": 26,
    "community_nursing": 16,
    "social_services": 14,
    "gp": 10,
    "occupational_therapy": 9,
    "physiotherapy": 9,
    "pic": 8,
}
# Days an accepted referral stays open (uniform between the two).
OPEN_DAYS = {
    "medicines_optimisation": (14, 60),
    "community_nursing": (14, 120),
    "social_services": (20, 150),
    "pic": (30, 180),
    "occupational_therapy": (20, 100),
    "physiotherapy": (20, 90),
    "gp": (3, 30),
}
ACCEPT_RATE = {"mdt": 0.86, "gp": 0.84, "pic": 0.9}  # of those triaged; else 0.86
DECLINE_REASONS = (
    ("inappropriate", 40),
    ("person_declined", 25),
    ("already_known", 15),
    ("outside_area", 10),
    ("other", 10),
)
# Working days from referral to triage, for routine referrals; urgent: the same or next day.
ROUTINE_WAIT = ((0, 15), (1, 35), (2, 25), (3, 13), (4, 7), (5, 2), (7, 2), (10, 1))
LONG_WAIT = {"occupational_therapy": 0.10, "physiotherapy": 0.10, "social_services": 0.06}
# Referrals nobody has triaged yet, however old: the inboxes' backlog, growing with the
# referrals (a + b * (how far into the window)^2).
STALE = (0.005, 0.08)
DUPLICATE = 0.2  # chance of referring to a service that already has the person open
WITHDRAWN = 0.035
RED_FLAG_SHARE = 0.15  # referrals raised by a red flag
DISCUSSIONS = ((1, 20), (2, 35), (3, 25), (4, 12), (5, 5), (6, 3))  # per MDT episode
NOT_REACHED = 0.04
ANSWERS = (("yes", 60), ("unsure", 22), ("no", 18))  # "have we avoided an admission?"
READMITTED = {"yes": 0.10, "unsure": 0.18, "no": 0.32}  # emergency admission within 90 days
EMERGENCY_PER_YEAR = {None: 0.15, "fit": 0.08, "mild": 0.15, "moderate": 0.3, "severe": 0.5}
VISITS_PER_DAY = 2.5  # per pharmacist or technician and working day: the rest are desk reviews
MEETING_ACTIONS = ((0, 40), (1, 40), (2, 20))  # per person discussed
MEETING_ACTION_ROLES = (
    ("community_nurse", 20), ("pharmacist", 18), ("social_worker", 16), ("gp", 14),
    ("pic", 10), ("occupational_therapist", 8), ("physiotherapist", 7),
    ("pharmacy_technician", 5), ("chair", 2),
)  # fmt: skip
REVIEW_OUTCOMES = (
    ("no_change", 30),
    ("changes_made", 35),
    ("changes_recommended", 25),
    ("referred", 10),
)
INTERVENTIONS = (
    ("stopped", 30),
    ("dose_changed", 25),
    ("compliance_aid", 15),
    ("rationalised", 15),
    ("started", 10),
    ("other", 5),
)
EFI = {"fit": (0.02, 0.12), "mild": (0.13, 0.24), "moderate": (0.25, 0.36), "severe": (0.37, 0.6)}
FRAILTY_LEVELS = ("fit", "mild", "moderate", "severe")
CARE_NEEDS = tuple(CareNeed.values)
# Cadence of the networks in turn: vocabulary, cadence, weekdays, time.
CADENCES = (
    ("icn", "fortnightly", [1], dtime(13, 0)),
    ("hub", "twice_weekly", [0, 3], dtime(9, 30)),
    ("icn", "weekly", [2], dtime(12, 30)),
)
# Meetings between reviews of a person on the caseload.
REVIEW_GAP = {"fortnightly": (1, 2), "weekly": (1, 3), "twice_weekly": (2, 6)}
MEDICINE_ROWS = tuple(
    (name, strength, form, Decimal(amount), unit, frequency, route)
    for name, strength, form, amount, unit, frequency, route in MEDICINES
)


class Picker:
    """A weighted choice by bisection (one draw: faster than random.choices)."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, pairs):
        pairs = list(pairs)
        self.items = [item for item, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def __call__(self, rng):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


pick_decline = Picker(DECLINE_REASONS)
pick_wait = Picker(ROUTINE_WAIT)
pick_discussions = Picker(DISCUSSIONS)
pick_answer = Picker(ANSWERS)
pick_meeting_actions = Picker(MEETING_ACTIONS)
pick_action_role = Picker(MEETING_ACTION_ROLES)
pick_review = Picker(REVIEW_OUTCOMES)
pick_intervention = Picker(INTERVENTIONS)


@dataclass
class Options:
    people: int = 100_000
    referrals: int | None = None  # default: 10 per person
    networks: int = 6
    practices: int = 50
    staff_per_network: int = 25
    seed: int = 1
    months: int = 24
    today: date | None = None  # the data ends at the midnight that starts this day
    password: str | None = None
    replica_role: bool = True  # switch triggers off when allowed (checking keys set-based)

    def __post_init__(self):
        if self.referrals is None:
            self.referrals = 10 * self.people


def month_back(day: date, months: int) -> date:
    """The same day `months` months earlier (later when negative), clamped to the month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@lru_cache(maxsize=1)
def history_triggers() -> str:
    """The pghistory triggers (only those: not, say, the audit trail's protection), as the
    value of the `pgtrigger.ignore` setting."""
    import pghistory.trigger
    from pgtrigger import registry

    names = sorted(
        {
            trigger.get_pgid(model)
            for model, trigger in registry.registered()
            if isinstance(trigger, pghistory.trigger.Event)
        }
    )
    return "{" + ",".join(names) + "}"


@contextmanager
def writing(replica: bool):
    """For the current transaction: no history (`pgtrigger.ignore` for pghistory's triggers)
    and, with `replica`, no triggers at all (session_replication_role). Both are put back
    afterwards: inside a test's transaction, SET LOCAL would outlast the savepoint. (On an
    error the transaction or savepoint is rolled back, and the settings with it.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('pgtrigger.ignore', true), "
            "current_setting('session_replication_role')"
        )
        ignored, role = cursor.fetchone()
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [history_triggers()])
        if replica:
            cursor.execute("SET LOCAL session_replication_role = replica")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [ignored or "{}"])
        cursor.execute("SELECT set_config('session_replication_role', %s, true)", [role])


class Calendar:
    """Days as indices from `first`: local midnight as a Unix time, working days, and the n-th
    working day after a day, by table lookup (a million referrals need it fast)."""

    def __init__(self, first: date, last: date):
        self.first = first
        count = (last - first).days + 1
        self.dates = [first + timedelta(days=i) for i in range(count)]
        self.midnight = []
        for day in self.dates:
            offset = LONDON.utcoffset(datetime(day.year, day.month, day.day, 12))
            self.midnight.append(calendar.timegm(day.timetuple()) - offset.total_seconds())
        self.origin = self.midnight[0]
        self.working = [is_working_day(day) for day in self.dates]
        self.working_days = [i for i, working in enumerate(self.working) if working]
        self.worked = list(itertools.accumulate(self.working))  # up to and including the day

    def index(self, day: date) -> int:
        return (day - self.first).days

    def day_of(self, ts: float) -> int:
        """The local day of a time (hours on clock-change days are off by at most one)."""
        k = int((ts - self.origin) // DAY)
        if ts < self.midnight[k]:
            return k - 1
        if ts >= self.midnight[k + 1]:
            return k + 1
        return k

    def at(self, k: int, seconds: float) -> float:
        """Day k at a local time (seconds after midnight; 02:00 or later on clock changes)."""
        return self.midnight[k] + seconds

    def add_working(self, k: int, n: int) -> int:
        """The n-th working day after day k (n = 0: k if it is a working day, else the next)."""
        if n <= 0:
            return k if self.working[k] else self.working_days[self.worked[k]]
        return self.working_days[self.worked[k] + n - 1]


class Table:
    """COPY into a model's table: the fields given, then every other concrete column with its
    default (so a field added later with a default needs no change here)."""

    def __init__(self, model, fields: tuple[str, ...]):
        from django.db.models import JSONField
        from django.db.models.fields import NOT_PROVIDED

        meta = model._meta
        self.model = model
        self.name = meta.db_table
        self.numbered = fields[0] == "id"  # ids given here, in increasing order
        given = [meta.get_field(name) for name in fields]
        names = {f.attname for f in given}
        columns = [f.column for f in given]
        tail = []
        for f in meta.concrete_fields:
            if f.attname in names or f.primary_key or f.db_default is not NOT_PROVIDED:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                raise ImproperlyConfigured(f"{meta.label}.{f.name}: the builder must set it")
            if f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif f.empty_strings_allowed:
                value = ""
            else:
                raise ImproperlyConfigured(f"{meta.label}.{f.name} has no default to copy")
            columns.append(f.column)
            tail.append(json.dumps(value) if isinstance(f, JSONField) else value)
        self.tail = tuple(tail)
        quoted = ", ".join(f'"{c}"' for c in columns)
        self.sql = f'COPY "{self.name}" ({quoted}) FROM STDIN'


@dataclass
class Stat:
    rows: int = 0
    seconds: float = 0.0


TABLES = {
    "org": (Organisation, ("id", "code", "name", "kind", "address", "phone")),
    "network": (
        Network,
        (
            "id", "slug", "name", "vocabulary", "cadence", "meeting_weekdays", "meeting_time",
            "schedule_anchor", "meeting_minutes", "created_at",
        ),
    ),
    "practices": (Network.gp_practices.through, ("network", "organisation")),
    "homes": (Network.care_homes.through, ("network", "organisation")),
    "user": (
        User,
        (
            "id", "password", "username", "first_name", "last_name", "email", "is_active",
            "is_staff", "is_superuser", "date_joined",
        ),
    ),
    "membership": (
        Membership,
        ("id", "user", "network", "role", "organisation", "job_title", "is_active", "created_at"),
    ),
    "service": (ServiceConfig, ("network", "service", "serving_roles", "accepts")),
    "preference": (Preference, ("user", "email", "updated_at")),
    "cover": (
        Cover,
        ("network", "member", "deputy", "starts_on", "ends_on", "note", "created_by", "created_at"),
    ),
    "meeting": (
        Meeting,
        (
            "id", "network", "scheduled_for", "starts_at", "status", "chair", "cancelled_reason",
            "closed_at", "created_at",
        ),
    ),
    "attendance": (Attendance, ("meeting", "user", "present")),
    "import": (
        AdmissionImport,
        ("id", "network", "filename", "uploaded_by", "uploaded_at", "status", "decided_at"),
    ),
    "patient": (
        Patient,
        (
            "id", "network", "nhs_number", "given_name", "family_name", "date_of_birth",
            "address", "postcode", "phone", "gp_practice", "care_home", "key_worker",
            "notes_for_visitors", "social_needs", "what_matters", "frailty", "caseload_reason",
            "clinical_notes", "care_needs", "consent_mdt", "consent_sharing",
            "consent_recorded_by", "consent_recorded_at", "created_at", "created_by",
            "updated_at",
        ),
    ),
    "referral": (
        Referral,
        (
            "id", "network", "patient", "service", "reason", "urgency", "status", "origin",
            "referred_by", "source_organisation", "source_contact", "created_at", "triaged_at",
            "triaged_by", "decline_reason", "decline_note", "closed_at", "closed_by",
        ),
    ),
    "flag": (
        PatientFlag,
        (
            "patient", "flag", "referral", "raised_from", "note", "raised_by", "raised_at",
            "resolved_at", "resolved_by", "resolution",
        ),
    ),
    "episode": (
        Episode,
        (
            "patient", "network", "referral", "opened_at", "closed_at", "admission_avoided",
            "closing_reason",
        ),
    ),
    "item": (
        AgendaItem,
        (
            "id", "meeting", "patient", "source", "reason", "referral", "position", "status",
            "notes", "decision", "next_review_on", "admission_avoided", "decision_reason",
            "decided_at", "decided_by", "version", "updated_at",
        ),
    ),
    "action": (
        Action,
        (
            "id", "network", "patient", "title", "details", "assignee", "assignee_role",
            "due_on", "status", "source", "agenda_item", "claimed_from_role", "claimed_at",
            "created_by", "created_at", "done_at", "done_by",
        ),
    ),
    "visit": (
        Visit,
        (
            "id", "network", "patient", "kind", "visitor", "joint_visitor", "visited_at",
            "infection_risk", "lone_working_risk", "preference", "summary", "systolic_bp",
            "diastolic_bp", "pulse", "respiratory_rate", "temperature_c", "spo2", "on_oxygen",
            "spo2_scale", "consciousness", "news2_score", "news2_complete", "follow_up_on",
            "follow_up_action", "created_at",
        ),
    ),
    "intervention": (Intervention, ("visit", "kind", "medicine", "note")),
    "review": (
        MedicationReview,
        ("patient", "visit", "reviewed_on", "reviewer", "outcome", "agreed_actions", "created_at"),
    ),
    "medication": (
        Medication,
        (
            "patient", "name", "form", "strength", "dose_amount", "dose_unit", "frequency",
            "route", "started_on", "stopped_on", "stop_reason", "prescriber", "compliance_aid",
            "created_by", "created_at",
        ),
    ),
    "team": (CareTeamMember, ("patient", "membership", "involvement", "added_by", "added_at")),
    "frailty": (
        FrailtyAssessment,
        ("patient", "frailty", "efi_score", "assessed_on", "recorded_by", "recorded_at"),
    ),
    "goal": (
        Goal,
        (
            "patient", "description", "agreed_on", "agreed_by", "outcome", "outcome_on",
            "outcome_by", "outcome_note",
        ),
    ),
    "admission": (
        AdmissionEvent,
        (
            "network", "patient", "admitted_on", "kind", "source", "admission_import",
            "recorded_by", "recorded_at",
        ),
    ),
}  # fmt: skip
PER_PERSON = (  # in the order they are copied: parents first
    "patient", "referral", "flag", "episode", "item", "action", "visit", "intervention",
    "review", "medication", "team", "frailty", "goal", "admission",
)  # fmt: skip
NUMBERED = {  # per-person tables whose ids are handed out here (children point at them)
    "patient": Patient,
    "referral": Referral,
    "item": AgendaItem,
    "action": Action,
    "visit": Visit,
}


class Builder:
    """Builds the data set; `report` says what it wrote and how fast."""

    def __init__(self, options: Options, say=None):
        self.o = options
        self.say = say or (lambda line: None)
        self.stats: dict[str, Stat] = {}
        self.started = time.perf_counter()
        self.generating = 0.0  # seconds of Python making rows
        self.checking = 0.0  # seconds of foreign-key checks
        self.t = {name: Table(model, fields) for name, (model, fields) in TABLES.items()}
        self.pools: dict = {}
        self.written: dict = {}
        self.fast = False

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    # --- the database ----------------------------------------------------------------------------

    def new(self, model) -> int:
        """The next id for `model`, from blocks of the model's sequence (nextval, so that other
        writers can never be given the same id; gaps are harmless)."""
        pool = self.pools.get(model)
        if pool is None:
            pool = self.pools[model] = [[], 0, model._meta.db_table]
        ids, i, _ = pool
        if i >= len(ids):
            ids, i = self.take(model, ID_BLOCK), 0
            pool[0] = ids
        pool[1] = i + 1
        return ids[i]

    @staticmethod
    def take(model, n: int) -> list[int]:
        """n new ids from the model's sequence, in order."""
        if n <= 0:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'id'))) "
                "FROM generate_series(1, %s)",
                [model._meta.db_table, n],
            )
            return sorted(cursor.fetchone()[0])

    def copy(self, name: str, rows: list) -> None:
        table = self.t[name]
        stat = self.stats.setdefault(table.name, Stat())
        if not rows:
            return
        started = time.perf_counter()
        if table.numbered:
            low, high = rows[0][0], rows[-1][0]
        else:
            low = self.last_id(table.model) + 1
        tail = table.tail
        with connection.cursor() as cursor, cursor.cursor.copy(table.sql) as copy:
            write = copy.write_row
            if tail:
                for row in rows:
                    write(row + tail)
            else:
                for row in rows:
                    write(row)
        if not table.numbered:
            high = self.last_id(table.model)
        written = self.written.setdefault(table.model, [low, high])
        written[0], written[1] = min(written[0], low), max(written[1], high)
        stat.rows += len(rows)
        stat.seconds += time.perf_counter() - started

    @staticmethod
    def last_id(model) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')), 0)",
                [model._meta.db_table],
            )
            return cursor.fetchone()[0]

    @staticmethod
    def replica_allowed() -> bool:
        """Whether this database user may switch triggers off (session_replication_role): a
        superuser, or one granted SET on it."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                transaction.set_rollback(True)
        except DatabaseError:
            return False
        return True

    @contextmanager
    def batch(self):
        """One transaction of synthetic rows: no history; with the replica role, no triggers
        at all (the row-by-row foreign-key checks replaced by set-based ones); checked at the
        end (`check`)."""
        with transaction.atomic(), writing(self.fast):
            self.written = {}
            yield
            self.check()

    def check(self) -> None:
        """Every foreign key of the rows written in this transaction: with the replica role, one
        anti-join per foreign-key constraint (from the catalogue) over the new rows' ids; else
        the deferred triggers, now (inside a test's transaction they would never run)."""
        started = time.perf_counter()
        with connection.cursor() as django_cursor:
            cursor = django_cursor.cursor  # psycopg's, for sql.Composed
            if not self.fast:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for model, (low, high) in self.written.items():
                for name, column, parent, target in foreign_keys(cursor, model._meta.db_table):
                    cursor.execute(
                        sql.SQL(
                            "SELECT count(*) FROM {child} c WHERE c.id BETWEEN %s AND %s AND "
                            "c.{column} IS NOT NULL AND NOT EXISTS "
                            "(SELECT FROM {parent} p WHERE p.{target} = c.{column})"
                        ).format(
                            child=sql.Identifier(model._meta.db_table),
                            column=sql.Identifier(column),
                            parent=sql.Identifier(parent),
                            target=sql.Identifier(target),
                        ),
                        [low, high],
                    )
                    missing = cursor.fetchone()[0]
                    if missing:
                        raise IntegrityError(
                            f"{missing} new rows of {model._meta.db_table} point at no {parent} "
                            f"({name})"
                        )
        self.checking += time.perf_counter() - started

    # --- the run ---------------------------------------------------------------------------------

    def run(self) -> None:
        o = self.o
        self.today = o.today or timezone.localdate()
        start = month_back(self.today, o.months)
        self.cal = Calendar(start - timedelta(days=4 * 366), self.today + timedelta(days=400))
        self.k0 = self.cal.index(start)  # the first day of the window
        self.D = self.cal.index(self.today)  # the data ends at this day's midnight
        self.E = self.cal.midnight[self.D]
        self.fast = o.replica_role and self.replica_allowed()
        self.say(
            "checks: triggers off (session_replication_role = replica), foreign keys checked "
            "set-based per chunk"
            if self.fast
            else "checks: history triggers skipped (pgtrigger.ignore), foreign keys checked by "
            "their triggers (slower: the replica role needs a superuser)"
        )
        with self.batch():
            self.setup()
        self.say(
            f"setup: {len(self.nets)} networks, {self.o.practices} GP practices, "
            f"{self.staff} staff, {self.meetings:,} meetings ({self.elapsed():.1f} s)"
        )
        self.plan()
        self.say(f"plan: {o.people:,} people, {o.referrals:,} referrals ({self.elapsed():.1f} s)")
        for number, first in enumerate(range(0, o.people, PEOPLE_PER_CHUNK)):
            last = min(first + PEOPLE_PER_CHUNK, o.people)
            with self.batch():
                self.chunk(number, first, last)
            self.say(
                f"  people {last:,}/{o.people:,}, referrals "
                f"{self.stats['referrals_referral'].rows:,} ({self.elapsed():.1f} s)"
            )
        with transaction.atomic(), writing(replica=False):
            self.finish()
        self.analyse()

    # --- networks, organisations, staff, meetings ------------------------------------------------

    def setup(self) -> None:
        o, cal = self.o, self.cal
        dt = self.dt
        rng = random.Random(f"{o.seed}:setup")  # noqa: S311 (not secret)
        ensure_red_flags()
        self.flags = {
            code: (pk, routes_to, urgency, label)
            for pk, code, routes_to, urgency, label in RedFlag.objects.filter(active=True)
            .order_by("code")
            .values_list("id", "code", "routes_to", "default_urgency", "label")
        }
        self.flag_codes = sorted(self.flags)
        self.flags_by_service: dict[str, list[str]] = {}
        for code in self.flag_codes:
            self.flags_by_service.setdefault(self.flags[code][1], []).append(code)
        first_day = cal.dates[self.k0]
        since = cal.at(self.k0, 9 * HOUR) - 60 * DAY  # when the networks were set up

        # Organisations: a community trust, a hospital, the council, a charity; GP practices
        # and care homes.
        org_ids = iter(self.take(Organisation, 4 + o.practices + 4 * o.networks))
        orgs = []

        def org(code, name, kind, address="", phone=""):
            pk = next(org_ids)
            orgs.append((pk, ORG_PREFIX + code, name, kind, address, phone))
            return pk

        self.trust = org("TRUST", "Synthetic Community Health NHS Trust", "nhs_trust")
        self.hospital = org("HOSP", "Synthetic University Hospitals NHS Trust", "nhs_trust")
        self.council = org("LA", "Synthetic Borough Council", "council", "Town Hall")
        self.charity = org("VS", "Synthetic Age Concern", "voluntary_sector")
        places = [
            PLACES[i % len(PLACES)] + (f" {i // len(PLACES) + 1}" if i >= len(PLACES) else "")
            for i in range(o.networks)
        ]
        practices: list[list[int]] = [[] for _ in range(o.networks)]
        for p in range(o.practices):
            n = p % o.networks
            practices[n].append(
                org(
                    f"GP-{p + 1:03d}",
                    f"{rng.choice(STREETS)} {rng.choice(PRACTICE_KINDS)}, {places[n]}",
                    "gp_practice",
                    f"{rng.randint(1, 200)} {rng.choice(STREETS)} Road, {places[n]}",
                    f"020 7946 {rng.randint(0, 999):04d}",
                )
            )
        homes: list[list[tuple]] = []
        for n in range(o.networks):
            homes.append([])
            for h in range(4):
                number = 4 * n + h
                name = f"{CARE_HOME_NAMES[number % len(CARE_HOME_NAMES)]} Care Home"
                address = f"{rng.randint(1, 90)} {rng.choice(STREETS)} Road, {places[n]}"
                phone = f"01632 960{rng.randint(500, 599):03d}"
                pk = org(f"CH-{number + 1:03d}", name, "care_home", address, phone)
                homes[n].append((pk, address, phone))
        self.copy("org", orgs)

        # Networks, with their GP practices and services.
        net_ids = self.take(Network, o.networks)
        rows, through, home_links, services = [], [], [], []
        sizes = [rng.uniform(0.7, 1.3) for _ in range(o.networks)]
        self.nets = []
        for n in range(o.networks):
            vocabulary, cadence, weekdays, at = CADENCES[n % len(CADENCES)]
            slug = SLUG_PREFIX + slugify(places[n])
            net = SimpleNamespace(
                n=n,
                id=net_ids[n],
                slug=slug,
                short=slug.removeprefix(SLUG_PREFIX),
                place=places[n],
                vocabulary=vocabulary,
                cadence=cadence,
                meeting_weekdays=weekdays,
                meeting_time=at,
                schedule_anchor=first_day,
                created_at=None,
                size=sizes[n] / sum(sizes),
                practices=practices[n] or [self.trust],
                homes=homes[n],
                district=n + 1,
                streets=[f"{rng.choice(STREETS)} {rng.choice(STREET_KINDS)}" for _ in range(40)],
            )
            rows.append(
                (
                    net.id, slug, f"Synthetic {net.place}", vocabulary, cadence, weekdays, at,
                    first_day, 90, dt(since),
                )
            )  # fmt: skip
            through.extend((net.id, p) for p in practices[n])
            home_links.extend((net.id, home[0]) for home in homes[n])
            services.extend(
                (net.id, s, list(DEFAULT_SERVING_ROLES[s]), DEFAULT_ACCEPTS[s])
                for s in Service.values
            )
            self.nets.append(net)
        self.copy("network", rows)
        self.copy("practices", through)
        self.copy("homes", home_links)
        self.copy("service", services)

        # Staff: users and memberships, a preference and a cover.
        password = make_password(o.password) if o.password else UNUSABLE_PASSWORD
        users, memberships, preferences, covers = [], [], [], []
        extra = max(o.staff_per_network - len(ROLES_ONCE), 0)
        roster = [*ROLES_ONCE, *(ROLES_MORE[i % len(ROLES_MORE)] for i in range(extra))]
        user_ids = iter(self.take(User, len(roster) * o.networks))
        membership_ids = iter(self.take(Membership, len(roster) * o.networks))
        for net in self.nets:
            net.staff = {}  # role -> [(user id, membership id)]
            for role in roster:
                user_id, membership_id = next(user_ids), next(membership_ids)
                number = len(net.staff.get(role, ())) + 1
                username = f"{USERNAME_PREFIX}{role}.{number}.{net.short}"
                if role == "partner_system":
                    first, last = "Discharge", "Team (system)"
                else:
                    first = rng.choice(GIVEN_FEMALE if rng.random() < 0.7 else GIVEN_MALE)
                    last = rng.choice(FAMILY)
                organisation = {
                    "chair": self.trust,
                    "gp": rng.choice(net.practices),
                    "pharmacist": rng.choice([*net.practices[:2], self.trust]),
                    "pharmacy_technician": rng.choice(net.practices),
                    "social_worker": self.council,
                    "pic": self.charity,
                    "integrated_manager": self.council,
                    "partner_system": self.hospital,
                }.get(role, self.trust)
                title = JOB_TITLES[role]
                if role == "chair" and net.vocabulary == "hub":
                    title = "Health and social care coordinator"
                users.append(
                    (
                        user_id, password, username, first, last, f"{username}@{EMAIL_DOMAIN}",
                        True, False, False, dt(since),
                    )
                )  # fmt: skip
                memberships.append(
                    (membership_id, user_id, net.id, role, organisation, title, True, dt(since))
                )
                net.staff.setdefault(role, []).append((user_id, membership_id))
            net.chair = net.staff["chair"][0][0]
            net.chair_member = net.staff["chair"][0]
            net.partner = net.staff["partner_system"][0][0]
            net.casework = [m for role in CASEWORK for m in net.staff.get(role, ())]
            net.role_of = {uid: role for role, ms in net.staff.items() for uid, _ in ms}
            net.triagers = {
                s: [m for role in roles for m in net.staff.get(role, ())] or [net.chair_member]
                for s, roles in TRIAGERS.items()
            }
            net.holders = {role: net.staff.get(role) or [net.chair_member] for role in Role}
            net.pharmacists = net.staff.get("pharmacist") or [net.chair_member]
            preferences.append((net.pharmacists[0][0], "immediate", dt(since)))
            if len(net.pharmacists) > 1:
                away, deputy = net.pharmacists[0][0], net.pharmacists[1][0]
                covers.append(
                    (
                        net.id, away, deputy, self.today - timedelta(days=1),
                        self.today + timedelta(days=4), "Annual leave", away,
                        dt(self.E - 10 * DAY),
                    )
                )  # fmt: skip
        self.staff = len(memberships)
        self.copy("user", users)
        self.copy("membership", memberships)
        self.copy("preference", preferences)
        self.copy("cover", covers)

        # Meetings over the window and eight weeks ahead, with attendance.
        meetings, attendance = [], []
        horizon = self.today + timedelta(weeks=8)
        meeting_ids = iter(
            self.take(Meeting, sum(len(list(slots(net, first_day, horizon))) for net in self.nets))
        )
        for net in self.nets:
            net.m_ts, net.m_id, net.m_off, net.m_day = [], [], [], []
            net.next_index = None
            for slot in slots(net, first_day, horizon):
                meeting_id = next(meeting_ids)
                ts = slot.timestamp()
                k = cal.index(slot.date())
                past = ts < self.E
                cancelled = not cal.working[k] or (past and rng.random() < 0.02)
                status = "cancelled" if cancelled else ("closed" if past else "scheduled")
                meetings.append(
                    (
                        meeting_id, net.id, slot, slot, status, net.chair if past else None,
                        CANCELLED_REASONS[cal.working[k]] if cancelled else "",
                        dt(ts + 90 * 60) if status == "closed" else None,
                        dt(max(ts - 56 * DAY, since)),
                    )
                )  # fmt: skip
                if status == "closed":
                    attendance.append((meeting_id, net.chair, True))
                    for uid, _ in net.casework:
                        u = rng.random()
                        if u < 0.65:
                            attendance.append((meeting_id, uid, u < 0.55))
                if net.next_index is None and status == "scheduled":
                    net.next_index = len(net.m_ts)
                net.m_ts.append(ts)
                net.m_id.append(meeting_id)
                net.m_off.append(cancelled)
                net.m_day.append(k)
            net.positions = [0] * len(net.m_ts)
            net.held = sum(
                1 for ts, off in zip(net.m_ts, net.m_off, strict=True) if ts < self.E and not off
            )
        self.meetings = len(meetings)
        self.copy("meeting", meetings)
        self.copy("attendance", attendance)

        # The hospital's monthly admissions files: the imported admissions point at them.
        files = []
        for net in self.nets:
            net.imports = {}
        month = first_day.replace(day=1)
        while month <= self.today:
            following = month_back(month, -1)
            ts = cal.at(cal.add_working(cal.index(following), 2), 10 * HOUR)
            if ts < self.E:
                for net in self.nets:
                    files.append((net, f"admissions-{month:%Y-%m}.csv", ts, month))
            month = following
        rows = []
        for pk, (net, name, ts, month) in zip(
            self.take(AdmissionImport, len(files)), files, strict=True
        ):
            net.imports[month.year, month.month] = (pk, ts)
            rows.append((pk, net.id, name, net.chair, dt(ts), "imported", dt(ts + 600)))
        self.copy("import", rows)

    @staticmethod
    def dt(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    # --- the plan: each person's network, arrival and number of referrals ------------------------

    def when(self, rng, low: float) -> float:
        """A day of the window at or after `low`, from the rising density 1 + t / window: the
        referrals per day double over the window (a service that is catching on)."""
        window = self.D - self.k0
        f_low = low + low * low / (2 * window)
        f_high = 1.5 * window
        u = f_low + rng.random() * (f_high - f_low)
        return (math.sqrt(1 + 2 * u / window) - 1) * window

    def plan(self) -> None:
        o = self.o
        rng = random.Random(f"{o.seed}:plan")  # noqa: S311
        window = self.D - self.k0
        pick_net = Picker((net.n, net.size) for net in self.nets)
        self.p_net = array("h")
        self.p_arrival = array("f")  # day of the window; 0: known before it
        weights = []
        for _ in range(o.people):
            self.p_net.append(pick_net(rng))
            arrival = 0.0 if rng.random() < 0.35 else self.when(rng, 0.0) * 0.97
            self.p_arrival.append(arrival)
            weights.append((window - arrival) * rng.lognormvariate(0, 0.45))
        # Referrals: one each (how the person became known), the rest by time known and need,
        # exactly as many as asked for (largest remainders).
        base = 1 if o.referrals >= o.people else 0
        rest = o.referrals - base * o.people
        total = sum(weights) or 1.0
        shares = [rest * w / total for w in weights]
        self.p_count = array("i", (base + int(s) for s in shares))
        missing = o.referrals - sum(self.p_count)
        for i in sorted(range(o.people), key=lambda i: int(shares[i]) - shares[i])[:missing]:
            self.p_count[i] += 1
        # NHS numbers: distinct and valid, from the 999 range, in a scrambled order.
        self.p_nhs = array("i")
        offset, j = rng.randrange(1_000_000), 0
        while len(self.p_nhs) < o.people:
            n = (offset + 7919 * j) % 1_000_000
            j += 1
            if check_digit(f"999{n:06d}") is not None:
                self.p_nhs.append(n)
        # The MDT's share of each network's referrals: enough for its meetings to discuss
        # about TARGET_AGENDA people each.
        people = [0] * len(self.nets)
        for n in self.p_net:
            people[n] += 1
        working_days = self.cal.worked[self.D - 1] - self.cal.worked[self.k0 - 1]
        for net in self.nets:
            referrals = o.referrals * people[net.n] / max(o.people, 1)
            episodes = net.held * TARGET_AGENDA / ITEMS_PER_EPISODE
            share = min(max(episodes / (0.8 * ACCEPT_RATE["mdt"]) / max(referrals, 1), 0.001), 0.3)
            total = sum(SERVICE_MIX.values())
            net.mdt_share = share
            net.pick_service = Picker(
                [*((s, w / total * (1 - share)) for s, w in SERVICE_MIX.items()), ("mdt", share)]
            )
            # Visits: as many as the medicines team can make (the rest are desk reviews).
            visitors = len(net.staff.get("pharmacist", ())) + len(
                net.staff.get("pharmacy_technician", ())
            )
            capacity = visitors * working_days * VISITS_PER_DAY
            accepted = referrals * SERVICE_MIX["medicines_optimisation"] / total * (1 - share)
            net.visit_share = min(1.0, capacity / max(accepted * 0.75 * 1.25, 1))

    # --- a chunk of people -----------------------------------------------------------------------

    def chunk(self, number: int, first: int, last: int) -> None:
        started = time.perf_counter()
        self.rng = random.Random(f"{self.o.seed}:people:{number}")  # noqa: S311
        self.rows = {name: [] for name in PER_PERSON}
        for i in range(first, last):
            self.person(i)
        self.generating += time.perf_counter() - started
        for name in PER_PERSON:
            self.copy(name, self.rows[name])
        self.rows = None

    def new_id(self, name: str) -> int:
        return self.new(NUMBERED[name])

    def person(self, i: int) -> None:
        rng, cal, dt, E, D = self.rng, self.cal, self.dt, self.E, self.D
        rows = self.rows
        net = self.nets[self.p_net[i]]
        pid = self.new_id("patient")
        arrival = self.p_arrival[i]

        # Who they are.
        age = 65 + int(rng.betavariate(1.4, 2.4) * 36)
        born = cal.dates[D] - timedelta(days=int(age * 365.25) + rng.randrange(365))
        female = rng.random() < 0.57
        x = (age - 65) / 35 + rng.gauss(0, 0.25)
        frailty = None
        if rng.random() >= 0.08:
            frailty = (
                "fit" if x < 0.12 else "mild" if x < 0.42 else "moderate" if x < 0.72 else "severe"
            )
        home = rng.choice(net.homes) if rng.random() < 0.02 + 0.16 * min(max(x, 0), 1) else None

        # When they were referred, and when they became known.
        times = []
        for _ in range(self.p_count[i]):
            k = self.k0 + min(int(self.when(rng, arrival)), D - self.k0 - 1)
            if rng.random() < 0.85:  # office hours on a working day
                if not cal.working[k] and cal.add_working(k, 0) < D:
                    k = cal.add_working(k, 0)
                times.append(cal.at(k, rng.uniform(8 * HOUR, 18 * HOUR)))
            else:  # any day, early or late (discharges at the weekend)
                times.append(cal.at(k, rng.uniform(7 * HOUR, 21 * HOUR)))
        times.sort()
        if arrival == 0.0:
            created = cal.at(self.k0 - rng.randrange(1, 3 * 365), rng.uniform(9 * HOUR, 17 * HOUR))
        elif times:
            created = times[0] - rng.uniform(60, 1800)
        else:
            created = cal.at(self.k0 + int(arrival), 10 * HOUR)

        self.p = SimpleNamespace(
            pid=pid, net=net, team={}, admissions=set(), consent=None, medicines=None
        )
        open_until: dict[str, float] = {}
        last_ts = created
        for ts in times:
            last_ts = max(last_ts, self.referral(ts, open_until, home))

        # The rest of the record.
        if frailty is not None:
            self.frailty_history(frailty, created)
        if self.p.medicines is not None or rng.random() < 0.4:
            self.medications(self.p.medicines or created, home is not None)
        if self.p.team and rng.random() < 0.35:
            self.goals(created)
        self.background_admissions(frailty, created)
        if rng.random() < 0.3:
            role = rng.choice(CASEWORK)
            k = rng.randrange(max(cal.day_of(created), self.k0), D)
            named = rng.random() < 0.5
            self.action(
                rng.choice(MANUAL_ACTIONS), "", cal.at(k, rng.uniform(9 * HOUR, 17 * HOUR)),
                k + rng.randint(1, 21), rng.choice(net.holders[role])[0] if named else None,
                "" if named else role, "manual", rng.choice(net.casework)[0],
            )  # fmt: skip
        for membership, (uid, ts, service) in self.p.team.items():
            rows["team"].append((pid, membership, INVOLVEMENT[service], uid, dt(ts)))
        key_worker = rng.choice(list(self.p.team)) if self.p.team and rng.random() < 0.5 else None
        u = rng.random()
        if home is not None and u < 0.45:
            consent = ("best_interest", "best_interest")
        elif u < 0.75:
            consent = ("given", "given")
        elif u < 0.8:
            consent = ("given", "refused")
        elif u < 0.84:
            consent = ("refused", "refused")
        else:
            consent = ("not_asked", "not_asked")
        consent_by = consent_at = None
        if consent[0] != "not_asked":
            consent_at, consent_by = self.p.consent or (created + 600, net.chair)
        if home is not None:
            address, phone = home[1], home[2]
            needs = rng.sample(CARE_NEEDS, rng.randint(1, 2))
        else:
            address = f"{rng.randint(1, 240)} {rng.choice(net.streets)}, {net.place}"
            u = rng.random()
            phone = (
                f"020 7946 {rng.randint(0, 999):04d}"
                if u < 0.45
                else f"07700 900{rng.randint(0, 999):03d}"
                if u < 0.85
                else ""
            )
            needs = []
        letters = POSTCODE_LETTERS
        postcode = f"ZT{net.district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        nine = f"999{self.p_nhs[i]:06d}"
        clinical = ""
        if rng.random() < 0.6:
            clinical = ", ".join(rng.sample(CONDITIONS, rng.randint(1, 4))) + ". "
            clinical = (clinical + rng.choice(CLINICAL_NOTES)).strip()
        rows["patient"].append(
            (
                pid, net.id, nine + str(check_digit(nine)),
                rng.choice(GIVEN_FEMALE if female else GIVEN_MALE), rng.choice(FAMILY), born,
                address, postcode, phone, rng.choice(net.practices), home[0] if home else None,
                key_worker, rng.choice(NOTES_FOR_VISITORS) if rng.random() < 0.3 else "",
                rng.choice(SOCIAL_NEEDS) if rng.random() < 0.6 else "",
                rng.choice(WHAT_MATTERS) if rng.random() < 0.6 else "", frailty,
                rng.choice(CASELOAD_REASONS) if rng.random() < 0.8 else "", clinical, needs,
                consent[0], consent[1], consent_by, dt(consent_at) if consent_at else None,
                dt(created), net.chair, dt(min(last_ts, E - 1)),
            )
        )  # fmt: skip

    def referral(self, ts: float, open_until: dict, home) -> float:
        """One referral made at `ts`, its triage and what followed. Returns the last time it
        touched the record."""
        rng, cal, dt, E = self.rng, self.cal, self.dt, self.E
        p = self.p
        net = p.net
        rid = self.new_id("referral")
        origin = "red_flag" if rng.random() < RED_FLAG_SHARE else "manual"
        for attempt in range(4):  # referrers mostly know which services are involved already
            flag = None
            if origin == "red_flag":
                flag = self.flags[rng.choice(self.flag_codes)]
                service = flag[1]
            else:
                service = net.pick_service(rng)
                if service in self.flags_by_service and rng.random() < 0.06:
                    flag = self.flags[rng.choice(self.flags_by_service[service])]
            if open_until.get(service, 0.0) <= ts or attempt == 3 or rng.random() < DUPLICATE:
                break
        # A second referral while one is open for the same service: a duplicate (a red flag
        # would have joined the open referral instead).
        duplicate = open_until.get(service, 0.0) > ts
        if duplicate and origin == "red_flag":
            origin, flag = "manual", None

        # Who referred, from where.
        source, contact = None, ""
        u = rng.random()
        if origin == "red_flag":
            by = rng.choice(net.casework)[0]
        elif (service == "mdt" and u < 0.45) or u < 0.08:
            by, source = net.partner, self.hospital
            contact = rng.choice(SOURCE_CONTACTS["nhs_trust"])
        elif u < 0.2:
            by, source = net.chair, rng.choice(net.practices)
            contact = rng.choice(SOURCE_CONTACTS["gp_practice"])
        elif u < 0.26 and home is not None:
            by, source = net.chair, home[0]
            contact = rng.choice(SOURCE_CONTACTS["care_home"])
        elif u < 0.26:
            by = rng.choice(net.casework)[0]
        elif u < 0.29:
            by, source = net.chair, self.council
            contact = rng.choice(SOURCE_CONTACTS["council"])
        else:
            by = rng.choice(net.casework)[0]
        reason = f"Red flag: {flag[3]}." if origin == "red_flag" else rng.choice(REASONS[service])
        urgent = (flag is not None and flag[2] == "urgent") or rng.random() < (
            0.35 if source == self.hospital else 0.1
        )
        k = cal.day_of(ts)

        # Triage: when, by whom, and what was decided.
        member = rng.choice(net.triagers[service])
        if urgent:
            wait = 0 if rng.random() < 0.6 else 1
        elif rng.random() < LONG_WAIT.get(service, 0.03):
            wait = rng.randint(8, 45)
        else:
            wait = pick_wait(rng)
        tk = cal.add_working(k, wait)
        if tk == k:
            tts = ts + rng.uniform(0.3 * HOUR, 4 * HOUR)
            if tts > cal.at(k, 18.5 * HOUR):
                tts = cal.at(cal.add_working(k, 1), rng.uniform(8.5 * HOUR, 12 * HOUR))
        else:
            tts = cal.at(tk, rng.uniform(8.5 * HOUR, 17.5 * HOUR))
        status, decline, note = "new", "", ""
        triaged = triager = closed = closer = None
        if duplicate:
            if tts < E and rng.random() < 0.8:
                status, triaged, triager = "declined", tts, member[0]
                decline, note = "already_known", rng.choice(DECLINE_NOTES["already_known"])
            else:  # withdrawn by the referrer (before the end, whatever happens)
                status, closer = "withdrawn", by
                closed = ts + min(rng.uniform(0.5 * HOUR, 48 * HOUR), (E - ts) * 0.9)
        else:
            if rng.random() < WITHDRAWN:
                when = ts + rng.uniform(0.5 * HOUR, 72 * HOUR)
                if when < min(tts, E):
                    status, closed, closer = "withdrawn", when, by
            backlog = STALE[0] + STALE[1] * ((k - self.k0) / (self.D - self.k0)) ** 2
            if status == "new" and tts < E and rng.random() >= backlog:
                triaged, triager = tts, member[0]
                if rng.random() < ACCEPT_RATE.get(service, 0.86):
                    status = "accepted"
                else:
                    status, decline = "declined", pick_decline(rng)
                    note = rng.choice(DECLINE_NOTES[decline]) or (
                        "See the notes." if decline == "other" else ""
                    )
            if status == "new":
                open_until[service] = INF

        if status == "accepted":
            p.consent = p.consent or (tts, triager)
            p.team.setdefault(member[1], (triager, tts, service))
            if service == "mdt":
                closed = self.episode(rid, tts, reason)
                if source == self.hospital and rng.random() < 0.8:
                    self.admission(k - rng.randint(2, 14), "emergency")
            else:
                low, high = OPEN_DAYS[service]
                ends = cal.at(cal.day_of(tts) + rng.randint(low, high), rng.uniform(9, 17) * HOUR)
                closed = ends if ends < E else None
                if service == "medicines_optimisation":
                    p.medicines = p.medicines or tts
                    if rng.random() < net.visit_share:
                        self.visits(member, tts, min(ends, E))
                    elif rng.random() < 0.6:
                        self.desk_review(member, tts, min(ends, E))
                if rng.random() < 0.5:
                    role = QUEUE_ROLE[service]
                    named = rng.random() < 0.5
                    self.action(
                        rng.choice(ACTION_TITLES.get(net.role_of[triager], ACTION_TITLES[role])),
                        f"From the {service.replace('_', ' ')} referral.",
                        min(tts + rng.uniform(60, 3600), E - 1),
                        cal.day_of(tts)
                        + (rng.randint(5, 21) if rng.random() < 0.7 else rng.randint(28, 90)),
                        triager if named else None,
                        "" if named else role,
                        "referral",
                        triager,
                    )
            if closed is None:
                open_until[service] = INF
            else:
                status, closer = "completed", net.chair if service == "mdt" else triager
                open_until[service] = closed
        self.rows["referral"].append(
            (
                rid, net.id, p.pid, service, reason, "urgent" if urgent else "routine", status,
                origin, by, source, contact, dt(ts), dt(triaged) if triaged else None, triager,
                decline, note, dt(closed) if closed else None, closer,
            )
        )  # fmt: skip
        if flag is not None:
            end = triaged if status == "declined" else closed
            resolved = max(min(end + rng.uniform(0, 3 * DAY), E - 60), end) if end else None
            self.rows["flag"].append(
                (
                    p.pid, flag[0], rid,
                    "referral" if origin == "manual" else rng.choice(("visit", "patient")),
                    "", by, dt(ts), dt(resolved) if resolved else None,
                    (closer or triager) if resolved else None,
                    "Dealt with by the service." if resolved else "",
                )
            )  # fmt: skip
        return max(ts, triaged or ts, closed or ts)

    def episode(self, rid: int, opened: float, reason: str) -> float | None:
        """Time on the MDT caseload from an accepted referral: the person on the agenda of the
        next meeting, reviewed at later ones, discharged with the answer to "have we avoided
        an admission?" (or still on the caseload). Returns the discharge time, if any."""
        rng, cal, dt, E = self.rng, self.cal, self.dt, self.E
        p = self.p
        net = p.net
        items = self.rows["item"]
        n_meetings = len(net.m_ts)
        i = bisect.bisect_right(net.m_ts, opened)
        wanted = pick_discussions(rng)
        low, high = REVIEW_GAP[net.cadence]
        discussed, closed, answer, why = 0, None, "", ""
        source, about, referral = "referral", f"New MDT referral: {reason}"[:300], rid
        updated = opened
        while True:
            while i < n_meetings and (net.m_off[i] or net.positions[i] >= AGENDA_CAP):
                i += 1
            if i >= n_meetings:
                break
            ts, day = net.m_ts[i], cal.dates[net.m_day[i]]
            if ts >= E:
                if i == net.next_index:  # on the agenda of the next meeting
                    net.positions[i] += 1
                    items.append(
                        (
                            self.new_id("item"), net.m_id[i], p.pid, source, about, referral,
                            net.positions[i], "pending", "", "", None, "", "", None, None, 1,
                            dt(updated),
                        )
                    )  # fmt: skip
                break
            net.positions[i] += 1
            position = net.positions[i]
            item = self.new_id("item")
            if rng.random() < NOT_REACHED:
                items.append(
                    (
                        item, net.m_id[i], p.pid, source, about, referral, position,
                        "not_reached", "", "", None, "", "", None, None, 1, dt(ts + 90 * 60),
                    )
                )  # fmt: skip
                source, about = "carried", f"Not reached on {day:%d %b}: {about}"[:300]
                updated = ts + 90 * 60
                i += 1
                continue
            discussed += 1
            decided = ts + min(60 * (4 + 2 * position), 88 * 60)
            notes = rng.choice(ITEM_NOTES)
            if discussed >= wanted:
                answer = pick_answer(rng)
                why = rng.choice(DISCHARGE_REASONS[answer])
                items.append(
                    (
                        item, net.m_id[i], p.pid, source, about, referral, position,
                        "discussed", notes, "discharge", None, answer, why, dt(decided),
                        net.chair, 3, dt(decided),
                    )
                )  # fmt: skip
                self.meeting_actions(item, decided, net.m_day[i], day)
                closed = decided
                break
            j = i + rng.randint(low, high)
            review = net.m_day[j] if j < n_meetings else net.m_day[i] + 14
            items.append(
                (
                    item, net.m_id[i], p.pid, source, about, referral, position, "discussed",
                    notes, "continue", cal.dates[review], "", "", dt(decided), net.chair, 3,
                    dt(decided),
                )
            )  # fmt: skip
            self.meeting_actions(item, decided, net.m_day[i], day)
            source, about, referral = "review", f"Review due {cal.dates[review]:%d %b}", None
            updated = decided
            i = j
        self.rows["episode"].append(
            (p.pid, net.id, rid, dt(opened), dt(closed) if closed else None, answer, why)
        )
        if closed is not None and rng.random() < READMITTED[answer]:
            self.admission(cal.day_of(closed) + rng.randint(3, 90), "emergency")
        return closed

    def meeting_actions(self, item: int, decided: float, k: int, day: date) -> None:
        rng, net = self.rng, self.p.net
        word = "virtual ward" if net.vocabulary == "hub" else "huddle"
        for _ in range(pick_meeting_actions(rng)):
            role = pick_action_role(rng)
            named = rng.random() < 0.4
            self.action(
                rng.choice(ACTION_TITLES[role]),
                f"Agreed at the {word} on {day:%d %b %Y}.",
                decided,
                k + rng.randint(3, 14),
                rng.choice(net.holders[role])[0] if named else None,
                "" if named else role,
                "meeting",
                net.chair,
                item,
            )

    def action(
        self, title, details, created, due_k, assignee, role, source, by, item=None, pk=None
    ) -> int:
        """A task for a named member or a role queue. Most are done around their due date;
        some are still open, overdue."""
        rng, cal, D = self.rng, self.cal, self.D
        net = self.p.net
        pk = pk or self.new_id("action")
        if due_k < D:
            late = D - due_k
            done = rng.random() >= (0.4 if late <= 7 else 0.2 if late <= 30 else 0.04)
        else:
            done = rng.random() < 0.15
        done_at = done_by = None
        if done:
            dk = min(max(due_k + rng.randint(-5, 3), cal.day_of(created)), D - 1)
            ts = cal.at(dk, rng.uniform(9 * HOUR, 17.5 * HOUR))
            if ts <= created:
                ts = created + rng.uniform(600, 4 * HOUR)
            if ts < self.E:
                done_at = ts
                done_by = assignee or rng.choice(net.holders[role])[0]
        claimed_from, claimed_at = "", None
        if assignee is not None and rng.random() < 0.2:
            when = created + rng.uniform(0.5 * HOUR, 30 * HOUR)
            if when < (done_at or self.E):
                claimed_from, claimed_at = net.role_of[assignee], when
        self.rows["action"].append(
            (
                pk, net.id, self.p.pid, title, details, assignee, role, cal.dates[due_k],
                "done" if done_at else "open", source, item, claimed_from,
                self.dt(claimed_at) if claimed_at else None, by, self.dt(created),
                self.dt(done_at) if done_at else None, done_by,
            )
        )  # fmt: skip
        return pk

    def visits(self, member, accepted: float, end: float) -> None:
        """Visits by a pharmacist (or technician) for an accepted medicines referral: a risk
        assessment, observations and NEWS2 at home, a review, interventions, a follow-up."""
        rng, cal, dt = self.rng, self.cal, self.dt
        p = self.p
        net = p.net
        if net.role_of[member[0]] not in ("pharmacist", "pharmacy_technician"):
            member = rng.choice(net.pharmacists)
        visitor = member[0]
        p.team.setdefault(member[1], (visitor, accepted, "medicines_optimisation"))
        k = cal.day_of(accepted)
        for n in range(1 + (rng.random() < 0.25)):
            k = cal.add_working(k, rng.randint(1, 8) if n == 0 else rng.randint(10, 30))
            if k >= self.D:
                return
            ts = cal.at(k, rng.uniform(9 * HOUR, 16.5 * HOUR))
            if ts >= end:
                return
            infection, lone = rng.random() < 0.05, rng.random() < 0.03
            u = rng.random()
            preference = "none" if u < 0.8 else "home" if u < 0.9 else "remote"
            if infection or lone or preference == "remote":
                kind = "phone" if rng.random() < 0.8 else "video"
            else:
                kind = "home" if rng.random() < 0.95 else "phone"
            joint = None
            if kind == "home" and rng.random() < 0.08:
                joint = rng.choice(net.casework)[0]
                joint = None if joint == visitor else joint
            obs = (None,) * 11 + (False,)
            if kind == "home" and rng.random() < 0.9:
                systolic = min(max(int(rng.gauss(136, 18)), 85), 200)
                diastolic = min(max(int(rng.gauss(76, 10)), 45), systolic - 20)
                pulse = min(max(int(rng.gauss(78, 12)), 40), 140)
                breathing = min(max(int(rng.gauss(17, 2.5)), 10), 32)
                temperature = Decimal(f"{min(max(rng.gauss(36.8, 0.45), 35.0), 39.5):.1f}")
                oxygen = rng.random() < 0.03
                scale = 2 if oxygen and rng.random() < 0.5 else 1
                spo2 = min(max(int(rng.gauss(95.5, 2)), 85), 100)
                level = "alert" if rng.random() < 0.96 else "confusion"
                score = news2(
                    respiratory_rate=breathing,
                    spo2=spo2,
                    on_oxygen=oxygen,
                    spo2_scale=scale,
                    systolic_bp_value=systolic,
                    pulse_rate=pulse,
                    consciousness_level=level,
                    temperature_c=temperature,
                )
                obs = (
                    systolic, diastolic, pulse, breathing, temperature, spo2, oxygen, scale,
                    level, score.score, score.complete,
                )  # fmt: skip
            else:
                obs = (None, None, None, None, None, None, False, 1, "", None, False)
            vid = self.new_id("visit")
            follow_on, follow_action = None, None
            if rng.random() < 0.4:
                fk = k + rng.randint(7, 28)
                follow_on = cal.dates[fk]
                follow_action = self.action(
                    "Follow up the medicines visit", "", ts + 1800, fk, visitor, "", "visit",
                    visitor,
                )  # fmt: skip
            self.rows["visit"].append(
                (
                    vid, net.id, p.pid, kind, visitor, joint, dt(ts), infection, lone,
                    preference, rng.choice(VISIT_SUMMARIES), *obs, follow_on, follow_action,
                    dt(ts + 1800),
                )
            )  # fmt: skip
            if rng.random() < 0.7:
                outcome = pick_review(rng)
                self.rows["review"].append(
                    (
                        p.pid, vid, cal.dates[k], visitor, outcome, rng.choice(REVIEW_ACTIONS),
                        dt(ts + 1800),
                    )
                )  # fmt: skip
                if outcome == "changes_made":
                    for _ in range(rng.randint(1, 3)):
                        kind = pick_intervention(rng)
                        medicine = rng.choice(MEDICINES)[0]
                        self.rows["intervention"].append(
                            (vid, kind, medicine, INTERVENTION_NOTES[kind])
                        )

    def desk_review(self, member, accepted: float, end: float) -> None:
        """A medication review from the records and a phone call to the GP practice, without a
        visit."""
        rng, cal, p = self.rng, self.cal, self.p
        if p.net.role_of[member[0]] not in ("pharmacist", "pharmacy_technician"):
            member = rng.choice(p.net.pharmacists)
        p.team.setdefault(member[1], (member[0], accepted, "medicines_optimisation"))
        k = cal.add_working(cal.day_of(accepted), rng.randint(1, 10))
        ts = cal.at(k, rng.uniform(9 * HOUR, 17 * HOUR)) if k < self.D else INF
        if ts < end:
            self.rows["review"].append(
                (
                    p.pid, None, cal.dates[k], member[0], pick_review(rng),
                    rng.choice(REVIEW_ACTIONS), self.dt(ts),
                )
            )  # fmt: skip

    def admission(self, k: int, kind: str) -> None:
        """A hospital admission on day k: from the hospital's monthly file, or entered by hand."""
        rng, cal, p = self.rng, self.cal, self.p
        if not 0 <= k < self.D or (k, kind) in p.admissions:
            return
        p.admissions.add((k, kind))
        day = cal.dates[k]
        imported = p.net.imports.get((day.year, day.month))
        if imported is not None and rng.random() < 0.7:
            source, file, by, at = "import", imported[0], p.net.chair, imported[1]
        else:
            source, file = "manual", None
            by = rng.choice(p.net.holders["community_nurse"])[0]
            at = cal.at(min(k + rng.randint(1, 7), self.D - 1), rng.uniform(9, 17) * HOUR)
        self.rows["admission"].append(
            (p.net.id, p.pid, day, kind, source, file, by, self.dt(max(at, cal.at(k, 12 * HOUR))))
        )

    def background_admissions(self, frailty, created: float) -> None:
        rng = self.rng
        first = max(self.cal.day_of(created), self.k0)
        years = (self.D - first) / 365.25
        for kind, rate in (("emergency", EMERGENCY_PER_YEAR[frailty]), ("elective", 0.03)):
            expected = rate * years
            for _ in range(int(expected) + (rng.random() < expected % 1)):
                self.admission(rng.randrange(first, self.D), kind)

    def frailty_history(self, frailty: str, created: float) -> None:
        rng, cal = self.rng, self.cal
        p = self.p
        level = FRAILTY_LEVELS.index(frailty)
        first = max(cal.day_of(created), self.k0 - 365)
        days = sorted(rng.randrange(first, self.D) for _ in range(1 + (rng.random() < 0.4)))
        for n, k in enumerate(days):
            this = frailty if n == len(days) - 1 else FRAILTY_LEVELS[max(level - 1, 0)]
            efi = None
            if rng.random() < 0.7:
                efi = Decimal(f"{rng.uniform(*EFI[this]):.2f}")
            by = rng.choice(p.net.holders["gp" if rng.random() < 0.6 else "community_nurse"])[0]
            self.rows["frailty"].append(
                (p.pid, this, efi, cal.dates[k], by, self.dt(cal.at(k, rng.uniform(9, 17) * HOUR)))
            )

    def medications(self, since: float, resident: bool) -> None:
        rng, cal, p = self.rng, self.cal, self.p
        created = min(since + rng.uniform(600, 3600), self.E - 1)
        k = cal.day_of(created)
        by = rng.choice(p.net.pharmacists)[0]
        aid = resident or rng.random() < 0.2
        prescriber = rng.choice(PRESCRIBERS)
        for name, strength, form, amount, unit, frequency, route in rng.sample(
            MEDICINE_ROWS, rng.randint(4, 10)
        ):
            started = max(k - rng.randint(30, 5 * 365), 0)
            stopped, why = None, ""
            if rng.random() < 0.12:
                stopped = cal.dates[rng.randint(started, self.D - 1)]
                why = rng.choice(STOP_REASONS)
            self.rows["medication"].append(
                (
                    p.pid, name, form, strength, amount, unit, frequency, route,
                    cal.dates[started], stopped, why, prescriber,
                    aid and form in ("tablet", "capsule"), by, self.dt(created),
                )
            )  # fmt: skip

    def goals(self, created: float) -> None:
        rng, cal, p = self.rng, self.cal, self.p
        pics = p.net.staff.get("pic")
        for description in rng.sample(GOALS, rng.randint(1, 3)):
            k = rng.randrange(max(cal.day_of(created), self.k0), self.D)
            if pics and rng.random() < 0.6:
                by = rng.choice(pics)[0]
            else:
                by = next(iter(p.team.values()))[0]
            age = self.D - k
            u = rng.random()
            if age > 90:
                outcome = (
                    "met"
                    if u < 0.45
                    else "partly_met"
                    if u < 0.65
                    else "not_met"
                    if u < 0.8
                    else "open"
                )
            elif age > 30:
                outcome = (
                    "met"
                    if u < 0.2
                    else "partly_met"
                    if u < 0.3
                    else "not_met"
                    if u < 0.35
                    else "open"
                )
            else:
                outcome = "open"
            decided = None
            if outcome != "open":
                decided = cal.dates[min(k + rng.randint(14, age - 1), self.D - 1)]
            self.rows["goal"].append(
                (
                    p.pid, description, cal.dates[k], by, outcome, decided,
                    by if decided else None,
                    rng.choice(GOAL_NOTES[outcome]) if decided else "",
                )
            )  # fmt: skip

    # --- the end -------------------------------------------------------------------------------

    def finish(self) -> None:
        """The admissions files' counts, now that their rows exist."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE reports_admissionimport i
                SET imported = c.n, rows_total = c.n
                FROM (SELECT admission_import_id AS id, count(*) AS n
                      FROM reports_admissionevent
                      WHERE network_id = ANY(%s) AND admission_import_id IS NOT NULL
                      GROUP BY admission_import_id) c
                WHERE i.id = c.id
                """,
                [[net.id for net in self.nets]],
            )

    def analyse(self) -> None:
        """Fresh planner statistics (and, outside a transaction, the visibility map)."""
        started = time.perf_counter()
        tables = ", ".join(f'"{name}"' for name in self.stats)
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                cursor.execute(f"ANALYZE {tables}")
            else:
                cursor.execute(f"VACUUM (ANALYZE) {tables}")
        self.analysing = time.perf_counter() - started

    def report(self) -> list[str]:
        lines = [f"{'table':34}{'rows':>12}{'COPY s':>9}{'rows/s':>11}"]
        total_rows = 0
        for name, stat in sorted(self.stats.items(), key=lambda kv: -kv[1].rows):
            if not stat.rows:
                continue
            total_rows += stat.rows
            rate = stat.rows / stat.seconds if stat.seconds else 0
            lines.append(f"{name:34}{stat.rows:12,}{stat.seconds:9.1f}{rate:11,.0f}")
        copying = sum(s.seconds for s in self.stats.values())
        elapsed = self.elapsed()
        rate = total_rows / copying if copying else 0
        lines.append(f"{'all':34}{total_rows:12,}{copying:9.1f}{rate:11,.0f}")
        lines.append(
            f"time: {elapsed:.1f} s in all ({total_rows / elapsed:,.0f} rows/s): making rows "
            f"{self.generating:.1f} s, COPY {copying:.1f} s, foreign-key checks "
            f"{self.checking:.1f} s, VACUUM ANALYZE {self.analysing:.1f} s"
        )
        return lines


# --- what was made ------------------------------------------------------------------------------


def describe(today: date | None = None) -> list[str]:
    """A few figures about the synthetic data in the database (how realistic it came out)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM networks_network WHERE slug LIKE %s", [SLUG_PREFIX + "%"])
        nets = [row[0] for row in cursor.fetchall()]
        if not nets:
            return ["no synthetic data"]
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE status = 'new'),
                   count(*) FILTER (WHERE status = 'accepted'),
                   count(*) FILTER (WHERE status = 'completed'),
                   count(*) FILTER (WHERE status = 'declined'),
                   count(*) FILTER (WHERE status = 'withdrawn'),
                   count(*) FILTER (WHERE origin = 'red_flag'),
                   count(*) FILTER (WHERE urgency = 'urgent'),
                   count(*) FILTER (WHERE service = 'mdt')
            FROM referrals_referral WHERE network_id = ANY(%s)
            """,
            [nets],
        )
        total, new, accepted, completed, declined, withdrawn, flagged, urgent, mdt = (
            cursor.fetchone()
        )
        total = total or 1
        cursor.execute(
            """
            SELECT count(*) FILTER (WHERE status = 'open'),
                   count(*) FILTER (WHERE status = 'open' AND due_on < %s),
                   count(*) FILTER (WHERE assignee_id IS NULL)
            FROM actions_action WHERE network_id = ANY(%s)
            """,
            [today or timezone.localdate(), nets],
        )
        open_actions, overdue, queued = cursor.fetchone()
        cursor.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE closed_at IS NULL),
                   count(*) FILTER (WHERE admission_avoided = 'yes')
            FROM huddles_episode WHERE network_id = ANY(%s)
            """,
            [nets],
        )
        episodes, on_caseload, avoided = cursor.fetchone()
        cursor.execute(
            """
            SELECT m.status, count(*), avg(n), max(n) FROM (
                SELECT m.id, m.status, count(i.id) AS n FROM huddles_meeting m
                JOIN huddles_agendaitem i ON i.meeting_id = m.id
                WHERE m.network_id = ANY(%s) GROUP BY m.id) m
            GROUP BY m.status ORDER BY m.status
            """,
            [nets],
        )
        agendas = ", ".join(
            f"{status} {n:,} (mean {mean:.0f}, max {top} people)"
            for status, n, mean, top in cursor.fetchall()
        )

    def pc(n):
        return f"{100 * n / total:.1f}%"

    return [
        f"referrals: new {pc(new)}, accepted {pc(accepted)}, completed {pc(completed)} "
        f"(accepted in all {pc(accepted + completed)}), declined {pc(declined)}, withdrawn "
        f"{pc(withdrawn)}; red flag {pc(flagged)}, urgent {pc(urgent)}, MDT {pc(mdt)}",
        f"MDT episodes: {episodes:,}, {on_caseload:,} still on the caseload, {avoided:,} "
        "discharged with an admission avoided",
        f"meetings with agendas: {agendas}",
        f"tasks: {open_actions:,} open ({overdue:,} overdue), {queued:,} in role queues",
    ]


# --- deleting the synthetic data ----------------------------------------------------------------

ROOTS = {
    "networks.Network": ("slug", SLUG_PREFIX),
    "auth.User": ("username", USERNAME_PREFIX),
    "networks.Organisation": ("code", ORG_PREFIX),
}
KEEP = {"audit.AccessEvent"}  # append-only: the trail of looks at records outlives them


def delete_synthetic(say=None, replica_role: bool = True) -> dict[str, int]:
    """Delete the synthetic networks, users and organisations and every row that cannot exist
    without one of them (a required foreign key into the deleted rows, through any number of
    steps), across all installed models; a nullable foreign key from a surviving row is set to
    NULL. Run inside a transaction; returns the rows deleted per table. The audit trail is
    kept (append-only; its references to people are not constraints).

    Where allowed, triggers are off meanwhile (session_replication_role = replica) and every
    foreign-key constraint in the catalogue that points at a table deleted from is checked
    afterwards, set-based; else the constraints' own triggers check each deleted row."""
    from django.apps import apps

    say = say or (lambda line: None)
    started = time.perf_counter()
    models = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label not in KEEP
    ]
    labels = {m._meta.label: m for m in models}
    edges = []  # (child, column, parent, parent's column, required, constrained)
    for child in models:
        for f in child._meta.concrete_fields:
            if not (f.many_to_one or f.one_to_one) or f.remote_field is None:
                continue
            parent = f.remote_field.model._meta.concrete_model
            if parent._meta.label in labels:
                edges.append(
                    (child, f.column, parent, f.target_field.column, not f.null, f.db_constraint)
                )

    def table(model):
        return sql.Identifier(model._meta.db_table)

    def doomed_table(model):
        return sql.Identifier(f"del_{model._meta.db_table}"[:60])

    def pk(model):
        return sql.Identifier(model._meta.pk.column)

    def keys(parent, target):
        """The values of `target` in the parent's doomed rows."""
        if target == parent._meta.pk.column:
            return sql.SQL("SELECT pk FROM {}").format(doomed_table(parent))
        return sql.SQL("SELECT p.{} FROM {} p JOIN {} d ON d.pk = p.{}").format(
            sql.Identifier(target), table(parent), doomed_table(parent), pk(parent)
        )

    doomed: dict = {}  # model -> rows in its doomed table
    fast = replica_role and Builder.replica_allowed()
    with writing(fast), connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's, for sql.Composed

        def ensure(model) -> None:
            if model not in doomed:
                cursor.execute(
                    sql.SQL(
                        "CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} AS pk FROM {} LIMIT 0"
                    ).format(doomed_table(model), pk(model), table(model))
                )
                cursor.execute(
                    sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (pk)").format(doomed_table(model))
                )
                doomed[model] = 0

        changed = set()
        for label, (field, prefix) in ROOTS.items():
            model = labels[label]
            ensure(model)
            cursor.execute(
                sql.SQL("INSERT INTO {} SELECT {} FROM {} WHERE {} LIKE %s").format(
                    doomed_table(model),
                    pk(model),
                    table(model),
                    sql.Identifier(model._meta.get_field(field).column),
                ),
                [prefix.replace("_", r"\_") + "%"],
            )
            doomed[model] += cursor.rowcount
            if cursor.rowcount:
                changed.add(model)
        while changed:  # rows with a required foreign key into doomed rows, to a fixed point
            grown = set()
            for child, column, parent, target, required, _ in edges:
                if not required or parent not in changed:
                    continue
                ensure(child)
                cursor.execute(
                    sql.SQL(
                        "INSERT INTO {} SELECT {} FROM {} WHERE {} IN ({}) ON CONFLICT DO NOTHING"
                    ).format(
                        doomed_table(child),
                        pk(child),
                        table(child),
                        sql.Identifier(column),
                        keys(parent, target),
                    )
                )
                if cursor.rowcount:
                    doomed[child] += cursor.rowcount
                    grown.add(child)
            for model in grown:
                cursor.execute(sql.SQL("ANALYZE {}").format(doomed_table(model)))
            changed = grown
        for child, column, parent, target, required, constrained in edges:
            if required or not constrained or not doomed.get(parent):
                continue  # a nullable constraint into doomed rows: NULL in the rows that stay
            stays = sql.SQL("")
            if doomed.get(child):
                stays = sql.SQL("AND NOT EXISTS (SELECT FROM {} d WHERE d.pk = c.{})").format(
                    doomed_table(child), pk(child)
                )
            cursor.execute(
                sql.SQL("UPDATE {} c SET {} = NULL WHERE c.{} IN ({}) {}").format(
                    table(child),
                    sql.Identifier(column),
                    sql.Identifier(column),
                    keys(parent, target),
                    stays,
                )
            )
        deleted = {}
        for model, count in doomed.items():
            if count:
                cursor.execute(
                    sql.SQL("DELETE FROM {} WHERE {} IN (SELECT pk FROM {})").format(
                        table(model), pk(model), doomed_table(model)
                    )
                )
                deleted[model._meta.db_table] = cursor.rowcount
        for model in doomed:
            cursor.execute(sql.SQL("DROP TABLE {}").format(doomed_table(model)))
        if fast:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            check_references(cursor, list(deleted))
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    seconds = time.perf_counter() - started
    say(f"Deleted {sum(deleted.values()):,} synthetic rows in {seconds:.1f} s")
    return deleted


FOREIGN_KEYS = """
    SELECT c.conname, child.relname, pc.attname, parent.relname, pp.attname
    FROM pg_constraint c
    JOIN pg_class child ON child.oid = c.conrelid
    JOIN pg_class parent ON parent.oid = c.confrelid
    JOIN pg_attribute pc ON pc.attrelid = c.conrelid AND pc.attnum = c.conkey[1]
    JOIN pg_attribute pp ON pp.attrelid = c.confrelid AND pp.attnum = c.confkey[1]
    WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND pg_table_is_visible(child.oid)
      AND {side}.relname = ANY(%s)
    ORDER BY child.relname, c.conname
"""


def foreign_keys(cursor, table: str) -> list[tuple[str, str, str, str]]:
    """The table's single-column foreign-key constraints: (name, column, parent, its column)."""
    cursor.execute(FOREIGN_KEYS.format(side="child"), [[table]])
    return [(name, column, parent, target) for name, _, column, parent, target in cursor]


def check_references(cursor, tables: list[str]) -> None:
    """Every foreign-key constraint (from the catalogue) that points at one of `tables`:
    no row may point at a row that is not there."""
    cursor.execute(FOREIGN_KEYS.format(side="parent"), [tables])
    for name, child, column, parent, target in cursor.fetchall():
        cursor.execute(
            sql.SQL(
                "SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
                "(SELECT FROM {parent} p WHERE p.{target} = c.{column})"
            ).format(
                child=sql.Identifier(child),
                column=sql.Identifier(column),
                parent=sql.Identifier(parent),
                target=sql.Identifier(target),
            )
        )
        missing = cursor.fetchone()[0]
        if missing:
            raise IntegrityError(f"{missing} rows of {child} point at no {parent} ({name})")


def synthetic_networks_exist() -> bool:
    return Network.objects.filter(slug__startswith=SLUG_PREFIX).exists()

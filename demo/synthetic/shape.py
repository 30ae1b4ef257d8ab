"""The shape of the synthetic data set: its word lists (demo/data/synthetic.toml) and the
rates, shares and distributions the builder draws from."""

from __future__ import annotations

import bisect
import itertools
import math
from datetime import time as dtime
from decimal import Decimal
from zoneinfo import ZoneInfo

from demo.datafiles import frozen, load
from patients.models import CareNeed

# --- word lists (fictional: demo/data/synthetic.toml) -------------------------------------------

WORDS = frozen(load("synthetic"))
GIVEN_FEMALE = WORDS["given_female"]
GIVEN_MALE = WORDS["given_male"]
FAMILY_COMMON = WORDS["family_common"]
FAMILY_OTHER = WORDS["family_other"]
PLACES = WORDS["places"]
STREETS = WORDS["streets"]
STREET_KINDS = WORDS["street_kinds"]
POSTCODE_LETTERS = WORDS["postcode_letters"]
PRACTICE_KINDS = WORDS["practice_kinds"]
CARE_HOME_NAMES = WORDS["care_home_names"]
HOSPITALS = WORDS["hospitals"]
JOB_TITLES = WORDS["job_titles"]
REASONS = WORDS["reasons"]
DECLINE_NOTES = WORDS["decline_notes"]
SOURCE_CONTACTS = WORDS["source_contacts"]
CASELOAD_REASONS = WORDS["caseload_reasons"]
CONDITIONS = WORDS["conditions"]
SOCIAL_NEEDS = WORDS["social_needs"]
WHAT_MATTERS = WORDS["what_matters"]
NOTES_FOR_VISITORS = WORDS["notes_for_visitors"]
BEST_INTEREST_BY = WORDS["best_interest_by"]
CLINICAL_NOTES = WORDS["clinical_notes"]
GOALS = WORDS["goals"]
GOAL_NOTES = WORDS["goal_notes"]
INVOLVEMENT = WORDS["involvement"]
ITEM_NOTES = WORDS["item_notes"]
DISCHARGE_REASONS = WORDS["discharge_reasons"]
CANCELLED_REASONS = WORDS["cancelled_reasons"]
ACTION_TITLES = WORDS["action_titles"]
MANUAL_ACTIONS = WORDS["manual_actions"]
VISIT_SUMMARIES = WORDS["visit_summaries"]
INTERVENTION_NOTES = WORDS["intervention_notes"]
REVIEW_ACTIONS = WORDS["review_actions"]
STOP_REASONS = WORDS["stop_reasons"]
MEDICINES = WORDS["medicines"]
PRESCRIBERS = WORDS["prescribers"]
FAMILY = FAMILY_COMMON * 4 + FAMILY_OTHER

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
    "partner_system", "ig_lead", "hospital_consultant", "community_matron", "care_home_staff",
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
# Of those triaged; else 0.86. About one MDT referral in four is not taken on (declined, or
# withdrawn): the people the evaluation compares the caseload with (reports/evaluation.py).
ACCEPT_RATE = {"mdt": 0.76, "gp": 0.84, "pic": 0.9}
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
# Around a referral to the MDT (taken on or not): the crisis that prompted it, emergency
# admissions raised in the months before (on average PRE_MDT in the 15 to 180 days before,
# besides the admission a hospital's referral follows); afterwards fewer (regression to the
# mean shows in a before/after comparison, for the people not taken on as for the caseload):
# POST_MDT in the 180 days after the triage, the caseload a little fewer than the rest (the
# MDT's effect, modest), beside their readmissions after discharge (READMITTED).
PRE_MDT = 0.6
POST_MDT = {"caseload": 0.3, "not_taken_on": 0.45}
MDT_WINDOW = 180  # days
MDT_ASSESSED = 0.6  # frailty assessed when referred to the MDT (so known at the index)
# Population: registered people per person in ICN (the frail minority), each network's
# referrals per person drawn from REFERRAL_INTENSITY (so its people registered per person from
# about 22 to 38); the network with the fewest referrals refers OUTLIER_RATE times as much per
# 1,000 when there are at least OUTLIER_FROM networks (an outlier at scale: 12 months of
# 100,000 people's referrals put a network's 99.8% limits under 1% either side of the mean);
# list sizes grow by POPULATION_DRIFT a month.
POPULATION_PER_PERSON = 30
REFERRAL_INTENSITY = (0.75, 1.25)
OUTLIER_RATE = 1.04
OUTLIER_FROM = 3
POPULATION_DRIFT = (0.0008, 0.0012)
COMMISSIONER_OF = "borough"  # synthetic.commissioner.1.borough: every synthetic network
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


def poisson(rng, mean: float) -> int:
    """A Poisson draw (Knuth's: the means here are small)."""
    limit, n, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        n += 1
        product *= rng.random()
    return n


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

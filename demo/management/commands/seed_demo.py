"""`python manage.py seed_demo`: the demo data of API.md ("Demo data"), idempotently.

Creates or updates the networks `thornton-heath` and `purbeck` of demo/data/seed_demo.toml
with their organisations, a user `<role>.<network-slug>` per role (password DEMO_PASSWORD),
people with consent and a care team, tasks, and the rest (this is the code that writes it).

Running it again changes nothing: every object is looked up by its natural key (network
slug, organisation code, username, (network, NHS number)) and only missing objects are
created; networks, organisations, users and memberships are brought back to the values of
the data file; people and actions already present are left as they are, since demo users may
have changed them. The password is re-set whenever DEMO_PASSWORD no longer matches. With
DEMO_TOTP_SECRET (base32) every demo person but the partner systems has a confirmed TOTP
authenticator with that secret, so the demo runs with ICN_REQUIRE_MFA=true.

Everything is fictional: NHS numbers come from the synthetic 999 range, telephone numbers
from Ofcom's drama ranges, names and organisation codes are made up.

Referrals, visits (one restricted: demo/restricted.py) and meetings are seeded idempotently;
it spans networks, so it runs in the system scope (core/rls.py, ADR 0006)."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pghistory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.services import totp_device_set_secret, totp_key_from_base32
from actions.models import Action
from actions.services import action_create
from careplans.models import CarePlan
from careplans.services import care_plan_save
from core.nhs_number import synthetic
from core.rls import SystemScopeCommand
from demo.datafiles import dmd_extract_tally, frozen, load
from demo.populations import commission_demo_networks, seed_populations
from demo.restricted import restricted_visit_seed
from huddles import scheduling
from huddles.models import AgendaItem, Episode, Guest, Meeting
from huddles.services import meetings_schedule
from medicines.models import ResidentAllocation, Visit
from medicines.services import medication_add, resident_allocate, visit_log
from networks.models import Cover, Membership, Network, Organisation
from networks.roles import DEFAULT_SERVING_ROLES, Role, Service
from networks.services import cover_set, membership_add, membership_reactivate
from notifications.models import Preference
from patients.models import CareTeamMember, Consent, Goal, Patient
from patients.services import CONSENT_FIELDS, care_team_add, patient_create, patient_record_consent
from referrals.catalogue import SERVICE_SNOMED, ensure_red_flags
from referrals.models import RedFlag, Referral, ServiceConfig
from referrals.selectors import DEFAULT_ACCEPTS, forget_service_directory
from referrals.services import (
    referral_accept,
    referral_complete,
    referral_create,
    referral_decline,
)
from reports.models import AdmissionEvent

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
    care_needs: tuple[str, ...] = ()  # why a care-home resident needs the medicines team
    allocated_to: str | None = None  # role of the named member who looks after their medicines
    key_worker: str | None = None  # role
    # (MDT, sharing) and, for a best-interests decision, who took it
    consent: tuple[str, ...] = (Consent.GIVEN, Consent.GIVEN)
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
class DemoService:
    """A service the network added beside the built-in ones (configuration, no code)."""

    code: str
    label: str
    accepts: str
    triaged_by: tuple[str, ...]  # roles


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
class DemoCarePlan:
    patient_seed: int
    review_in_days: int
    needs: tuple[tuple[str, str], ...]
    interventions: tuple[tuple[str, str, int], ...]  # description, owner, due in days


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
    care_plans: tuple[DemoCarePlan, ...] = field(default=())
    services: tuple[DemoService, ...] = field(default=())
    guests: tuple[dict, ...] = field(default=())  # at past meetings: huddles.Guest fields


def demo_network(spec: dict) -> DemoNetwork:
    """A network of demo/data/seed_demo.toml as the dataclasses above (lists as tuples, but
    for the weekdays, which are compared with the network's list)."""
    spec = frozen(spec)
    return DemoNetwork(
        **{
            **spec,
            "meeting_weekdays": list(spec["meeting_weekdays"]),
            "organisations": tuple(Org(**org) for org in spec["organisations"]),
            "people": {role: Person(**person) for role, person in spec["people"].items()},
            "patients": tuple(DemoPatient(**patient) for patient in spec["patients"]),
            "actions": tuple(DemoAction(**action) for action in spec.get("actions", ())),
            "referrals": tuple(DemoReferral(**referral) for referral in spec.get("referrals", ())),
            "care_plans": tuple(DemoCarePlan(**plan) for plan in spec.get("care_plans", ())),
            "services": tuple(DemoService(**service) for service in spec.get("services", ())),
        }
    )


DATA = load("seed_demo")
DEMO_NETWORKS = tuple(demo_network(spec) for spec in DATA["networks"])
# A medication list for the first three people: name, strength, tablets, frequency.
DEMO_MEDICINES = frozen(DATA["demo_medicines"])
# What each service did, for the demo's completed referrals.
DEMO_OUTCOMES = {
    Service.MDT: "Discussed at the meeting; plan agreed and shared with the GP.",
    Service.MEDICINES_OPTIMISATION: "Home review done: two medicines stopped, blister pack "
    "started, GP told.",
    Service.SOCIAL_SERVICES: "Care needs assessed; morning care package started.",
    Service.PIC: "Met at home; joined the lunch club on Tuesdays.",
    Service.OCCUPATIONAL_THERAPY: "Assessed; grab rails and a perching stool fitted.",
    Service.PHYSIOTHERAPY: "Strength and balance programme completed; walking with a frame.",
    Service.COMMUNITY_NURSING: "Leg ulcer healed; discharged from nursing.",
    Service.GP: "Seen by the GP; medicines adjusted.",
}


def demo_username(role: str, network_slug: str) -> str:
    return f"{role}.{network_slug}"


class Command(SystemScopeCommand):
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
            self.tally.update(dmd_extract_tally() | commission_demo_networks(DEMO_NETWORKS))
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
        self.guests = spec.guests  # at each past meeting made below (past_meeting)
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
        self.seed_care_plans(spec, patients, members, chair)
        self.seed_services(network, spec)
        self.seed_referrals(network, spec, patients, members, orgs)
        self.seed_medicines(network, spec, patients, members)
        self.seed_meetings(network)
        self.seed_cover_and_preferences(network, members)
        self.seed_outcomes(network, list(patients.values()), members)
        seed_populations(self.upsert, orgs, chair)

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
        """A year of history for the reports and the person's timeline: discharges from the
        MDT with the answer to "have we avoided an admission?" and the discussions at past
        meetings that led there, the emergency admissions that followed two of them,
        and goals agreed with people, some met."""
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
            self.seed_discussions(network, patient, chair, members, n, answer, closed)
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

    def seed_discussions(
        self, network: Network, patient, chair, members: dict, n: int, answer: str, closed
    ) -> None:
        """The episode's two discussions at past meetings (with their social notes, which the
        PIC reads), for the person's timeline and the reports: the first after coming onto
        the caseload (continue, a task agreed, done), the last at discharge with the
        admission-avoided answer."""
        opened = closed - timedelta(days=20 + 4 * n)
        said = {
            "first": {
                "source": AgendaItem.Source.REFERRAL,
                "reason": "New MDT referral",
                "notes": "Two falls this month; lives alone. Medicines review and a visit agreed.",
                "social_notes": "Lives alone; her daughter visits at weekends. Would like to "
                "try the lunch club again.",
                "decision": AgendaItem.Decision.CONTINUE,
                "next_review_on": timezone.localdate(closed),
            },
            "last": {
                "source": AgendaItem.Source.REVIEW,
                "reason": "Review due",
                "notes": "No falls since the review; walking to the shop with a frame.",
                "social_notes": "Goes to the lunch club on Thursdays; a neighbour looks in "
                "every morning.",
                "decision": AgendaItem.Decision.DISCHARGE,
                "admission_avoided": answer,
                "decision_reason": "Goals met; stable at home",
            },
        }
        items = {}
        for which, day in (("first", opened + timedelta(days=2)), ("last", closed)):
            meeting = self.past_meeting(network, chair, timezone.localdate(day))
            items[which] = AgendaItem.objects.create(
                meeting=meeting,
                patient=patient,
                status=AgendaItem.Status.DISCUSSED,
                decided_at=meeting.starts_at,
                decided_by=chair,
                **said[which],
            )
        agreed_at = items["first"].decided_at
        Action.objects.create(
            network=network,
            patient=patient,
            title="Structured medication review",
            assignee=members[Role.PHARMACIST].user,
            due_on=timezone.localdate(agreed_at) + timedelta(days=7),
            status=Action.Status.DONE,
            source=Action.Source.MEETING,
            agenda_item=items["first"],
            created_by=chair,
            done_at=agreed_at + timedelta(days=5),
            done_by=members[Role.PHARMACIST].user,
        )

    def past_meeting(self, network: Network, chair, day: date) -> Meeting:
        """The network's meeting on its own cadence on or before `day` (never a weekend or a
        bank holiday), held and closed."""
        slot, starts = None, None
        for candidate in reversed(list(scheduling.slots(network, day - timedelta(days=28), day))):
            starts = scheduling.starts_for(network, candidate)
            if starts is not None:
                slot = candidate
                break
        if slot is None or starts is None:  # no cadence slot in four weeks: that day itself
            slot = starts = timezone.make_aware(datetime.combine(day, time(13, 0)))
        meeting, created = Meeting.objects.get_or_create(
            network=network,
            scheduled_for=slot,
            defaults={
                "starts_at": starts,
                "status": Meeting.Status.CLOSED,
                "chair": chair,
                "closed_at": starts + timedelta(hours=1),
            },
        )
        if created:  # those at it who are not members (a care home manager, a relative)
            for guest in self.guests:
                Guest.objects.create(meeting=meeting, added_by=chair, **guest)
                self.count("meeting guests", "created")
        return meeting

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
        # Care home staff work in the care home that employs them.
        care_home = organisation if role == Role.CARE_HOME_STAFF else None
        membership = Membership.objects.filter(user=user, network=network).first()
        if membership is None:
            membership = membership_add(
                user=user,
                network=network,
                role=role,
                organisation=organisation,
                job_title=person.job_title,
                care_home=care_home,
                by=None,
            )
            self.count("memberships", "created")
            return membership
        outcome = "unchanged"
        if not membership.is_active:
            membership = membership_reactivate(membership=membership, by=None)
            outcome = "updated"
        wanted = {
            "role": role,
            "organisation": organisation,
            "job_title": person.job_title,
            "care_home": care_home,
        }
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
                care_needs=list(spec.care_needs),
                key_worker=members[spec.key_worker] if spec.key_worker else None,
                notes_for_visitors=spec.notes_for_visitors,
                social_needs=spec.social_needs,
                what_matters=spec.what_matters,
                frailty=spec.frailty,
                caseload_reason=spec.caseload_reason,
                clinical_notes=spec.clinical_notes,
            )
            if tuple(spec.consent[:2]) != (Consent.NOT_ASKED, Consent.NOT_ASKED):
                consent = dict(zip(CONSENT_FIELDS, spec.consent, strict=False))
                patient_record_consent(patient=patient, by=chair, **consent)
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
        if spec.allocated_to:
            allocated = ResidentAllocation.objects.filter(
                patient=patient, member=members[spec.allocated_to]
            ).exists()
            if not allocated:
                resident_allocate(
                    patient=patient, member_id=members[spec.allocated_to].pk, by=chair
                )
            self.count("resident allocations", "unchanged" if allocated else "created")
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

    def seed_care_plans(self, spec: DemoNetwork, patients: dict, members: dict, chair) -> None:
        """Care plans agreed at the huddle (their interventions become tasks); a person who
        has one already keeps it as it is."""
        today = timezone.localdate()
        for demo in spec.care_plans:
            patient = patients[demo.patient_seed]
            if CarePlan.objects.filter(patient=patient).exists():
                self.count("care plans", "unchanged")
                continue
            interventions = []
            for description, owner, due_in_days in demo.interventions:
                queue = owner.removeprefix("queue:") if owner.startswith("queue:") else ""
                interventions.append(
                    {
                        "description": description,
                        "owner": None if queue else members[owner].user,
                        "owner_role": queue,
                        "due_on": today + timedelta(days=due_in_days),
                    }
                )
            care_plan_save(
                by=chair,
                patient=patient,
                version=0,
                data={
                    "review_on": today + timedelta(days=demo.review_in_days),
                    "needs": [{"domain": d, "description": text} for d, text in demo.needs],
                    "interventions": interventions,
                },
            )
            self.count("care plans", "created")

    def seed_services(self, network: Network, spec: DemoNetwork) -> None:
        """Each service as this network runs it: the default serving roles and criteria,
        written out so that they can be changed on the services page, and the services the
        network added (a mental health pharmacy clinic)."""
        for service in Service:
            self.upsert(
                ServiceConfig,
                "services",
                {"network": network, "service": service.value},
                {
                    "label": service.label,
                    "serving_roles": list(DEFAULT_SERVING_ROLES[service]),
                    "accepts": DEFAULT_ACCEPTS[service],
                    "active": True,
                    "snomed_code": SERVICE_SNOMED.get(service.value, ""),
                },
                exclude=["network"],
            )
        for own in spec.services:
            self.upsert(
                ServiceConfig,
                "services",
                {"network": network, "service": own.code},
                {
                    "label": own.label,
                    "serving_roles": list(own.triaged_by),
                    "accepts": own.accepts,
                    "active": True,
                },
                exclude=["network"],
            )
        forget_service_directory(network)

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
                referral_complete(
                    referral=referral, by=triager, outcome=DEMO_OUTCOMES[demo.service]
                )
            if demo.outcome.startswith("declined:"):
                _, reason, note = demo.outcome.split(":", 2)
                referral_decline(referral=referral, by=triager, reason=reason, note=note)
            self.count("referrals", "created", 1 + len(raised.flag_referrals))

    def seed_medicines(
        self, network: Network, spec: DemoNetwork, patients: dict, members: dict
    ) -> None:
        """Medication lists for three people, three visits by the pharmacist (one restricted)."""
        if Visit.objects.filter(network=network).exists():
            self.count("visits", "unchanged", 3)
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
        restricted_visit_seed(patient=people[2], by=pharmacist, at=now - timedelta(days=1))
        self.count("visits", "created", 3)

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

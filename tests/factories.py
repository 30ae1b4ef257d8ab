import datetime
import itertools

import factory
from django.contrib.auth import get_user_model

from actions.models import Action
from core import nhs_number
from networks.models import Membership, Network, Organisation
from patients.models import Patient


def _valid_nhs_numbers():
    for seed in itertools.count(1000):
        number = nhs_number.synthetic(seed)
        if number.endswith(str(nhs_number.check_digit(f"999{seed:06d}"))):
            yield number


_nhs_numbers = _valid_nhs_numbers()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nhs.uk")
    password = factory.django.Password("a-good-long-password")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ORG{n:05d}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.NHS_TRUST


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"network-{n}")
    name = factory.LazyAttribute(lambda n: n.slug.replace("-", " ").title())
    vocabulary = "icn"
    cadence = "fortnightly"
    meeting_weekdays = factory.LazyFunction(lambda: [1])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    network = factory.SubFactory(NetworkFactory)
    role = "pharmacist"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    network = factory.SubFactory(NetworkFactory)
    nhs_number = factory.LazyFunction(lambda: next(_nhs_numbers))
    given_name = factory.Faker("first_name", locale="en_GB")
    family_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = factory.Faker(
        "date_between", start_date=datetime.date(1925, 1, 1), end_date=datetime.date(1955, 1, 1)
    )
    address = factory.Faker("street_address", locale="en_GB")
    phone = "020 7946 0000"
    frailty = "moderate"
    caseload_reason = "Recently discharged after a fall"
    clinical_notes = "On warfarin; INR monitored by the practice."
    social_needs = "Lives alone; daughter visits weekly."
    what_matters = "Staying in my own home."
    # Consent to share given, so a referral to the PIC may be made (issue 17); tests of the
    # consent rules set what they need.
    consent_sharing = "given"


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    patient = factory.SubFactory(PatientFactory)
    network = factory.SelfAttribute("patient.network")
    title = factory.Sequence(lambda n: f"Task {n}")
    due_on = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=3))
    assignee_role = "pharmacist"
    created_by = factory.SubFactory(UserFactory)


def meeting_started(meeting, minutes: int = 5):
    """The meeting has started (`minutes` ago): it may be closed (huddles.services
    meeting_close refuses a meeting not yet started)."""
    from django.utils import timezone

    meeting.starts_at = timezone.now() - datetime.timedelta(minutes=minutes)
    type(meeting).objects.filter(pk=meeting.pk).update(starts_at=meeting.starts_at)
    return meeting

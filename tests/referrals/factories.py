"""Factories for referrals and red flags on people (the catalogue itself is seeded)."""

import datetime

import factory
from django.utils import timezone

from referrals.models import PatientFlag, RedFlag, Referral
from tests.factories import PatientFactory, UserFactory


class ReferralFactory(factory.django.DjangoModelFactory):
    """A new referral, unless a trait says otherwise. `created_at` is set by the database
    (auto_now_add): use `age()` to make one older."""

    class Meta:
        model = Referral

    patient = factory.SubFactory(PatientFactory)
    network = factory.SelfAttribute("patient.network")
    service = "medicines_optimisation"
    reason = factory.Sequence(lambda n: f"Reason for referral {n}")
    referred_by = factory.SubFactory(UserFactory)

    class Params:
        declined = factory.Trait(
            status=Referral.Status.DECLINED,
            triaged_at=factory.LazyFunction(timezone.now),
            triaged_by=factory.SubFactory(UserFactory),
            decline_reason=Referral.DeclineReason.ALREADY_KNOWN,
            decline_note="Seen last month.",
        )
        accepted = factory.Trait(
            status=Referral.Status.ACCEPTED,
            triaged_at=factory.LazyFunction(timezone.now),
            triaged_by=factory.SubFactory(UserFactory),
        )


class PatientFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientFlag

    patient = factory.SubFactory(PatientFactory)
    flag = factory.LazyFunction(lambda: RedFlag.objects.get(code="medicines_stockpile"))
    raised_from = PatientFlag.RaisedFrom.PATIENT
    raised_by = factory.SubFactory(UserFactory)
    note = "Boxes in the kitchen"


def age(referral: Referral, *, days: int = 0, at: datetime.datetime | None = None) -> Referral:
    """Make the referral older (created `days` ago, or at `at`)."""
    created = at or timezone.now() - datetime.timedelta(days=days)
    Referral.objects.filter(pk=referral.pk).update(created_at=created)
    referral.refresh_from_db()
    return referral

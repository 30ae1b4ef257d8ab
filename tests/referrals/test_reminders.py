"""Untriaged referral reminders against real PostgreSQL (moved from
tests/notifications/test_sweeps.py): the service first, then the chairs; urgent ones sooner."""

from datetime import datetime, timedelta

import pytest

from notifications.models import Notification
from referrals.models import Referral
from referrals.reminders import sweep_untriaged_referrals
from tests.referrals.factories import ReferralFactory
from tests.reminders import WED, at, got, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(member, network, patient):
    return make_team(member, patient)


# --- referrals --------------------------------------------------------------------------------


def referral(team, made: datetime, **kwargs):
    kwargs.setdefault("service", "medicines_optimisation")
    ref = ReferralFactory(patient=team["patient"], referred_by=team["gp"], **kwargs)
    Referral.objects.filter(pk=ref.pk).update(created_at=made)
    return ref


def test_untriaged_referral_reminded_after_two_working_days_escalated_after_five(team):
    ref = referral(team, at(2026, 11, 30, 9))  # Monday morning
    sweep_untriaged_referrals(at(2026, 12, 1))  # Tuesday: one working day
    assert Notification.objects.count() == 0
    sweep_untriaged_referrals(WED)  # two
    for pharmacist in (team["pharmacist"], team["pharmacist2"]):
        [n] = got(pharmacist, "referral_untriaged")
        assert n.subject_id == ref.pk and "Medicines optimisation" in n.title
    assert got(team["chair"]) == []
    sweep_untriaged_referrals(at(2026, 12, 7))  # next Monday: five
    [n] = got(team["chair"], "referral_escalated")
    assert n.subject_id == ref.pk
    sweep_untriaged_referrals(at(2026, 12, 8))
    assert Notification.objects.count() == 3


def test_urgent_referrals_after_four_hours_and_the_chair_after_eight(team):
    referral(team, WED - timedelta(hours=3), urgency="urgent")
    late = referral(team, WED - timedelta(hours=5), urgency="urgent", service="community_nursing")
    older = referral(team, WED - timedelta(hours=9), urgency="urgent", service="gp")
    sweep_untriaged_referrals(WED)
    assert {n.subject_id for n in Notification.objects.filter(kind="referral_untriaged")} == {
        late.pk,
        older.pk,
    }
    assert [n.subject_id for n in got(team["chair"], "referral_escalated")] == [older.pk]
    assert "Urgent referral" in got(team["chair"], "referral_escalated")[0].title


def test_triaged_referrals_are_not_chased(team):
    ref = referral(team, at(2026, 11, 23))
    Referral.objects.filter(pk=ref.pk).update(status="accepted", triaged_at=WED)
    assert sweep_untriaged_referrals(WED) == 0


def test_thresholds_are_configuration(team, settings):
    settings.ICN_NOTIFY = {**settings.ICN_NOTIFY, "REFERRAL_REMIND_WORKING_DAYS": 1}
    referral(team, at(2026, 11, 30, 9))
    sweep_untriaged_referrals(at(2026, 12, 1))
    assert len(got(team["pharmacist"], "referral_untriaged")) == 1

"""Helpers shared by the referrals page tests (test_inbox_views.py, test_views.py)."""

import html

from django.contrib.messages import get_messages

from referrals import services
from referrals.models import RedFlag

HX = {"HX-Request": "true"}
MEDS = "medicines_optimisation"


def quoted(label: str) -> str:
    """The label in curly single quotes, as the messages quote red flags."""
    return f"\u2018{label}\u2019"


def flag(code: str) -> RedFlag:
    return RedFlag.objects.get(code=code)


def text(response) -> str:
    return html.unescape(response.content.decode())


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def refer(patient, by, service=MEDS, **kwargs):
    kwargs.setdefault("reason", "Struggling with tablets")
    return services.referral_create(patient=patient, service=service, by=by, **kwargs).referral

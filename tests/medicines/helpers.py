"""Helpers shared by the medicines page tests (test_visit_views.py, test_views.py)."""

import datetime
import html

from django.contrib.messages import get_messages
from django.utils import timezone

from medicines.services import medication_add

HX = {"HX-Request": "true"}
THREE_FLAGS = ["no_heating", "fall", "loneliness"]


def text(response) -> str:
    return html.unescape(response.content.decode())


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def short_date(day: datetime.date) -> str:
    if day.year == timezone.localdate().year:
        return f"{day.day} {day:%b}"
    return f"{day.day} {day:%b %Y}"


def now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def visit_data(**overrides) -> dict:
    data = {
        "kind": "home",
        "visited_at": now_local(),
        "preference": "none",
        "systolic_bp": "128",
        "diastolic_bp": "78",
        "pulse": "72",
        "respiratory_rate": "16",
        "temperature_c": "36.8",
        "spo2": "97",
        "spo2_scale": "1",
        "consciousness": "alert",
        "summary": "Cold house; has fallen twice; sees no one.",
    }
    data.update(overrides)
    return data


def add_medicine(patient, by, name, **kwargs):
    kwargs.setdefault("dose_amount", 1)
    kwargs.setdefault("frequency", "once_daily")
    return medication_add(patient=patient, by=by, name=name, **kwargs)

"""Reminders about referrals still waiting for triage: to the service first, then the chairs.
Delivered through `notifications` (see `notifications/sweeping.py`)."""

from datetime import date, datetime, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.workdays import working_days_cutoff
from notifications.services import Message, deliver
from notifications.sweeping import (
    Directory,
    Sweep,
    already_sent,
    config,
    in_working_hours,
    patient_name,
    patient_url,
)

from .models import Referral, Urgency
from .selectors import service_directory


def serving(directory: Directory, network_id: int, service: str) -> list[int]:
    """Who in the network triages referrals to `service` (its serving roles' holders)."""
    info = service_directory(directory.networks[network_id]).get(service)
    roles = info.serving_roles if info else ()
    return sorted({u for role in roles for u in directory.holders(network_id, role)})


def _start_of_day_after(day: date) -> datetime:
    local = datetime.combine(day + timedelta(days=1), datetime.min.time())
    return timezone.make_aware(local)


def sweep_untriaged_referrals(now: datetime) -> int:
    """Referrals still new: routine ones reminded to the service after
    `REFERRAL_REMIND_WORKING_DAYS` working days and escalated to the chairs after
    `REFERRAL_ESCALATE_WORKING_DAYS`; urgent ones after `URGENT_REMIND_HOURS` and
    `URGENT_ESCALATE_HOURS`. Once per referral and stage."""
    if not in_working_hours(now):
        return 0
    today = timezone.localdate(now)

    def made_before(working_days: int, hours: int) -> Q:
        routine_cutoff = _start_of_day_after(working_days_cutoff(today, working_days))
        return Q(urgency=Urgency.ROUTINE, created_at__lt=routine_cutoff) | Q(
            urgency=Urgency.URGENT, created_at__lte=now - timedelta(hours=hours)
        )

    fields = (
        "pk",
        "network_id",
        "patient_id",
        "patient__given_name",
        "patient__family_name",
        "service",
        "urgency",
        "created_at",
    )
    waiting = Referral.objects.filter(status=Referral.Status.NEW)
    remind = list(
        waiting.filter(
            made_before(config("REFERRAL_REMIND_WORKING_DAYS"), config("URGENT_REMIND_HOURS"))
        )
        .exclude(already_sent("referral_untriaged", "referral"))
        .values(*fields)
    )
    escalate = list(
        waiting.filter(
            made_before(config("REFERRAL_ESCALATE_WORKING_DAYS"), config("URGENT_ESCALATE_HOURS"))
        )
        .exclude(already_sent("referral_escalated", "referral"))
        .values(*fields)
    )
    if not remind and not escalate:
        return 0
    directory = Directory.load({r["network_id"] for r in remind + escalate})
    messages: list[Message] = []
    for stage, rows in (("referral_untriaged", remind), ("referral_escalated", escalate)):
        for row in rows:
            info = service_directory(directory.networks[row["network_id"]]).get(row["service"])
            service = info.label if info else row["service"]
            urgent = "Urgent referral" if row["urgency"] == Urgency.URGENT else "Referral"
            made = timezone.localtime(row["created_at"])
            if stage == "referral_untriaged":
                recipients = serving(directory, row["network_id"], row["service"])
                title = f"{urgent} waiting for triage: {service}, {patient_name(row)}"
                url = reverse("referrals:inbox_service", args=[row["service"]])
                body = f"Made {made:%a %d %b %H:%M}."
            else:
                recipients = directory.chairs(row["network_id"])
                chair = directory.terms(row["network_id"])["chair"]
                title = f"{urgent} still not triaged: {service}, {patient_name(row)}"
                url = patient_url(row["patient_id"], "#referrals")
                body = f"Made {made:%a %d %b %H:%M}. Sent to you as {chair}."
            messages += [
                Message(
                    recipient_id=user_id,
                    kind=stage,
                    title=title,
                    subject_type="referral",
                    subject_id=row["pk"],
                    body=body,
                    url=url,
                    network_id=row["network_id"],
                    patient_id=row["patient_id"],
                )
                for user_id in recipients
            ]
    return deliver(messages, today)


# The `reminder_sweeps` port (settings.ICN_PORTS): each sweep by the name it reports under.
SWEEPS: dict[str, Sweep] = {"referrals": sweep_untriaged_referrals}

"""The commissioner's monthly report (issue #19, item 5): on the first working day of each
month (England and Wales), every commissioner gets the previous calendar month's comparison
of their networks (reports/compare.py) as a PDF and a CSV, kept in the database
(reports.MonthlyReport), and is told: a notification in the app and an e-mail, each with the
link only. The report holds figures per network and no one's name; the e-mail carries no
figures unless COMMISSIONER_REPORT_EMAIL_ATTACH attaches the two files.

Made once per commissioner and month (unique per person and month) and sent once (`sent_at`,
claimed by one UPDATE): a second run the same day, or a doubled beat, makes and sends
nothing new."""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.pdf import html_pdf
from core.workdays import is_working_day
from networks.models import Membership
from networks.roles import Role
from notifications.services import Message, deliver

from .compare import METRICS, Comparison, Metric, compare
from .compare_api import comparison_networks
from .figures import Scope
from .models import MonthlyReport

KIND = "monthly_report"
CSV_HEADER = [
    "month",
    "network",
    "population",
    "metric",
    "unit",
    "numerator",
    "denominator",
    "value",
    "system_mean",
    "lower_95",
    "upper_95",
    "lower_99_8",
    "upper_99_8",
    "outlier",
]


def first_working_day(year: int, month: int) -> date:
    """The month's first working day in England and Wales (weekends and bank holidays
    skipped): 4 January 2027 (1 January a bank holiday, 2 and 3 a weekend)."""
    day = date(year, month, 1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_month(day: date) -> date:
    """The first day of the calendar month before `day`'s."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class Line:
    """One metric of one network, as the report prints it."""

    metric: Metric
    numerator: float
    denominator: float
    value: float | None
    mean: float | None
    limits95: tuple[float, float] | None
    limits998: tuple[float, float] | None
    outlier: str | None


def _lines(comparison: Comparison, network_id: int) -> list[Line]:
    lines = []
    for metric in METRICS:
        point = comparison.point(metric.code, network_id)
        lines.append(
            Line(
                metric=metric,
                numerator=point.numerator,
                denominator=point.denominator,
                value=point.value,
                mean=comparison.funnels[metric.code].mean,
                limits95=point.limits95,
                limits998=point.limits998,
                outlier=point.outlier,
            )
        )
    return lines


def outlier_sentence(network_name: str, line: Line) -> str:
    """An outlier in words: which way, how far from the system mean, beyond which limit."""
    low, high = line.limits998 or (0.0, 0.0)
    side, limit = ("above", high) if line.outlier == "high" else ("below", low)
    return (
        f"{network_name}: {line.metric.label}, {line.value:.1f} {line.metric.unit}, {side} "
        f"the 99.8% limit of {limit:.1f} (system mean {line.mean:.1f})."
    )


def content(comparison: Comparison) -> dict:
    """What the report says: per network its population and every metric's line; the outliers
    in words."""
    networks = []
    outliers = []
    for network in comparison.networks:
        lines = _lines(comparison, network.pk)
        networks.append(
            {
                "name": network.name,
                "population": comparison.counts[network.pk]["population"],
                "lines": lines,
            }
        )
        outliers += [outlier_sentence(network.name, line) for line in lines if line.outlier]
    return {"networks": networks, "outliers": outliers, "metrics": METRICS}


def _number(value: float | None, places: int = 3) -> str:
    return "" if value is None else f"{round(value, places):g}"


def csv_bytes(month: date, report: dict) -> bytes:
    """One row per network and metric (UTF-8 with a BOM, for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for network in report["networks"]:
        for line in network["lines"]:
            low95, high95 = line.limits95 or (None, None)
            low998, high998 = line.limits998 or (None, None)
            writer.writerow(
                [
                    f"{month:%Y-%m}",
                    network["name"],
                    _number(network["population"], 0),
                    line.metric.code,
                    line.metric.unit,
                    _number(line.numerator),
                    _number(line.denominator),
                    _number(line.value),
                    _number(line.mean),
                    _number(low95),
                    _number(high95),
                    _number(low998),
                    _number(high998),
                    line.outlier or "",
                ]
            )
    return ("\ufeff" + out.getvalue()).encode()


def pdf_bytes(month: date, report: dict, generated: date) -> bytes:
    html = render_to_string(
        "pdf/monthly_report.html", {**report, "month": month, "generated": generated}
    )
    return html_pdf(html, base_url=settings.ICN_SITE_URL)


def commissioners() -> list[int]:
    """Users with an active commissioner membership, in id order."""
    return sorted(
        set(
            Membership.objects.filter(
                role=Role.COMMISSIONER, is_active=True, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    )


def report_generate(*, user, today: date) -> MonthlyReport:
    """The user's report on the month before `today` (made now unless it exists)."""
    month = previous_month(today)
    existing = MonthlyReport.objects.filter(user=user, month=month).defer("pdf", "csv").first()
    if existing is not None:
        return existing
    ids = tuple(sorted(m.network_id for m in comparison_networks(user)))
    report = content(compare(Scope(ids, month, month), today))
    try:
        with transaction.atomic():
            return MonthlyReport.objects.create(
                user=user,
                month=month,
                network_ids=list(ids),
                pdf=pdf_bytes(month, report, today),
                csv=csv_bytes(month, report),
            )
    except IntegrityError:  # made meanwhile by another run
        return MonthlyReport.objects.defer("pdf", "csv").get(user=user, month=month)


def _link() -> str:
    return reverse("reports:monthly")


def report_send(report: MonthlyReport, user) -> bool:
    """Tell the owner once: the notification (in the app only) and an e-mail with the link,
    and the files only if COMMISSIONER_REPORT_EMAIL_ATTACH. False if already told."""
    claimed = MonthlyReport.objects.filter(pk=report.pk, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return False
    title = f"Your monthly report for {report.month:%B %Y} is ready"
    deliver(
        [
            Message(
                recipient_id=user.pk,
                kind=KIND,
                title=title,
                subject_type="monthly_report",
                subject_id=report.pk,
                body="Your networks side by side, with control limits, as a PDF and a CSV.",
                url=_link(),
                emailed=False,
            )
        ]
    )
    if user.email:
        try:
            _email(report, user, title)
        except Exception:
            # Not told: the next run (or a retry) tries again.
            MonthlyReport.objects.filter(pk=report.pk).update(sent_at=None)
            raise
    return True


def _email(report: MonthlyReport, user, title: str) -> None:
    link = settings.ICN_SITE_URL.rstrip("/") + _link()
    attach = settings.COMMISSIONER_REPORT_EMAIL_ATTACH
    body = (
        f"{title}.\n\nOpen it in ICN (you will be asked to sign in):\n  {link}\n"
        + ("\nThe PDF and the CSV are attached.\n" if attach else "")
        + "\n--\nICN. This message was sent automatically; please do not reply."
    )
    message = EmailMessage(subject=f"ICN: {title}", body=body, to=[user.email])
    if attach:
        files = MonthlyReport.objects.values_list("pdf", "csv").get(pk=report.pk)
        message.attach(report.file_name("pdf"), bytes(files[0]), "application/pdf")
        message.attach(report.file_name("csv"), bytes(files[1]), "text/csv")
    message.send()


def monthly_reports_run(*, today: date) -> int:
    """On the month's first working day: every commissioner's report made and sent (nothing
    twice). Any other day, nothing. Returns the reports sent by this run."""
    if today != first_working_day(today.year, today.month):
        return 0
    from django.contrib.auth import get_user_model

    sent = 0
    for user in get_user_model().objects.filter(pk__in=commissioners()).order_by("pk"):
        report = report_generate(user=user, today=today)
        sent += report_send(report, user)
    return sent

"""The monthly report made by a real Celery worker on the Redis broker, as beat would ask for it
(reports.tasks.send_monthly_reports): a report and a notification for each commissioner, and
a second run the same day makes nothing new for those already told."""

import pytest

from notifications.models import Notification
from reports.models import MonthlyReport
from reports.tasks import send_monthly_reports
from tests.workers import database_url_for_tests, solo_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _output(proc) -> str:
    proc.kill()
    return proc.communicate(timeout=20)[0].decode(errors="replace")[-3000:]


def _sent(user) -> bool:
    return MonthlyReport.objects.filter(user=user, sent_at__isnull=False).exists()


def test_the_worker_makes_and_sends_each_report_once(member, network, other_network):
    first = member("commissioner")
    with solo_worker(database_url_for_tests()) as proc:
        send_monthly_reports.delay(day="2027-01-02")  # a Saturday: nothing
        send_monthly_reports.delay(day="2027-01-04")  # the first working day of January
        assert wait_for(lambda: _sent(first), timeout=60), _output(proc)
        # A second commissioner, then the same day's run again: made for them (so the run is
        # known to have finished), nothing new for the first.
        second = member("commissioner", net=other_network, username="second.commissioner")
        send_monthly_reports.delay(day="2027-01-04")
        assert wait_for(lambda: _sent(second), timeout=60), _output(proc)
    assert MonthlyReport.objects.filter(user=first).count() == 1
    report = MonthlyReport.objects.get(user=first)
    assert (report.month.isoformat(), report.network_ids) == ("2026-12-01", [network.pk])
    assert bytes(report.pdf).startswith(b"%PDF")
    assert Notification.objects.filter(recipient=first, kind="monthly_report").count() == 1
    assert MonthlyReport.objects.count() == 2

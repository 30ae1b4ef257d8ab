"""The hot paths the benchmark measures: the patient list and search, the triage inbox and the
referrals API, the person's page, the meeting pages, My day and My work, the dashboard; each
with its floor."""

from __future__ import annotations

from django.urls import reverse

from benchmarks.harness import first_row
from benchmarks.hotpaths_floors import (
    AGENDA_SQL,
    INBOX_COUNTS_SQL,
    INBOX_PAGE_SQL,
    PERSON_SQL,
    REFERRAL_API_SQL,
    RUN_SQL,
    Setup,
    busiest_service,
    check_agenda,
    check_ids,
    check_list,
    check_person,
    dashboard_floor,
    floor_params,
    meeting_of,
    patient_list_floor,
    trim_agenda,
)
from benchmarks.hotpaths_floors_day import (
    MY_DAY_SQL,
    MY_DAY_STAFF_SQL,
    MY_WORK_COUNTS_SQL,
    MY_WORK_MEMBERS_SQL,
    MY_WORK_SQL,
    check_my_day,
    check_my_work,
    my_day_params,
    my_work_params,
)
from benchmarks.hotpaths_measure import Path, Statement, dashboard_goal_ms
from benchmarks.hotpaths_urls import EMPTY_PATH  # noqa: F401
from medicines.views import VISITS_SHOWN
from networks.models import Network
from patients.models import Patient
from reports.api import default_period

MEETING_SIZE = 40


def build_paths(s: Setup, only: list[str]) -> list[Path]:

    net, pharmacist, chair = s.network, s.caseworker, s.chair
    paths: list[Path] = []

    def wanted(name: str) -> bool:
        return not only or any(name.startswith(o) or o in name for o in only)

    # 1. The patient list and search.
    probe = Patient.objects.filter(network=net).order_by("family_name", "given_name", "id")
    middle = probe[probe.count() // 2] if probe.exists() else None
    name_q = middle.family_name[:4] if middle else "a"
    nhs = middle.nhs_number if middle else "999"
    nhs_q = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
    lists = [
        ("patients-api", "API  /api/v1/patients/", "api", "", 50),
        ("patients-page", "page /patients/", "page", "", 25),
        ("search-name-api", f"API  /api/v1/patients/?q={name_q}", "api", name_q, 50),
        ("search-name-page", f"page /patients/?q={name_q}", "page", name_q, 25),
        ("search-nhs-api", "API  /api/v1/patients/?q=<NHS number>", "api", nhs_q, 50),
        ("search-nhs-page", "page /patients/?q=<NHS number>", "page", nhs_q, 25),
    ]
    for name, label, channel, q, limit in lists:
        if not wanted(name):
            continue
        base = "/api/v1/patients/" if channel == "api" else "/patients/"
        url = base + (f"?q={q.replace(' ', '+')}" if q else "")
        # Fewer rows, the same queries: one person (by NHS number; by name for that search).
        one = f"{middle.given_name}+{middle.family_name}" if middle else "a"
        small = base + "?q=" + (one if q == nhs_q else nhs)
        client = s.api(pharmacist) if channel == "api" else s.page(pharmacist)
        paths.append(
            Path(
                name,
                label,
                channel,
                url,
                client,
                patient_list_floor(pharmacist, net, q=q, limit=limit, channel=channel, url=url),
                "ratio",
                small_url=small,
                check=check_list(channel == "api"),
            )
        )

    # 2. The triage inbox.
    busiest, quietest, served = busiest_service(pharmacist, net)
    if wanted("inbox-page"):
        url = reverse("referrals:inbox_service", args=[busiest])
        params = floor_params(
            pharmacist, net, what="referral_inbox", channel="page", url=url,
            service=busiest, served=served, limit=50,
        )  # fmt: skip
        paths.append(
            Path(
                "inbox-page",
                f"page /referrals/inbox/{busiest}/",
                "page",
                url,
                s.page(pharmacist),
                [Statement(INBOX_COUNTS_SQL, params), Statement(INBOX_PAGE_SQL, params)],
                "ratio",
                small_url=reverse("referrals:inbox_service", args=[quietest]),
                check=check_ids(False, page_index=1, id_pattern=r'id="referral-(\d+)"'),
            )
        )
    if wanted("inbox-api"):
        url = f"/api/v1/referrals/?status=new&service={busiest}"
        params = floor_params(
            pharmacist, net, what="list", channel="api", url=url,
            service=busiest, status="new", limit=50,
        )  # fmt: skip
        paths.append(
            Path(
                "inbox-api",
                f"API  /api/v1/referrals/?status=new&service={busiest}",
                "api",
                url,
                s.api(pharmacist),
                [
                    Statement(
                        "SELECT count(*) FROM referrals_referral r WHERE r.network_id = %(network)s"
                        " AND r.status = %(status)s AND r.service = %(service)s",
                        params,
                    ),
                    Statement(
                        REFERRAL_API_SQL.format(service="AND r.service = %(service)s"), params
                    ),
                ],
                "ratio",
                small_url=f"/api/v1/referrals/?status=new&service={quietest}",
                check=check_ids(True, page_index=1),
            )
        )

    # 3. The person page: the one with the most history, and one with little.
    if wanted("patient-page"):
        most = first_row(
            "SELECT patient_id, count(*) FROM referrals_referral WHERE network_id = %s"
            " GROUP BY patient_id ORDER BY count(*) DESC, patient_id LIMIT 1",
            [net.pk],
        )
        least = (
            Patient.objects.filter(network=net).exclude(referrals__isnull=False).first()
            or Patient.objects.filter(network=net).exclude(pk=most[0]).first()
        )
        url = reverse("patients:detail", args=[most[0]])
        params = floor_params(
            pharmacist, net, what="detail", channel="page", url=url,
            patient=most[0], visits=VISITS_SHOWN + 1,
        )  # fmt: skip
        history = first_row(
            "SELECT (SELECT count(*) FROM referrals_referral WHERE patient_id = %(p)s),"
            " (SELECT count(*) FROM medicines_visit WHERE patient_id = %(p)s),"
            " (SELECT count(*) FROM actions_action WHERE patient_id = %(p)s),"
            " (SELECT count(*) FROM huddles_agendaitem WHERE patient_id = %(p)s)",
            {"p": most[0]},
        )
        paths.append(
            Path(
                "patient-page",
                "page /patients/<pk>/",
                "page",
                url,
                s.page(pharmacist),
                [Statement(sql, params) for sql in PERSON_SQL],
                "ratio",
                small_url=reverse("patients:detail", args=[least.pk]),
                check=check_person,
                note=(
                    f"{history[0]} referrals, {history[1]} visits, {history[2]} tasks, "
                    f"{history[3]} agenda items"
                ),
            )
        )

    # 4. A meeting of 40 (and one of 5, for the constant count), as its chair.
    if wanted("meeting-agenda") or wanted("meeting-run"):
        meeting, how = meeting_of(net, chair, MEETING_SIZE)
        small, _ = meeting_of(net, chair, 5)
        items = list(meeting.items.exclude(status="removed").order_by("position", "id"))
        small_items = list(small.items.exclude(status="removed").order_by("position", "id"))
        # agenda_build's first run adds the network's waiting MDT referrals (hundreds in the
        # synthetic data): trim both agendas back to their size, then count (and time) views
        # that add nothing.
        trim_agenda(meeting, MEETING_SIZE)
        trim_agenda(small, 5)
        s.page(chair).get(f"/meetings/{meeting.pk}/")
        s.page(chair).get(f"/meetings/{small.pk}/")
        built = meeting.items.exclude(status="removed").count()
        note = (
            f"meeting {meeting.pk} ({how}) with {len(items)} people, {built} on its agenda once "
            f"the chair's first view has run agenda_build; the small one: "
            f"{small.items.exclude(status='removed').count()}"
        )
        for name, label, url, small_url, sqls in [
            (
                "meeting-agenda",
                f"page /meetings/<pk>/ ({built} people)",
                f"/meetings/{meeting.pk}/",
                f"/meetings/{small.pk}/",
                AGENDA_SQL,
            ),
            (
                "meeting-run",
                f"page /meetings/<pk>/run/<item>/ ({built})",
                f"/meetings/{meeting.pk}/run/{items[1].pk}/",
                f"/meetings/{small.pk}/run/{small_items[1].pk}/",
                RUN_SQL,
            ),
        ]:
            if not wanted(name):
                continue
            params = floor_params(
                chair, net, what="meeting", channel="page", url=url,
                meeting=meeting.pk, patient=items[1].patient_id, item=items[1].pk,
            )  # fmt: skip
            paths.append(
                Path(
                    name,
                    label,
                    "page",
                    url,
                    s.page(chair),
                    [Statement(sql, params) for sql in sqls],
                    "queries",
                    small_url=small_url,
                    check=check_agenda,
                    note=note,
                )
            )

    # 5. My day (medicines) and My work (actions), as the pharmacist.
    if wanted("my-day-page"):
        url = "/medicines/my-day/"
        paths.append(
            Path(
                "my-day-page",
                "page /medicines/my-day/",
                "page",
                url,
                s.page(pharmacist),
                [
                    Statement(MY_DAY_SQL, my_day_params(pharmacist, net, url)),
                    Statement(MY_DAY_STAFF_SQL, {"network": net.pk}),
                ],
                "ratio",
                # Only the residents allocated to the pharmacist: fewer rows, the same queries.
                small_url=url + "?care=mine",
                check=check_my_day,
            )
        )
    if wanted("my-work-page"):
        url = "/my-work/"
        params = my_work_params(pharmacist, net, url)
        paths.append(
            Path(
                "my-work-page",
                "page /my-work/",
                "page",
                url,
                s.page(pharmacist),
                [
                    Statement(MY_WORK_SQL, params),
                    Statement(MY_WORK_COUNTS_SQL, params),
                    Statement(MY_WORK_MEMBERS_SQL, params),
                ],
                "ratio",
                check=check_my_work,
            )
        )

    # 6. The dashboard over every network, twelve months, as a manager in all of them.
    first, last = default_period()
    span = f"from={first:%Y-%m}&to={last:%Y-%m}"
    floor_fn, floor_note = dashboard_floor(s.manager, first, last)
    managed = Network.objects.filter(
        memberships__user=s.manager, memberships__is_active=True
    ).count()
    for name, label, channel, url in [
        ("dashboard-page", "page /reports/ (all networks, 12 months)", "page", f"/reports/?{span}"),
        (
            "dashboard-api",
            "API  /api/v1/reports/dashboard/ (all, 12 months)",
            "api",
            f"/api/v1/reports/dashboard/?{span}",
        ),
    ]:
        if not wanted(name):
            continue
        client = s.api(s.manager) if channel == "api" else s.page(s.manager)
        paths.append(
            Path(name, label, channel, url, client, [], "dashboard", floor_fn=floor_fn,
                 note=floor_note, goal_ms=dashboard_goal_ms(managed))
        )  # fmt: skip
    return paths


# --- report -----------------------------------------------------------------------------------

"""The person's timeline (patients/timeline.py and the port "person_timeline"): every kind of
entry with its date and text, newest first, grouped by month, filtered by kind, capped on the
person's page, what the PIC may not see, the other network, and the query count."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from huddles.models import AgendaItem, Episode, Meeting
from medicines.models import Visit
from patients.models import FrailtyAssessment
from patients.timeline import SHOWN_ON_PERSON_PAGE, collect
from referrals.models import Referral
from reports.models import AdmissionEvent
from tests.factories import ActionFactory


def at(year, month, day, hour=10, minute=0):
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def discussion(patient, chair, when, **fields):
    meeting = Meeting.objects.create(
        network=patient.network, scheduled_for=when, starts_at=when, chair=chair, status="closed"
    )
    defaults = {"source": "review", "reason": "Review due", "status": "discussed"}
    return AgendaItem.objects.create(meeting=meeting, patient=patient, **(defaults | fields))


def referral(patient, by, when, **fields):
    made = Referral.objects.create(
        network=patient.network,
        patient=patient,
        referred_by=by,
        **({"service": "medicines_optimisation", "reason": "Too many tablets"} | fields),
    )
    Referral.objects.filter(pk=made.pk).update(created_at=when)
    return made


def one_of_each(patient, chair, pharmacist, start: datetime, n: int = 1) -> None:
    """n entries of every kind, a day apart from `start` onward."""
    for i in range(n):
        when = start + timedelta(days=i)
        item = discussion(patient, chair, when, decision="continue", decided_by=chair)
        ActionFactory(patient=patient, agenda_item=item, title=f"Call the GP {i}")
        Episode.objects.create(
            patient=patient, network=patient.network, opened_at=when, closed_at=when
        )
        referral(
            patient,
            pharmacist,
            when,
            status="completed",
            triaged_at=when,
            triaged_by=pharmacist,
            closed_at=when,
            closed_by=pharmacist,
            outcome="Reviewed",
        )
        Visit.objects.create(
            network=patient.network,
            patient=patient,
            kind="home",
            visitor=pharmacist,
            visited_at=when,
        )
        AdmissionEvent.objects.create(
            network=patient.network,
            patient=patient,
            admitted_on=when.date(),
            kind="emergency",
            recorded_by=chair,
        )
        FrailtyAssessment.objects.create(
            patient=patient, scale="cfs", cfs_score=5, assessed_on=when.date(), recorded_by=chair
        )


@pytest.fixture
def story(member, patient):
    """Edith's year: a referral to medicines optimisation accepted and completed, a PIC
    referral made, the MDT discussions, an admission, a visit with NEWS2 and frailty."""
    chair, pharmacist, pic = member("chair"), member("pharmacist"), member("pic")
    chair.first_name, chair.last_name = "Ada", "Chair"
    chair.save()
    referral(
        patient,
        member("gp"),
        at(2026, 3, 2),
        status="completed",
        triaged_at=at(2026, 3, 3),
        triaged_by=pharmacist,
        closed_at=at(2026, 4, 20),
        closed_by=pharmacist,
        outcome="Stopped two sedatives; dosette box",
    )
    referral(patient, member("gp"), at(2026, 5, 1), service="pic", reason="Lonely at home")
    Episode.objects.create(
        patient=patient,
        network=patient.network,
        opened_at=at(2026, 3, 10, 9),
        closed_at=at(2026, 6, 11, 13),
        admission_avoided="yes",
        closing_reason="Stable at home",
    )
    item = discussion(
        patient,
        chair,
        at(2026, 3, 12, 13),
        decision="continue",
        next_review_on=date(2026, 4, 9),
        notes="BP low after the fall",
        decided_by=chair,
    )
    ActionFactory(patient=patient, agenda_item=item, title="Lying and standing BP")
    ActionFactory(patient=patient, agenda_item=item, title="Find a befriender", assignee_role="pic")
    discussion(
        patient,
        chair,
        at(2026, 6, 11, 13),
        decision="discharge",
        admission_avoided="yes",
        decision_reason="Stable at home",
        decided_by=chair,
    )
    AdmissionEvent.objects.create(
        network=patient.network,
        patient=patient,
        admitted_on=date(2026, 2, 14),
        kind="emergency",
        recorded_by=chair,
    )
    Visit.objects.create(
        network=patient.network,
        patient=patient,
        kind="home",
        visitor=pharmacist,
        visited_at=at(2026, 4, 2, 11),
        news2_score=6,
        news2_complete=True,
        news2_escalation="urgent",
        summary="Dizzy on standing",
    )
    FrailtyAssessment.objects.create(
        patient=patient, scale="cfs", cfs_score=6, assessed_on=date(2026, 3, 1), recorded_by=chair
    )
    return {"chair": chair, "pharmacist": pharmacist, "pic": pic}


def titles(entries):
    return [(e.when, e.title) for e in entries]


def test_every_kind_appears_with_its_date_and_text(story, patient):
    entries = collect(story["chair"], patient)
    by_title = {e.title: e for e in entries}
    assert titles(entries) == [
        (at(2026, 6, 11, 13), "Discharged from the MDT caseload"),
        (at(2026, 6, 11, 13), "Discussed at the huddle"),
        (at(2026, 5, 1), "Referred to Personal independence coordination"),
        (at(2026, 4, 20), "Medicines optimisation referral completed"),
        (at(2026, 4, 2, 11), "Home visit"),
        (at(2026, 3, 12, 13), "Discussed at the huddle"),
        (at(2026, 3, 10, 9), "Came onto the MDT caseload"),
        (at(2026, 3, 3), "Medicines optimisation accepted the referral"),
        (at(2026, 3, 2), "Referred to Medicines optimisation"),
        (date(2026, 3, 1), "Frailty assessed: CFS 6, moderate frailty"),
        (date(2026, 2, 14), "Emergency admission to hospital"),
    ]
    first, last = (e for e in entries if e.kind == "discussion")
    assert last.detail == (
        "On the agenda: Review due",
        "Decision: Continue, next review 9 Apr 2026",
        "Notes: BP low after the fall",
        f"Task agreed: Lying and standing BP (for Pharmacist, due "
        f"{(date.today() + timedelta(days=3)):%-d %b %Y})",
        f"Task agreed: Find a befriender (for Personal independence coordinator, due "
        f"{(date.today() + timedelta(days=3)):%-d %b %Y})",
    )
    assert last.who.startswith("Ada Chair, ") and last.link.endswith("/minutes/")
    assert "Admission avoided: Yes" in first.detail and "Why: Stable at home" in first.detail
    assert by_title["Medicines optimisation referral completed"].detail == (
        "Outcome: Stopped two sedatives; dosette box",
    )
    assert by_title["Home visit"].detail == ("NEWS2 6: urgent response", "Dizzy on standing")
    pharmacist = story["pharmacist"].get_full_name()
    assert by_title["Home visit"].who == f"{pharmacist}, Pharmacist"
    discharged = by_title["Discharged from the MDT caseload"]
    assert discharged.detail == ("Admission avoided: Yes", "Why: Stable at home")


def test_the_timeline_is_newest_first_by_month_and_the_person_page_shows_the_latest(
    client, story, patient
):
    client.force_login(story["chair"])
    page = client.get(f"/patients/{patient.pk}/timeline/").content.decode()
    section = page[page.index('id="timeline"') :]
    months = ["June 2026", "May 2026", "April 2026", "March 2026", "February 2026"]
    positions = [section.index(f">{month}</h3>") for month in months]
    assert positions == sorted(positions)
    assert "Stopped two sedatives; dosette box" in section
    assert "11 Jun 2026 13:00" in section and "14 Feb 2026" in section
    assert "See the whole timeline" not in section
    # The person's page is a summary: the latest few, newest first, and a link to the rest.
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    section = page[page.index('id="timeline"') :]
    assert section.index(">June 2026</h3>") < section.index(f"{SHOWN_ON_PERSON_PAGE} of ")
    assert "11 Jun 2026 13:00" in section and "14 Feb 2026" not in section
    assert f'href="/patients/{patient.pk}/timeline/"' in section


def test_the_pic_sees_no_clinical_content(client, story, patient):
    client.force_login(story["pic"])
    entries = collect(story["pic"], patient)
    assert {e.kind for e in entries} == {"discussion", "episode", "referral"}
    text = " ".join(" ".join((e.title, *e.detail, e.link)) for e in entries)
    # Discussed, with the decision and their role's task; nothing said or decided clinically.
    assert "Decision: Continue, next review 9 Apr 2026" in text
    assert "Find a befriender" in text and "Lying and standing BP" not in text
    for clinical in ("BP low", "Review due", "Admission avoided", "Stable at home", "minutes"):
        assert clinical not in text
    # The PIC referral only (as on the person's page), no visit, admission or frailty.
    assert "Referred to Personal independence coordination" in text
    assert "Medicines optimisation" not in text
    page = client.get(f"/patients/{patient.pk}/timeline/").content.decode()
    assert "Find a befriender" in page and "Dizzy" not in page and "BP low" not in page
    # The filter offers only what they may see; asking for visits shows them everything else.
    assert 'value="referral"' in page and 'value="visit"' not in page
    page = client.get(f"/patients/{patient.pk}/timeline/?kind=visit").content.decode()
    assert "Dizzy" not in page and "Find a befriender" in page


def test_filter_by_kind(client, story, patient):
    client.force_login(story["chair"])
    page = client.get(f"/patients/{patient.pk}/?kind=visit&kind=admission").content.decode()
    section = page[page.index('id="timeline"') :]
    assert "Home visit" in section and "Emergency admission to hospital" in section
    assert "Discussed at the" not in section and "Referred to" not in section
    assert 'value="visit" id="timeline-kind-visit" checked' in section
    assert 'value="referral" id="timeline-kind-referral">' in section
    # An unknown kind is no filter at all.
    page = client.get(f"/patients/{patient.pk}/timeline/?kind=nonsense").content.decode()
    assert "Home visit" in page and "Referred to" in page


def test_the_person_page_shows_the_latest_and_links_to_the_whole_timeline(client, member, patient):
    chair, pharmacist = member("chair"), member("pharmacist")
    one_of_each(patient, chair, pharmacist, at(2026, 1, 1), n=6)  # 9 entries each
    client.force_login(chair)
    total = len(collect(chair, patient))
    assert total > SHOWN_ON_PERSON_PAGE
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert f"Showing the latest {SHOWN_ON_PERSON_PAGE} of {total}." in page
    assert page.count('class="timeline__entry ') == SHOWN_ON_PERSON_PAGE
    assert f'href="/patients/{patient.pk}/timeline/"' in page
    whole = client.get(f"/patients/{patient.pk}/timeline/").content.decode()
    assert whole.count('class="timeline__entry ') == total
    assert "Showing the latest" not in whole


def test_the_timeline_page_is_written_to_the_access_trail(client, member, patient):
    chair = member("chair")
    client.force_login(chair)
    assert client.get(f"/patients/{patient.pk}/timeline/").status_code == 200
    assert AccessEvent.objects.filter(
        user=chair, patient=patient, what="timeline", outcome="allowed"
    ).exists()


def test_the_other_network_cannot_see_it(client, member, other_network, foreign_patient):
    chair = member("chair")
    outsider = member("chair", net=other_network, username="chair.elsewhere")
    one_of_each(foreign_patient, outsider, outsider, at(2026, 1, 1))
    client.force_login(chair)
    assert client.get(f"/patients/{foreign_patient.pk}/timeline/").status_code == 404
    assert AccessEvent.objects.filter(user=chair, outcome="not_found").exists()
    for role in ("manager", "ig_lead"):  # in the network, but they open no records
        client.force_login(member(role))
        assert client.get(f"/patients/{foreign_patient.pk}/timeline/").status_code == 404


@pytest.mark.parametrize("url", ["/patients/{p}/", "/patients/{p}/timeline/"])
def test_queries_do_not_grow_with_rows(client, member, patient, url, django_assert_max_num_queries):
    chair, pharmacist = member("chair"), member("pharmacist")
    client.force_login(chair)
    url = url.format(p=patient.pk)
    one_of_each(patient, chair, pharmacist, at(2026, 1, 1), n=2)
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    one_of_each(patient, chair, pharmacist, at(2026, 2, 1), n=12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "Call the GP 11" in page  # the rows are there, on the same queries


def test_a_referral_is_named_as_the_network_names_its_service(member, patient):
    from referrals.services import service_save

    chair = member("chair")
    service_save(
        network=patient.network,
        by=chair,
        code="mental_health_pharmacy",
        label="Mental health pharmacy clinic",
        accepts="",
        serving_roles=["pharmacist"],
        active=True,
        adding=True,
    )
    referral(patient, chair, at(2026, 5, 1), service="mental_health_pharmacy")
    titles_seen = [e.title for e in collect(chair, patient)]
    assert "Referred to Mental health pharmacy clinic" in titles_seen

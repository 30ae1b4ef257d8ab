"""Restricted visits and visit break-glass through the API (API.md 1.1 "Restricted entries and
break-glass"): who reads a restricted visit's content, who gets it null, breaking the glass per
role, its expiry, bad input, and query counts that do not grow with rows."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AccessEvent, BreakGlass
from medicines.models import Visit
from medicines.services import visit_log, visit_restrict
from networks.models import Membership
from notifications.models import Notification
from tests.factories import PatientFactory

# About restricted entries, on top of whatever clinical access a member has: every clinical
# member is involved here (conftest.everyone_involved; involvement: tests/patients).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]
URL = "/api/v1/visits/"


def _log(patient, by, *, restricted=True, summary="Disclosed bruising from her son."):
    return visit_log(
        patient=patient,
        by=by,
        kind="home",
        visited_at=timezone.now() - datetime.timedelta(hours=1),
        summary=summary,
        observations={"pulse": 88, "systolic_bp": 130, "diastolic_bp": 80},
        interventions=[{"kind": "other", "medicine": "Sertraline", "note": "Hidden"}],
        restricted=restricted,
        restricted_reason="Safeguarding" if restricted else "",
    ).visit


@pytest.fixture
def author(member):
    return member("pharmacist")


@pytest.fixture
def restricted_visit(author, patient):
    return _log(patient, author)


def _key_worker(member, patient):
    user = member("community_nurse")
    patient.key_worker = Membership.objects.get(user=user, network=patient.network)
    patient.save(update_fields=["key_worker"])
    return user


def test_the_api_creates_a_restricted_visit_and_its_author_reads_it(api, author, patient):
    body = {
        "patient": patient.pk,
        "kind": "home",
        "visited_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "summary": "Said her son takes her money.",
        "restricted": True,
        "restricted_reason": "Safeguarding",
    }
    response = api(author).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["restricted"] is True and data["summary"] == "Said her son takes her money."
    visit = Visit.objects.get()
    assert (visit.restricted_by, visit.restricted_reason) == (author, "Safeguarding")


@pytest.mark.parametrize("reason", ["", "   "])
def test_restricting_without_a_reason_is_400_and_saves_nothing(api, author, patient, reason):
    body = {
        "patient": patient.pk,
        "kind": "phone",
        "visited_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "restricted": True,
        "restricted_reason": reason,
    }
    response = api(author).post(URL, body, format="json")
    assert response.status_code == 400 and "restricted_reason" in response.json()
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("who", "reads"),
    [
        ("author", True),
        ("key_worker", True),
        ("chair", True),
        ("gp", False),
        ("community_matron", False),
    ],
)
def test_only_the_author_key_worker_and_chair_read_a_restricted_visit(
    api, member, author, patient, restricted_visit, who, reads
):
    user = {
        "author": lambda: author,
        "key_worker": lambda: _key_worker(member, patient),
        "chair": lambda: member("chair"),
        "gp": lambda: member("gp"),
        "community_matron": lambda: member("community_matron"),
    }[who]()
    data = api(user).get(f"{URL}{restricted_visit.pk}/").json()
    listed = api(user).get(URL, {"patient": patient.pk}).json()["results"][0]
    for shown in (data, listed):
        assert shown["restricted"] is True and shown["visitor"] == author.username
        if reads:
            assert shown["summary"] == "Disclosed bruising from her son."
            assert shown["observations"]["pulse"] == 88
            assert shown["interventions"][0]["note"] == "Hidden"
            assert shown["restricted_reason"] == "Safeguarding"
        else:
            for name in ("summary", "observations", "interventions", "news2", "restricted_reason"):
                assert shown[name] is None, name


def test_an_unrestricted_visit_is_read_by_every_clinical_member(api, member, author, patient):
    visit = _log(patient, author, restricted=False, summary="All well.")
    data = api(member("gp")).get(f"{URL}{visit.pk}/").json()
    assert data["restricted"] is False and data["summary"] == "All well."


def test_breaking_the_glass_opens_the_visit_tells_the_ig_lead_and_author_and_expires(
    api, member, author, patient, restricted_visit, django_capture_on_commit_callbacks
):
    gp, ig = member("gp"), member("ig_lead")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(gp).post(
            f"{URL}{restricted_visit.pk}/break-glass/",
            {"reason_code": "vital_interests", "reason": "Found collapsed"},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert response.json()["summary"] == "Disclosed bruising from her son."
    grant = BreakGlass.objects.get()
    assert (grant.user, grant.entry_kind, grant.entry_id, grant.entry_author) == (
        gp,
        "visit",
        restricted_visit.pk,
        author,
    )
    assert AccessEvent.objects.filter(user_id=gp.pk, what="break_glass").count() == 1
    told = dict(Notification.objects.values_list("recipient_id", "kind"))
    assert told == {ig.pk: "break_glass", author.pk: "break_glass_author"}
    # Every entry of the person opens while the grant lasts ...
    assert api(gp).get(f"{URL}{restricted_visit.pk}/").json()["summary"] is not None
    # ... and closes again when it ends.
    BreakGlass.objects.update(
        at=timezone.now() - datetime.timedelta(hours=13),
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    assert api(gp).get(f"{URL}{restricted_visit.pk}/").json()["summary"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason_code": "curious", "reason": "x"}, "reason_code"),
        ({"reason_code": "legal"}, "reason"),
        ({"reason_code": "legal", "reason": "   "}, "reason"),
        ({"reason": "x"}, "reason_code"),
    ],
)
def test_break_glass_bad_input_is_400_naming_the_field_and_saves_nothing(
    api, member, restricted_visit, body, field
):
    response = api(member("gp")).post(
        f"{URL}{restricted_visit.pk}/break-glass/", body, format="json"
    )
    assert response.status_code == 400 and field in response.json()
    assert not BreakGlass.objects.exists()
    assert not AccessEvent.objects.filter(what="break_glass").exists()


@pytest.mark.parametrize("role", ["pic", "manager", "ig_lead", "care_home_staff"])
def test_roles_that_read_no_clinical_detail_may_not_break_the_glass(
    api, member, restricted_visit, role
):
    response = api(member(role)).post(
        f"{URL}{restricted_visit.pk}/break-glass/",
        {"reason_code": "consent", "reason": "Asked"},
        format="json",
    )
    assert response.status_code == 403
    assert not BreakGlass.objects.exists()


def test_a_visit_in_another_network_is_404(api, member, other_network, author):
    foreign = PatientFactory(network=other_network)
    visit = _log(foreign, member("pharmacist", net=other_network))
    response = api(member("gp")).post(
        f"{URL}{visit.pk}/break-glass/", {"reason_code": "legal", "reason": "x"}, format="json"
    )
    assert response.status_code == 404 and not BreakGlass.objects.exists()


def test_only_the_author_or_the_chair_restricts_or_lifts(member, author, patient):
    from django.core.exceptions import PermissionDenied, ValidationError

    visit = _log(patient, author, restricted=False)
    with pytest.raises(PermissionDenied):
        visit_restrict(visit=visit, by=member("gp"), restricted=True, reason="Mine")
    with pytest.raises(ValidationError):
        visit_restrict(visit=visit, by=author, restricted=True, reason=" ")
    visit.refresh_from_db()
    assert not visit.restricted
    chair = member("chair")
    visit_restrict(visit=visit, by=author, restricted=True, reason="Safeguarding")
    visit_restrict(visit=visit, by=chair, restricted=False)
    visit.refresh_from_db()
    assert (visit.restricted, visit.restricted_by) == (False, chair)
    history = list(Visit.pgh_event_model.objects.filter(pgh_obj=visit).values_list("restricted"))
    assert (True,) in history and history[-1] == (False,)


def test_a_sealed_copy_is_never_saved(member, restricted_visit):
    from medicines.selectors import visit_sealed

    sealed = visit_sealed(member("gp"), Visit.objects.select_related("patient").get())
    assert sealed.sealed and sealed.summary == ""
    with pytest.raises(RuntimeError):
        sealed.save()
    assert Visit.objects.get().summary == "Disclosed bruising from her son."


def test_the_visit_list_costs_the_same_with_more_visits_restricted_or_not(
    api, member, author, patient, django_assert_max_num_queries
):
    gp = member("gp")
    client = api(gp)
    _log(patient, author)
    _log(patient, author, restricted=False)
    client.get(URL)  # the token's first use
    with django_assert_max_num_queries(12) as few:
        assert client.get(URL).status_code == 200
    for index in range(6):
        _log(PatientFactory(network=patient.network), author, restricted=index % 2 == 0)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert sum(v["summary"] is None for v in response.json()["results"]) == 4

"""Meeting mode for the keyboard (issue #16.5): the notes before everything else of the person,
each decision a form of its own (so Enter in its fields records it), the shortcuts written
on the page, the focus placed after each save, and the agenda's counter sent back with every
decision."""

import datetime
import html
import re

import pytest
from django.utils import timezone

from huddles import services
from tests.factories import PatientFactory, meeting_started

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def text(response) -> str:
    return html.unescape(response.content.decode())


def form_of(body: str, form_id: str) -> str:
    start = body.index(f'<form id="{form_id}"')
    return body[start : body.index("</form>", start)]


def soon(days=21) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.fixture
def two(meeting, network, chair):
    people = [PatientFactory(network=network) for _ in range(2)]
    return [
        services.agenda_add(meeting=meeting, patient=p, by=chair, reason="Falls") for p in people
    ]


@pytest.fixture
def chair_in(client, chair):
    client.force_login(chair)
    return client


def decision_url(item):
    return f"/meetings/{item.meeting_id}/items/{item.pk}/decision/"


def test_the_notes_come_first_and_each_decision_is_its_own_form(chair_in, two):
    body = text(chair_in.get(f"/meetings/{two[0].meeting_id}/run/{two[0].pk}/"))
    assert body.index('id="record-notes"') < body.index('id="visits-title"')
    assert body.index('id="record-notes"') < body.index('id="run-agenda"')
    discharge = form_of(body, "decision-discharge")
    assert 'name="decision_reason"' in discharge and 'value="discharge"' in discharge
    assert "Record decision: discharge" in discharge and 'name="notes"' not in discharge
    go_on = form_of(body, "decision-continue")
    assert 'name="next_review_on-day"' in go_on and "Record decision: continue" in go_on
    assert 'name="decision_reason"' not in go_on
    notes = form_of(body, "notes-form")
    assert 'name="notes"' in notes and 'name="decision"' not in notes
    assert "Keyboard shortcuts" in body and 'aria-keyshortcuts="Alt+W"' in body


def test_a_decision_keeps_the_saved_notes_when_none_come_with_it(chair_in, chair, two):
    saved = services.item_update(item=two[0], by=chair, version=1, notes="Said at the huddle")
    response = chair_in.post(
        decision_url(two[0]),
        {"version": saved.version, "decision": "continue", "next_review_on": soon()},
    )
    assert response.status_code == 302
    two[0].refresh_from_db()
    assert two[0].notes == "Said at the huddle" and two[0].decision == "continue"


def test_a_decision_sends_back_the_agenda_counter_and_the_way_on(chair_in, meeting, two):
    first, second = two
    answer = text(
        chair_in.post(
            decision_url(first),
            {"version": 1, "decision": "continue", "next_review_on": soon(), "notes": "n"},
            headers=HX,
        )
    )
    assert re.search(r'<nav [^>]*id="run-agenda"[^>]*hx-swap-oob="true"', answer)
    assert "(1 of 2 discussed)" in answer
    assert f"Next person: {second.patient.full_name}" in answer
    assert re.search(r'id="decision-saved" tabindex="-1" autofocus', answer)

    meeting_started(meeting)
    last = text(
        chair_in.post(
            decision_url(second),
            {
                "version": 1,
                "decision": "discharge",
                "admission_avoided": "no",
                "decision_reason": "Moved",
            },
            headers=HX,
        )
    )
    assert "(2 of 2 discussed)" in last and "Next person" not in last
    assert f'href="/meetings/{meeting.pk}/close/">Close the huddle' in last


def test_a_refused_decision_puts_the_focus_on_the_field_to_put_right(chair_in, two):
    response = chair_in.post(
        decision_url(two[0]),
        {"version": 1, "decision": "discharge", "decision_reason": "Settled"},
        headers=HX,
    )
    assert response.status_code in (400, 422)  # 422 once form errors move off 400
    body = text(response)
    assert re.search(r'<input type="radio" name="admission_avoided"[^>]*autofocus', body)
    assert "(1 of 2 discussed)" not in body and 'hx-swap-oob="true"' not in body
    two[0].refresh_from_db()
    assert two[0].decision == "" and two[0].version == 1


def test_a_notes_save_gives_both_decision_forms_the_new_version(chair_in, two):
    response = chair_in.post(
        f"/meetings/{two[0].meeting_id}/items/{two[0].pk}/notes/",
        {"notes": "Typed", "version": 1},
        headers=HX,
    )
    body = text(response)
    for form in ("continue", "discharge"):
        assert f'value="2" id="{form}-version" hx-swap-oob="true"' in body


def test_attendance_and_guests_put_the_focus_on_their_confirmation(chair_in, member, two):
    gp = member("gp")
    meeting_id = two[0].meeting_id
    saved = text(
        chair_in.post(
            f"/meetings/{meeting_id}/attendance/",
            {"present": [gp.pk], "item": two[0].pk},
            headers=HX,
        )
    )
    assert re.search(r'tabindex="-1" autofocus>Saved: 1 present.<', saved)
    added = text(
        chair_in.post(
            f"/meetings/{meeting_id}/guests/",
            {"name": "Pat Lodge", "item": two[0].pk},
            headers=HX,
        )
    )
    assert re.search(r'tabindex="-1" autofocus>Added Pat Lodge.<', added)
    refused = text(
        chair_in.post(
            f"/meetings/{meeting_id}/guests/", {"name": "", "item": two[0].pk}, headers=HX
        )
    )
    assert re.search(r'class="nhsuk-error-summary" role="alert" tabindex="-1" autofocus', refused)

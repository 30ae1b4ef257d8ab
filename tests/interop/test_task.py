"""Task from a task about a person (interop/resources/task.py): the mapping, the REST tasks
API's rules (the PIC reads only theirs and their role's queue), a fixed number of queries,
and bringing a task into another network."""

import datetime

import pytest
from django.utils import timezone

from actions.models import Action
from interop.outcome import FhirError
from tests.factories import PatientFactory

from .roundtrip import bring_in, comparable, resource_of
from .validate import entries
from .world import task

pytestmark = pytest.mark.django_db


def test_a_role_queue_task_as_a_uk_core_task(fhir, member, patient):
    row = task(patient, member, details="Ask about the evening doses.")
    status, body = fhir(member("chair")).get(f"/fhir/R4/Task/{row.pk}")
    assert status == 200
    assert body["meta"]["profile"] == ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Task"]
    assert (body["status"], body["intent"]) == ("requested", "order")
    assert body["description"] == row.title
    assert body["for"] == {"reference": f"Patient/{patient.pk}"}
    assert body["owner"] == {"type": "PractitionerRole", "display": "Pharmacist"}
    assert body["performerType"][0]["coding"][0] == {
        "system": "urn:icn:role",
        "code": "pharmacist",
        "display": "Pharmacist",
    }
    assert body["restriction"]["period"]["end"] == row.due_on.isoformat()
    assert body["authoredOn"] and body["lastModified"]
    assert body["note"] == [{"text": "Ask about the evening doses."}]


def test_a_claimed_task_is_in_progress_for_the_member(fhir, member, patient):
    pharmacist = member("pharmacist")
    row = task(
        patient,
        member,
        assignee=pharmacist,
        assignee_role="",
        claimed_from_role="pharmacist",
        claimed_at=timezone.now(),
    )
    _s, body = fhir(member("chair")).get(f"/fhir/R4/Task/{row.pk}")
    assert body["status"] == "in-progress"
    assert body["owner"] == {"type": "Practitioner", "display": pharmacist.get_full_name()}
    assert body["performerType"][0]["coding"][0]["code"] == "pharmacist"


def test_a_named_task_names_the_members_role(fhir, member, patient):
    row = task(patient, member, assignee=member("social_worker"), assignee_role="")
    _s, body = fhir(member("chair")).get(f"/fhir/R4/Task/{row.pk}")
    assert body["status"] == "requested"
    assert body["performerType"][0]["coding"][0]["code"] == "social_worker"


def test_a_done_task_is_completed_with_what_was_done(fhir, member, patient):
    done_at = timezone.now() + datetime.timedelta(minutes=1)  # after the task was made
    row = task(
        patient,
        member,
        status="done",
        done_at=done_at,
        done_by=member("pharmacist"),
        done_note="Blister pack in use.",
    )
    _s, body = fhir(member("chair")).get(f"/fhir/R4/Task/{row.pk}")
    assert body["status"] == "completed"
    assert body["note"][-1]["text"] == "Blister pack in use."
    assert body["lastModified"] == body["note"][-1]["time"]


def test_search_by_status(fhir, member, patient):
    open_ = task(patient, member)
    claimed = task(
        patient,
        member,
        assignee=member("pharmacist"),
        assignee_role="",
        claimed_from_role="pharmacist",
        claimed_at=timezone.now(),
    )
    done = task(patient, member, status="done", done_at=timezone.now(), done_by=member("gp"))
    client = fhir(member("chair"))
    for status, expected in [
        ("requested", [open_]),
        ("in-progress", [claimed]),
        ("completed", [done]),
        ("requested,completed", [open_, done]),
    ]:
        _s, body = client.get(f"/fhir/R4/Task?status={status}")
        assert [e["id"] for e in entries(body)] == [str(t.pk) for t in expected], status
    status, body = client.get("/fhir/R4/Task?status=open")
    assert status == 400 and body["issue"][0]["expression"] == ["status"]


def test_the_pic_reads_their_queue_not_other_roles(fhir, member, patient):
    theirs = task(patient, member, assignee_role="pic")
    pharmacists = task(patient, member)
    pic = fhir(member("pic"))
    assert pic.get(f"/fhir/R4/Task/{theirs.pk}")[0] == 200
    assert pic.get(f"/fhir/R4/Task/{pharmacists.pk}")[0] == 403
    _s, body = pic.get(f"/fhir/R4/Task?patient={patient.pk}")
    assert [e["id"] for e in entries(body)] == [str(theirs.pk)]


def test_another_networks_task_is_404(fhir, member, foreign_patient, other_network):
    row = task(foreign_patient, lambda role: member(role, net=other_network))
    assert fhir(member("chair")).get(f"/fhir/R4/Task/{row.pk}")[0] == 404


def test_search_query_count_does_not_grow_with_rows(
    fhir, member, network, django_assert_max_num_queries
):
    client = fhir(member("chair"))
    named = member("pharmacist")
    for person in PatientFactory.create_batch(2, network=network):
        task(person, member)
        task(person, member, assignee=named, assignee_role="")
    with django_assert_max_num_queries(14) as few:
        client.get("/fhir/R4/Task")
    for person in PatientFactory.create_batch(8, network=network):
        task(person, member)
        task(person, member, assignee=named, assignee_role="")
    with django_assert_max_num_queries(len(few.captured_queries)):
        _s, body = client.get("/fhir/R4/Task")
    assert len(entries(body)) == 20


@pytest.mark.parametrize("done", [False, True])
def test_a_task_brought_into_another_network_reads_the_same(
    member, patient, foreign_patient, other_network, done
):
    earlier = timezone.now() - datetime.timedelta(days=3)
    fields = {"details": "Check the fridge too."}
    if done:
        fields |= {
            "status": "done",
            "done_at": timezone.now(),
            "done_by": member("gp"),
            "done_note": "Done.",
        }
    row = task(patient, member, **fields)
    Action.objects.filter(pk=row.pk).update(created_at=earlier)
    row.refresh_from_db()
    sent = resource_of("Task", row, member("chair"))
    importer = member("chair", net=other_network)
    new = bring_in("Task", sent, network=other_network, by=importer, patient=foreign_patient)
    assert (new.network, new.patient, new.created_by) == (other_network, foreign_patient, importer)
    assert (new.assignee_role, new.due_on, new.created_at) == ("pharmacist", row.due_on, earlier)
    back = resource_of("Task", Action.objects.get(pk=new.pk), importer)
    assert comparable(back) == comparable(sent)


def test_a_task_for_no_role_is_refused_and_nothing_saved(member, foreign_patient, other_network):
    resource = {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "description": "Call the daughter",
        "restriction": {"period": {"end": "2027-01-10"}},
    }
    with pytest.raises(FhirError) as refused:
        bring_in(
            "Task",
            resource,
            network=other_network,
            by=member("chair", net=other_network),
            patient=foreign_patient,
        )
    assert refused.value.status_code == 422
    assert not Action.objects.exists()

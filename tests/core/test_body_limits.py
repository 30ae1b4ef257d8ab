"""A request body over Django's limits: the API answers 413 in JSON naming the limit (it was
Django's HTML 400 page), a page gets a plain 413 page, and nothing is saved."""

import json

import pytest
from django.conf import settings

from actions.models import Action
from tests.openapi import raw_schema

# About input rules, not about who is involved in a person's care (conftest.everyone_involved).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("everyone_involved")]


def test_a_json_body_over_the_limit_is_a_json_413_naming_it(api, member, patient):
    body = json.dumps(
        {
            "patient": patient.pk,
            "title": "Ring her daughter",
            "details": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            "assignee_role": "pharmacist",
            "due_on": "2030-01-01",
        }
    )
    response = api(member("pharmacist")).post(
        "/api/v1/tasks/", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The request body is larger than 2,621,440 bytes (files apart)."
    }
    assert not Action.objects.exists()


def test_too_many_form_fields_on_the_api_is_a_json_413(api, member):
    body = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = api(member("pharmacist")).post(
        "/api/v1/tasks/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request has more than 1,000 fields."}


def test_a_page_gets_a_plain_413_page(client, member, patient):
    client.force_login(member("pharmacist"))
    response = client.post(
        f"/medicines/patients/{patient.pk}/dispensing/",
        {"form": "manual", "medicine": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "larger than 2,621,440 bytes" in response.content.decode()


def test_the_schema_documents_the_413_on_every_request_body():
    for path, operations in raw_schema()["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert "413" in operation["responses"], (method, path)
    assert "2,621,440 bytes" in raw_schema()["info"]["description"]

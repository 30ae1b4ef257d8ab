"""API fuzzing: schemathesis generates requests from our own OpenAPI schema (/api/v1/schema/)
and sends them to the app in-process (WSGI) against the demo data (manage.py seed_demo), as
every role of a network, a member of another network and no one. No response may be a server
error; each must have a status and content type the schema documents and match the schema's
body for that status.

Per operation: schemathesis's coverage phase (boundary, missing and wrongly typed values, all
deterministic) and ICN_FUZZ_EXAMPLES random examples (default 15). Deterministic: a fixed seed,
derandomized Hypothesis, no example database. For a deeper run on your machine:
    ICN_FUZZ_EXAMPLES=200 ICN_FUZZ_SEED=2 pytest tests/test_api_fuzz.py

Each request runs in a savepoint that is rolled back, so every example starts from the same
data (a new referral stays new for /accept/) and failed logins at /auth/token/ never add up
to a django-axes lockout.
"""

import json
import os
import zlib
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from networks.roles import Role

pytestmark = pytest.mark.django_db

SLUG = "thornton-heath"
OTHER_SLUG = "purbeck"
# Every role of the demo network, a chair of the other network, and no one (no token).
CALLERS = [f"{role}.{SLUG}" for role in Role.values] + [f"chair.{OTHER_SLUG}", None]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": int(os.environ.get("ICN_FUZZ_SEED", "8")),
        "generation": {
            "mode": "all",  # valid and invalid input
            "max-examples": int(os.environ.get("ICN_FUZZ_EXAMPLES", "15")),
            "deterministic": True,
            "database": "none",
        },
        "phases": {
            "stateful": {"enabled": False},
            # Methods an operation does not have: DRF's 405, nothing of ours.
            "coverage": {"unexpected-methods": []},
        },
    }
)
APP = get_wsgi_application()


def published_schema() -> dict:
    """GET /api/v1/schema/, with request bodies as JSON wherever JSON is accepted: API.md's
    "JSON in and out". (DRF also parses forms there; fuzzing each body in three encodings
    would triple the time for little more.)"""
    raw = json.loads(Client(APP).get("/api/v1/schema/?format=json").get_data())
    for operations in raw["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                for media_type in set(content) - {"application/json"}:
                    del content[media_type]
    return raw


schema = schemathesis.openapi.from_dict(published_schema(), config=CONFIG)
schema.app = APP  # requests go to the WSGI application, in this process and thread

# Real ids and names, filled in by the `demo` fixture: generated path parameters and the
# fields that name objects are swapped for one of these some of the time, so that requests
# reach real objects (and the checks behind them) as well as missing ones.
REAL: dict[str, list] = {}
PATH_RESOURCES = [
    ("/api/v1/patients/", "patient"),
    ("/api/v1/referrals/", "referral"),
    ("/api/v1/tasks/", "task"),
    ("/api/v1/visits/", "visit"),
    ("/api/v1/medications/", "medication"),
    ("/api/v1/notifications/", "notification"),
    ("/api/v1/huddles/{meeting_pk}/items/", "item"),
    ("/api/v1/huddles/", "huddle"),
    ("/api/v1/networks/", "slug"),
]
FIELD_RESOURCES = {
    "patient": "patient",
    "network": "slug",
    "network_slug": "slug",
    "assignee": "username",
    "joint_visitor": "username",
    "medication": "medication",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data and a token per caller, made once for the module and rolled back at its
    end; {username: token key}."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from knox.models import AuthToken

    from actions.models import Action
    from huddles.models import AgendaItem, Meeting
    from medicines.models import Medication, Visit
    from notifications.models import Notification
    from patients.models import Patient
    from referrals.catalogue import ensure_red_flags
    from referrals.models import Referral
    from reports.calendar import ensure_calendar

    def ids(model):
        return list(model.objects.order_by("pk").values_list("pk", flat=True))

    with django_db_blocker.unblock(), transaction.atomic():
        ensure_red_flags()
        ensure_calendar()
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", stdout=quiet)
        users = get_user_model().objects.filter(username__in=CALLERS)
        # Each request's savepoint is rolled back, so a token's use never moves its expiry on:
        # issued for the whole run instead of the 30-minute idle window.
        tokens = {
            user.username: AuthToken.objects.create(user=user, expiry=timedelta(hours=2))[1]
            for user in users
        }
        assert len(tokens) == len(CALLERS) - 1
        REAL.update(
            patient=ids(Patient),
            referral=ids(Referral),
            task=ids(Action),
            visit=ids(Visit),
            medication=ids(Medication),
            notification=ids(Notification),
            huddle=ids(Meeting),
            item=list(AgendaItem.objects.order_by("pk").values_list("meeting_id", "pk")),
            slug=[SLUG, OTHER_SLUG],
            username=sorted(tokens),
        )
        yield tokens
        transaction.set_rollback(True)
    REAL.clear()


@pytest.fixture(autouse=True)
def in_process_requests():
    """As Django's test client does: a request must not close the test's connection (and with
    it the test's transaction) when it starts or finishes."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    key = next((k for prefix, k in PATH_RESOURCES if context.operation.path.startswith(prefix)), "")
    if not path_parameters or not REAL.get(key):
        return st.just(path_parameters)

    def real(value):
        if key == "item":
            return {**path_parameters, "meeting_pk": value[0], "id": value[1]}
        return {**path_parameters, "slug" if key == "slug" else "id": value}

    return st.one_of(st.just(path_parameters), st.sampled_from(REAL[key]).map(real))


def _with_real_values(data):
    if not isinstance(data, dict):
        return st.just(data)
    fields = {k: FIELD_RESOURCES[k] for k in data if REAL.get(FIELD_RESOURCES.get(k, ""))}
    if not fields:
        return st.just(data)
    real = st.fixed_dictionaries({k: st.sampled_from(REAL[key]) for k, key in fields.items()})
    return st.one_of(st.just(data), real.map(lambda values: {**data, **values}))


@schema.hook
def flatmap_body(context, body):
    return _with_real_values(body)


@schema.hook
def flatmap_query(context, query):
    return _with_real_values(query)


def caller_of(case) -> str | None:
    """Picked from the case's own data, so a replayed or shrunk case has the same caller (and
    the coverage phase, which runs only without `given` arguments, stays on)."""
    body = None if isinstance(case.body, NotSet) else case.body  # its repr has an address
    data = repr((case.path_parameters, case.query, body)).encode()
    return CALLERS[zlib.crc32(data) % len(CALLERS)]


@schema.parametrize()
def test_api(case, demo):
    caller = caller_of(case)
    headers = {"Authorization": f"Token {demo[caller]}"} if caller else {}
    savepoint = transaction.savepoint()
    try:
        case.call_and_validate(headers=headers, checks=CHECKS)
    finally:
        transaction.savepoint_rollback(savepoint)

"""The load test's journeys, free of locust so that tests can drive them with `requests`.

Each function takes a `client`: locust's HttpSession (a requests.Session whose paths are
relative to --host and which takes a `name=` to group URLs in the statistics), or any
object with the same `get`/`post` signature (tests/test_loadtest.py wraps requests).
A page that answers 4xx/5xx counts as a failure in locust's statistics by itself; the
journeys raise JourneyError when a page answers but not as it should (no link to follow,
a form that did not save).
"""

import os
import re
import secrets

import requests

PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-password-change-me")
# The demo's networks and accounts by default; for the synthetic data at scale (manage.py
# generate_synthetic --password ...): NETWORKS=synthetic-eastwick-moor,... and
# ACCOUNT=synthetic.{role}.1.{short}, {short} being the slug without "synthetic-".
NETWORKS = tuple(os.environ.get("NETWORKS", "thornton-heath,purbeck").split(","))
ACCOUNT = os.environ.get("ACCOUNT", "{role}.{network}")


def account(role: str, network: str) -> str:
    return ACCOUNT.format(role=role, network=network, short=network.removeprefix("synthetic-"))


# Members who work the day from my-work: the clinical roles of seed_demo.
MEMBER_ROLES = (
    "gp",
    "community_nurse",
    "social_worker",
    "occupational_therapist",
    "physiotherapist",
    "pic",
    "pharmacy_technician",
)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PATIENT_LINK = re.compile(r'href="/patients/(\d+)/"')
# The visit time as the form fills it in: the NHS date input's boxes (day, month, year, time).
VISITED_AT = re.compile(r'name="visited_at-(day|month|year|time)"[^>]*value="([^"]+)"')


class Session(requests.Session):
    """requests with locust's HttpSession interface: paths relative to `host`, a `name=`
    (ignored), and any 4xx/5xx raised. For the logins before a load test and for tests."""

    def __init__(self, host: str, timeout: float = 60):
        super().__init__()
        self.host, self.timeout = host, timeout

    def request(self, method, url, *args, name=None, **kwargs):
        response = super().request(method, self.host + url, *args, timeout=self.timeout, **kwargs)
        response.raise_for_status()
        return response


class JourneyError(Exception):
    """A page answered, but not as the journey expected."""


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise JourneyError("no CSRF token on the page")
    return match.group(1)


def log_in(client, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form (CSRF token from the form)."""
    page = client.get("/accounts/login/", name="/accounts/login/")
    response = client.post(
        "/accounts/login/",
        data={
            "csrfmiddlewaretoken": csrf_token(page.text),
            "username": username,
            "password": password,
        },
        headers={"Referer": page.url},
        name="/accounts/login/ [POST]",
    )
    if "/accounts/login/" in response.url:
        raise JourneyError(f"could not log in as {username}")


def patient_ids(client) -> list[int]:
    """The people the user may open, from the people list."""
    page = client.get("/patients/", name="/patients/")
    ids = sorted({int(pk) for pk in PATIENT_LINK.findall(page.text)})
    if not ids:
        raise JourneyError("no people listed")
    return ids


def involved_patient_ids(client) -> list[int]:
    """The people whose clinical detail the user reads (involved in their care: the API's
    rows that carry the clinical fields), for journeys that record clinical detail."""
    response = client.get("/api/v1/patients/?page_size=100", name="/api/v1/patients/")
    ids = sorted(row["id"] for row in response.json()["results"] if "clinical_notes" in row)
    if not ids:
        raise JourneyError("involved with no one")
    return ids


def next_meeting(client) -> tuple[int, int | None]:
    """(meeting id, agenda item id) of the next meeting that has someone on its agenda,
    else the next meeting and None, from the API (session auth)."""
    response = client.get("/api/v1/huddles/?upcoming=true", name="/api/v1/huddles/?upcoming")
    meetings = response.json()["results"]
    if not meetings:
        raise JourneyError("no upcoming meeting")
    for meeting in meetings:
        if meeting["items"]:
            return meeting["id"], meeting["items"][0]["id"]
    return meetings[0]["id"], None


# --- Chair ---------------------------------------------------------------------------


def chair_run_page(client, meeting: int, item: int | None) -> None:
    if item is None:
        client.get(f"/meetings/{meeting}/run/", name="/meetings/[id]/run/")
    else:
        client.get(f"/meetings/{meeting}/run/{item}/", name="/meetings/[id]/run/[item]/")


def chair_agenda(client, meeting: int) -> None:
    client.get(f"/meetings/{meeting}/", name="/meetings/[id]/")


# --- Member --------------------------------------------------------------------------


def member_my_work(client) -> None:
    client.get("/my-work/", name="/my-work/")


def member_bell(client) -> None:
    client.get("/notifications/bell/", name="/notifications/bell/")


def member_person(client, patients: list[int]) -> None:
    client.get(f"/patients/{secrets.choice(patients)}/", name="/patients/[id]/")


# --- Pharmacist ----------------------------------------------------------------------


def visit_data(form_html: str) -> dict:
    """A valid home visit: the form's own time, a few normal observations, a summary."""
    boxes = {f"visited_at-{part}": value for part, value in VISITED_AT.findall(form_html)}
    if len(boxes) != 4:
        raise JourneyError("no visit time on the visit form")
    return {
        "csrfmiddlewaretoken": csrf_token(form_html),
        "kind": "home",
        **boxes,
        "preference": "none",
        "systolic_bp": "128",
        "diastolic_bp": "78",
        "pulse": "72",
        "respiratory_rate": "16",
        "temperature_c": "36.8",
        "spo2": "97",
        "consciousness": "alert",
        "spo2_scale": "1",
        "summary": "Load test visit: well, medicines reviewed, no changes.",
    }


def pharmacist_log_visit(client, patients: list[int]) -> None:
    """Open the visit form for a person, save a visit, then look at my day."""
    pk = secrets.choice(patients)
    form = client.get(f"/medicines/patients/{pk}/visit/", name="/medicines/patients/[id]/visit/")
    saved = client.post(
        f"/medicines/patients/{pk}/visit/",
        data=visit_data(form.text),
        headers={"Referer": form.url},
        name="/medicines/patients/[id]/visit/ [POST]",
        allow_redirects=False,
    )
    # Saved: redirected to the person's page (followed here, as a browser would; locust's
    # fast client reports the URL asked for, not the one redirected to).
    person = (saved.headers.get("Location") or "").split("#")[0]
    if saved.status_code != 302 or "/medicines/patients/" in person:
        raise JourneyError("the visit form did not save")
    client.get(person, name="/patients/[id]/")
    client.get("/medicines/my-day/", name="/medicines/my-day/")


# --- Manager -------------------------------------------------------------------------


def manager_dashboard(client) -> None:
    client.get("/reports/", name="/reports/")


def warm_up(client, role: str, rounds: int = 3) -> None:
    """The pages of this role's part of the mix, `rounds` times (untimed, before the test),
    so that each gunicorn worker has loaded them once."""
    for _ in range(rounds):
        if role == "manager":  # sees figures, not people
            manager_dashboard(client)
            continue
        patients = patient_ids(client)
        if role == "chair":
            meeting, item = next_meeting(client)
            chair_run_page(client, meeting, item)
            chair_agenda(client, meeting)
        elif role == "pharmacist":
            mine = involved_patient_ids(client)
            client.get(f"/medicines/patients/{mine[0]}/visit/")
            client.get("/medicines/my-day/")
        else:
            member_my_work(client)
            member_bell(client)
            member_person(client, patients)

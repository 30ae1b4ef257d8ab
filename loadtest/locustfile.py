"""Huddle-morning load mix (issue 8): the chair on the meeting page, members on my-work,
pharmacists logging visits, managers on the dashboard. Run with loadtest/run.sh.

Users work as the `manage.py seed_demo` users (`<role>.<network>`, password DEMO_PASSWORD)
and find the ids they need (people, the next meeting) from the pages and the API. Think
time between tasks: WAIT_MIN..WAIT_MAX seconds (default 1..3).

A member logs in once a morning, not once a minute: before the users start, every account
logs in once through the login form (timed and printed separately: password hashing is
slow by design) and opens each page of the mix a few times, so that every gunicorn worker
has compiled its templates. The virtual users then share their account's session, and the
statistics are the huddle morning's work itself.

The users are FastHttpUsers (geventhttpclient, not requests): locust runs on the same two
CPUs as the server it measures, and requests' client spent several times the CPU per request
that the server had to wait for (the figures in docs/performance.md).
"""

import os
import secrets
import sys
import time
from pathlib import Path

from gevent.event import Event
from locust import FastHttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest import journeys

WAIT = between(float(os.environ.get("WAIT_MIN", 1)), float(os.environ.get("WAIT_MAX", 3)))


ROLES = ("chair", "pharmacist", "manager", *journeys.MEMBER_ROLES)
# {username: the session's cookies}, filled before the users start.
SESSIONS: dict[str, list] = {}
LOGGED_IN = Event()  # the users wait for it: locust spawns them while the listener runs


@events.test_start.add_listener
def log_in_every_account(environment, **kwargs):
    timings = []
    for network in journeys.NETWORKS:
        for role in ROLES:
            username = journeys.account(role, network)
            session = journeys.Session(environment.host)
            started = time.perf_counter()
            journeys.log_in(session, username)
            timings.append((time.perf_counter() - started) * 1000)
            journeys.warm_up(session, role, rounds=int(os.environ.get("WARM_UP", 3)))
            SESSIONS[username] = list(session.cookies)
    LOGGED_IN.set()
    timings.sort()
    print(
        f"Logged in {len(timings)} accounts before the test (GET form + POST, one at a time):"
        f" median {timings[len(timings) // 2]:.0f} ms, slowest {timings[-1]:.0f} ms"
    )


class DemoUser(FastHttpUser):
    abstract = True
    wait_time = WAIT
    role = ""

    def on_start(self):
        self.network = secrets.choice(journeys.NETWORKS)
        LOGGED_IN.wait()
        for cookie in SESSIONS[journeys.account(self.role, self.network)]:
            self.client.cookiejar.set_cookie(cookie)


class Chair(DemoUser):
    weight = 1
    role = "chair"

    def on_start(self):
        super().on_start()
        self.meeting, self.item = journeys.next_meeting(self.client)

    @task(3)
    def run_page(self):
        journeys.chair_run_page(self.client, self.meeting, self.item)

    @task(1)
    def agenda(self):
        journeys.chair_agenda(self.client, self.meeting)


class Member(DemoUser):
    weight = 6

    def on_start(self):
        self.role = secrets.choice(journeys.MEMBER_ROLES)
        super().on_start()
        self.patients = journeys.patient_ids(self.client)

    @task(3)
    def my_work(self):
        journeys.member_my_work(self.client)

    @task(3)
    def bell(self):
        journeys.member_bell(self.client)

    @task(2)
    def person(self):
        journeys.member_person(self.client, self.patients)


class Pharmacist(DemoUser):
    weight = 2
    role = "pharmacist"

    def on_start(self):
        super().on_start()
        self.patients = journeys.involved_patient_ids(self.client)

    @task
    def log_visit(self):
        journeys.pharmacist_log_visit(self.client, self.patients)


class Manager(DemoUser):
    weight = 1
    role = "manager"

    @task
    def dashboard(self):
        journeys.manager_dashboard(self.client)

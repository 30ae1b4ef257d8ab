import pytest

from notifications.models import Notification
from notifications.services import notification_send

pytestmark = pytest.mark.django_db
URL = "/api/v1/notifications/"


def test_only_my_notifications_and_mark_read(api, member):
    me = member("pharmacist")
    other = member("gp")
    mine = notification_send(recipient=me, occurrence="k1", kind="test", title="For me")
    notification_send(recipient=other, occurrence="k2", kind="test", title="Not for me")
    client = api(me)
    body = client.get(URL).json()
    assert [n["title"] for n in body["results"]] == ["For me"]
    response = client.post(f"{URL}{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["read_at"]
    theirs = Notification.objects.get(occurrence="k2")
    assert client.post(f"{URL}{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_same_key_is_delivered_once(member):
    me = member("pharmacist")
    assert notification_send(recipient=me, occurrence="once", kind="t", title="a") is not None
    assert notification_send(recipient=me, occurrence="once", kind="t", title="a") is None
    assert Notification.objects.count() == 1


def test_unauthenticated_401(api):
    assert api().get(URL).status_code == 401

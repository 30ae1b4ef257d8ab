"""icn/broker.py: an acknowledgement that cannot reach Redis frees the consumer's prefetch slot,
and the message comes back from Redis after the visibility timeout. Against a real
redis-server of the test's own, frozen with SIGSTOP (it accepts connections, answers nothing)."""

import os
import signal
import socket

import pytest
from django.conf import settings
from kombu import Connection, Queue
from kombu.transport import redis as kombu_redis

from icn import broker
from icn.celery import app
from tests.workers import RedisServer

OPTIONS = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "visibility_timeout": 2}


@pytest.fixture
def server():
    server = RedisServer()
    server.start()
    yield server
    os.kill(server.proc.pid, signal.SIGCONT)
    server.remove()


def take_one(connection: Connection, queue: Queue):
    """The next message, taken with a prefetch of one (as the worker takes them)."""
    taken = []
    channel = connection.default_channel
    channel.basic_qos(prefetch_count=1)
    with connection.Consumer(queue, callbacks=[lambda body, message: taken.append(message)]):
        connection.drain_events(timeout=5)
    return taken[0]


def frozen_ack(server: RedisServer, message) -> None:
    os.kill(server.proc.pid, signal.SIGSTOP)
    try:
        with pytest.raises(message.channel.connection_errors):
            message.ack()
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)


def test_the_deployment_uses_this_transport():
    assert settings.CELERY_BROKER_TRANSPORT == "icn.broker:Transport"
    with app.connection_for_write() as connection:
        assert connection.transport_cls == "icn.broker:Transport"
        assert isinstance(connection.transport, broker.Transport)


@pytest.mark.parametrize(
    ("transport", "goes_on"),
    [(broker.Transport, True), (kombu_redis.Transport, False)],  # the defect it repairs
    ids=["icn", "kombu"],
)
def test_after_an_ack_redis_did_not_answer_the_consumer_takes_the_next_message(
    server, transport, goes_on
):
    queue = Queue(f"broker-test-{transport.__module__.replace('.', '-')}")
    with Connection(server.url, transport=transport, transport_options=OPTIONS) as connection:
        with connection.Producer() as producer:
            producer.publish({"n": 1}, routing_key=queue.name, declare=[queue])
            message = take_one(connection, queue)
            assert not connection.default_channel.qos.can_consume()  # one in hand

            frozen_ack(server, message)  # Redis is back after this

            producer.publish({"n": 2}, routing_key=queue.name)
        if goes_on:
            assert take_one(connection, queue).payload == {"n": 2}
        else:  # kombu's own: the slot stays taken, nothing more is consumed
            with pytest.raises(socket.timeout):
                take_one(connection, queue)
    # The acknowledgement was written to the socket before Redis froze, so Redis applied it
    # when it woke: the first message is not handed out again. (Had it been lost on the way,
    # the message would still be in `unacked`, handed out again after the visibility timeout.)
    assert server.client().hlen("unacked") == 0

"""Kombu's Redis transport with one repair: an acknowledgement that cannot reach Redis
still frees the worker's prefetch slot.

Kombu's Redis QoS removes a message from Redis's `unacked` records and only then from its
own count of messages in hand. When Redis stops answering at that moment (a hang, a
failover, a network dropping packets) the first step fails, kombu logs "Couldn't ack" and
the message stays counted in hand for ever: with a prefetch of one the worker never takes
another message, though Redis is back and beat keeps sending (seen in
tests/notifications/test_faults.py, [redis-not-answering]). Here the slot is freed whatever
Redis says; the message is still in Redis's `unacked` records, so kombu hands it out again
after the visibility timeout, which every task already allows for (acks late; the sweeps and
notifications are idempotent).

Selected by CELERY_BROKER_TRANSPORT (icn/settings/base.py) for redis:// and rediss:// URLs."""

from typing import Any

from kombu.transport import redis, virtual


class QoS(redis.QoS):
    def ack(self, delivery_tag: Any) -> None:
        try:
            super().ack(delivery_tag)
        except self.channel.connection_errors:
            virtual.QoS.ack(self, delivery_tag)  # the slot only; Redis still holds the message
            raise  # kombu logs it ("Couldn't ack") as before

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        try:
            super().reject(delivery_tag, requeue=requeue)
        except self.channel.connection_errors:
            virtual.QoS.ack(self, delivery_tag)
            raise


class Channel(redis.Channel):
    QoS = QoS


class Transport(redis.Transport):
    Channel = Channel

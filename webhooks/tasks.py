"""Thin Celery tasks: send one delivery; the sweep that finds every one due again."""

from celery import shared_task

from .services import deliveries_due, delivery_send


@shared_task(acks_late=True)
def deliver(*, delivery_id: int, network_id: int) -> str:
    """Send one delivery (network-scoped). Safe to run twice: a lease and its status decide."""
    return delivery_send(delivery_id=delivery_id)


@shared_task(icn_system=True)  # every network's deliveries (core/rls.py)
def sweep_deliveries() -> int:
    """Beat, every minute: every pending delivery whose time has come (a retry after its
    back-off, a message lost before a worker took it, a worker that died mid-request after
    its lease): sent again with the same webhook-id."""
    due = deliveries_due()
    for delivery_id, network_id in due:
        deliver.delay(delivery_id=delivery_id, network_id=network_id)
    return len(due)

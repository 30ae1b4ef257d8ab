from django.db.models import QuerySet

from core.typing import User

from .models import Notification


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .access import member_required, public
from .current import switch_network


@public
@require_GET
def healthz(request):
    """Liveness for load balancers and docker-compose: the database and Redis answer."""
    status = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = "ok"
    except Exception:
        status["database"] = "unavailable"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
        )
        client.ping()
        status["redis"] = "ok"
    except redis.RedisError:
        status["redis"] = "unavailable"
    healthy = all(v == "ok" for v in status.values())
    return JsonResponse(status, status=200 if healthy else 503)


@member_required
@require_POST
def network_switch(request):
    switch_network(request, request.POST.get("network", ""))
    next_url = request.POST.get("next") or "/"
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = "/"
    return redirect(next_url)


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out account (AXES_LOCKOUT_CALLABLE): 429, as JSON on the
    API (API.md: a locked-out account is refused with 429) and as a page elsewhere."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = (
        "Too many failed sign-ins for this account. Try again in "
        f"{minutes} minutes, or ask your network's administrator to unlock it."
    )
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        context = {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "username": (credentials or {}).get("username", ""),
            "cooloff_timedelta": settings.AXES_COOLOFF_TIME,
        }
        response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response

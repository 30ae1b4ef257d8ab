"""The benchmark-only URLconf of `benchmarks.hotpaths`: the project's URLs plus one DRF view that
answers `{}` through the same middleware, authentication (token or session) and permission
check as every API view: the "H" floor. Used only through override_settings(ROOT_URLCONF=...)."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from icn.urls import handler404  # noqa: F401  (the same 404 handler)

EMPTY_PATH = "/__bench__/empty/"


class EmptyView(APIView):
    """`{}`, for an authenticated caller (the project's default permission)."""

    def get(self, request):
        return Response({})


urlpatterns = [
    path(EMPTY_PATH.strip("/") + "/", EmptyView.as_view(), name="bench-empty"),
    path("", include("icn.urls")),
]

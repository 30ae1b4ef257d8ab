"""Meta-test: every view is either explicitly public or scoped to the caller's networks.

Page views carry `icn_access` (set by networks.access.member_required / public); API views
inherit core.api.ScopedAPIMixin (`icn_scoped`). A new view without either fails here.
"""

import re

from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC_API_VIEWS = {"SpectacularAPIView", "SpectacularSwaggerSplitView"}


def _route(pattern) -> str:
    text = str(pattern.pattern)
    text = re.sub(r"\^|\$|\\Z", "", text)
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", text)
    text = re.sub(r"<(?:int|str|slug):(\w+)>", r"<\1>", text)
    return text.replace("\\.", ".").replace("\\", "")


def all_url_patterns(resolver=None, prefix="/"):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from all_url_patterns(pattern, prefix + _route(pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + _route(pattern)
            route = re.sub(r"\(\?P<format>[^)]*\)|\.<format>/?", "", route)
            yield route, pattern.callback


def _is_scoped(callback) -> bool:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if getattr(callback, "icn_access", None) in {"member", "public"}:
        return True
    if view_class is not None and getattr(view_class, "icn_scoped", False):
        return True
    return view_class is not None and view_class.__name__ in PUBLIC_API_VIEWS


def test_every_view_declares_its_access():
    unmarked = [
        route
        for route, callback in all_url_patterns()
        if not route.startswith("/admin/") and not _is_scoped(callback)
    ]
    assert unmarked == []


def test_the_meta_test_catches_an_unmarked_view():
    def naked(request):
        return None

    assert not _is_scoped(naked)

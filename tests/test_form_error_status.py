"""Pages answer a form with errors 422, never 400: under DEBUG django-htmx's debug script
replaces the whole document with an htmx response of status 400 (403, 404, 500), so a 400
would swap a bare fragment in for the page. The REST API keeps 400 (API.md). The journey
that proves it in a browser is tests/e2e/test_form_errors_journey.py; this guards every
page view, including those no journey reaches."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
A_400 = re.compile(r"\bstatus(_code)?\s*=\s*400\b|\b400 if\b|\breturn 400\b|=\s*400,")

# Not a form error: a CSV download's plain-text answer to filters that are not valid.
NOT_FORMS = {"reports/views.py": 1}


def page_view_modules() -> list[Path]:
    return sorted(
        path
        for path in ROOT.glob("*/*views*.py")
        if not path.parts[-2].startswith(".") and path.parts[-2] not in {"tests", "benchmarks"}
    )


def test_there_are_page_views_to_check():
    assert len(page_view_modules()) > 10


def test_no_page_view_answers_a_form_error_with_400():
    found = {}
    for path in page_view_modules():
        hits = [line for line in path.read_text().splitlines() if A_400.search(line)]
        if hits:
            found[str(path.relative_to(ROOT))] = len(hits)
    assert found == NOT_FORMS, "Answer form errors on pages with 422 (see this module's docstring)"

"""PostgreSQL's JIT compiler is off for the application's connections (DATABASE_JIT, default
false): on ICN's short queries compiling cost more than running (docs/performance.md)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_application_connects_with_jit_off():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)

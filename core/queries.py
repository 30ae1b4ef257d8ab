"""Query expressions the apps share."""

from typing import Any

from django.db.models import Count, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce


def count_of(rows: QuerySet[Any], by: str) -> Coalesce:
    """How many of `rows` (already filtered on an OuterRef) there are for each `by`, as an
    expression for an outer query's annotation: 0 when none, one subquery however many rows
    the outer query has."""
    counted = rows.order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
